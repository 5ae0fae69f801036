/**
 * The wire decoder at its limits and for what a peer answers (docs/peer-sync.md, "Messages"): the Error code
 * a refusal carries back (`malformed` for an unknown type and for maps over WIRE_LIMITS, which are accepted
 * at the limit), an `Error` whose `ref` is null (an error about no particular message) is valid, and the
 * refusal of a shared change written by someone else or out of order names the field it is in.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/impl/env.ts';
import { encodeMessage, validateMessage, WIRE_LIMITS, type PeerMessage } from '../../src/impl/peer/messages.ts';
import { ctx, samples, ts } from './fixtures/messages.ts';

const byType = (t: string): PeerMessage => samples.find((m) => m.type === t)!;

function wire(m: PeerMessage, patch: Record<string, Value>): Value {
  return { ...(encodeMessage(m) as Record<string, Value>), ...patch };
}

function refusal(v: Value): { code: string; reason: string } {
  const r = validateMessage(v, ctx, 'A');
  if (r.ok) throw new Error('accepted');
  return { code: r.code, reason: r.reason };
}

const writers = (n: number): Record<string, Value> => Object.fromEntries(Array.from({ length: n }, (_, k) => [`w${k}`, { ts: ts(1, `w${k}`), uuid: 'u' }]));
const resources = (n: number, v: Value): Record<string, Value> => Object.fromEntries(Array.from({ length: n }, (_, k) => [`r${k}`, v]));

describe('wire limits and refusal codes', () => {
  it('an unknown message type is answered malformed, naming the type', () => {
    expect(refusal(wire(byType('Error'), { type: 'Gossip' }))).toEqual({ code: 'malformed', reason: "unknown message type 'Gossip'" });
  });

  it('maps over the limits are answered malformed', () => {
    const over = WIRE_LIMITS.resourcesMax + 1;
    expect(refusal(wire(byType('StateResponse'), { totals: resources(over, 1) })).code).toBe('malformed');
    expect(refusal(wire(byType('Heartbeat'), { marks: resources(over, {}) })).code).toBe('malformed');
    expect(refusal(wire(byType('Heartbeat'), { marks: { entry: writers(WIRE_LIMITS.writersMax + 1) } }))).toEqual({
      code: 'malformed',
      reason: `marks.entry lists more than ${WIRE_LIMITS.writersMax} writers`,
    });
  });

  it('at the limits they are accepted (a heartbeat marking writersMax writers; resourcesMax marks refused only for the unknown names)', () => {
    const hb = validateMessage(wire(byType('Heartbeat'), { marks: { entry: writers(WIRE_LIMITS.writersMax), tag: {} } }), ctx, 'A');
    expect(hb.ok).toBe(true);
    if (hb.ok && hb.msg.type === 'Heartbeat') expect(Object.keys(hb.msg.marks.entry!)).toHaveLength(WIRE_LIMITS.writersMax);
    expect(refusal(wire(byType('Heartbeat'), { marks: resources(WIRE_LIMITS.resourcesMax, {}) })).code).toBe('unknown-resource');
  });

  it('a writer id in marks must be an id (1..idLengthMax chars)', () => {
    const long = 'w'.repeat(WIRE_LIMITS.idLengthMax + 1);
    expect(refusal(wire(byType('Heartbeat'), { marks: { entry: { [long]: { ts: ts(1, 'B'), uuid: 'u' } } } }))).toEqual({
      code: 'malformed',
      reason: `marks.entry writer must be a string of 1..${WIRE_LIMITS.idLengthMax} chars`,
    });
  });

  it('an Error about no particular message (ref null) is valid', () => {
    const m: PeerMessage = { ...byType('Error'), ref: null } as PeerMessage;
    expect(validateMessage(encodeMessage(m), ctx, 'A')).toEqual({ ok: true, msg: m });
  });

  it('a shared change written by another device, or a batch out of order, is refused naming the field', () => {
    const forged = { u: 't', w: 'B', t: ts(4, 'B'), d: 'x' };
    expect(refusal(wire(byType('SharedChange'), { change: forged }))).toEqual({ code: 'malformed', reason: "change: record t written by 'B', sent by 'A'" });
    const mine = { u: 's', w: 'A', t: ts(2), d: 'x' };
    expect(refusal(wire(byType('SharedChangeBatch'), { changes: [mine, forged] }))).toEqual({ code: 'malformed', reason: "changes: record t written by 'B', sent by 'A'" });
    expect(refusal(wire(byType('SharedChangeBatch'), { changes: [{ ...mine, t: ts(6) }, mine] }))).toEqual({
      code: 'malformed',
      reason: 'changes must be in strictly increasing ts order',
    });
  });
});
