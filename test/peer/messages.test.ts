import { describe, expect, it } from 'vitest';
import { encodeMessage, validateMessage, type PeerMessage } from '../../src/impl/peer/messages.ts';
import { ctx, samples, ts } from './fixtures/messages.ts';
import type { Value } from '../../src/impl/env.ts';


function mutate(m: PeerMessage, patch: Record<string, Value>): Value {
  return { ...(encodeMessage(m) as Record<string, Value>), ...patch };
}

describe('protocol messages', () => {
  it.each(samples.map((m) => [m.type, m] as const))('%s survives encode + validate unchanged', (_type, m) => {
    const r = validateMessage(encodeMessage(m), ctx, 'A');
    expect(r).toEqual({ ok: true, msg: m });
  });

  it('rejects a message for another library with wrong-library, and never parses its body', () => {
    const r = validateMessage(mutate(samples[0]!, { library: 'other', record: 'garbage' }), ctx, 'A');
    expect(r).toMatchObject({ ok: false, code: 'wrong-library', type: 'StateChange' });
  });

  it('rejects malformed messages naming the field', () => {
    const cases: [Value, RegExp][] = [
      [null, /message must be an object/],
      [mutate(samples[0]!, { type: 'Bogus' }), /unknown message type 'Bogus'/],
      [mutate(samples[0]!, { record: { u: 'x', w: 'A', t: 'not-an-hlc', d: null } }), /record\.t must be an HLC/],
      [mutate(samples[2]!, { limit: 0 }), /limit must be an integer/],
      [mutate(samples[1]!, { records: [encodeMessage(samples[0]!) as Value] }), /records\[0\]\.d must be null or a string/],
      [mutate(samples[5]!, { changes: [{ u: 't', w: 'A', t: ts(6), d: 'x' }, { u: 't', w: 'A', t: ts(4), d: 'x' }] }), /strictly increasing ts order/],
      [mutate(samples[1]!, { records: [{ u: 'b', w: 'A', t: ts(5), d: 'x' }, { u: 'a', w: 'A', t: ts(5), d: 'x' }] }), /\(ts, uuid\) order/],
      [mutate(samples[9]!, { seq: -1 }), /seq must be an integer/],
      [mutate(samples[3]!, { totals: { entry: -1 } }), /totals\.entry must be an integer/],
      [mutate(samples[9]!, { marks: { entry: { A: { ts: ts(4), uuid: 'u' } } } }), /marks\.entry lists the sender itself/],
      [mutate(samples[9]!, { marks: { entry: { B: null } } }), /marks\.entry\.B must be a cursor/],
      [mutate(samples[9]!, { marks: { entry: { B: { ts: 'x', uuid: 'u' } } } }), /marks\.entry\.B\.ts must be an HLC/],
    ];
    for (const [v, re] of cases) {
      const r = validateMessage(v, ctx, 'A');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(re);
    }
  });

  it('rejects a change whose records were not written by its sender (no relaying of live changes)', () => {
    const r = validateMessage(mutate(samples[0]!, { record: { u: 'x', w: 'B', t: ts(5, 'B'), d: 'x' } }), ctx, 'A');
    expect(r).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('rejects a sender that does not match the connection, and resources of the wrong kind or unknown', () => {
    expect(validateMessage(encodeMessage(samples[0]!), ctx, 'B')).toMatchObject({ ok: false, code: 'malformed' });
    expect(validateMessage(mutate(samples[0]!, { resource: 'tag' }), ctx, 'A')).toMatchObject({ ok: false, code: 'malformed' });
    expect(validateMessage(mutate(samples[0]!, { resource: 'photos' }), ctx, 'A')).toMatchObject({ ok: false, code: 'unknown-resource' });
  });

  it('reads writer ids in heartbeat marks as plain keys (a "__proto__" writer is not special)', () => {
    const wire = JSON.parse(JSON.stringify(encodeMessage(samples[9]!)).replace('"B":{', '"__proto__":{')) as Value;
    const r = validateMessage(wire, ctx, 'A');
    if (!r.ok || r.msg.type !== 'Heartbeat') return expect.fail(`expected a valid Heartbeat, got ${JSON.stringify(r).slice(0, 120)}`);
    expect(Object.keys(r.msg.marks.entry!)).toEqual(['__proto__']);
  });

  it('keeps the request id of a rejected request so the Error can answer it', () => {
    const r = validateMessage(mutate(samples[2]!, { limit: 'many' }), ctx, 'A');
    expect(r).toMatchObject({ ok: false, reqId: 3, type: 'StateRequest' });
  });
});
