/**
 * The wire decoder names the field it refuses: every field of every message type, and the nested fields of
 * a heartbeat (digest, totals, marks, latest), given a value of the wrong kind, fail validation with a reason
 * that starts with the field's path; unknown resources and oversized maps are refused with their own code.
 * (Found by mutation testing: no scenario sends such messages, so the field paths and several refusals
 * could be changed or removed with every scenario passing.)
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage, validateMessage, WIRE_LIMITS, type PeerMessage } from '../../src/impl/peer/messages.ts';
import { ctx, samples, ts } from './fixtures/messages.ts';
import type { Value } from '../../src/impl/env.ts';

const heartbeat = samples[9]!;

/** `m` encoded, with `patch` applied to the top level (or, for a 'a.b' key, inside field a). */
function patched(m: PeerMessage, patch: Record<string, Value>): Value {
  const out = structuredClone(encodeMessage(m)) as Record<string, Value>;
  for (const [k, v] of Object.entries(patch)) {
    const [a, b] = k.split('.');
    if (b === undefined) out[a!] = v;
    else (out[a!] as Record<string, Value>)[b] = v;
  }
  return out;
}

function refusal(v: Value): { code: string; reason: string } {
  const r = validateMessage(v, ctx, 'A');
  if (r.ok) throw new Error('accepted');
  return { code: r.code, reason: r.reason };
}

describe('the wire decoder names the field it refuses', () => {
  const cases = samples.flatMap((m) =>
    Object.keys(encodeMessage(m) as Record<string, Value>)
      .filter((f) => f !== 'type' && f !== 'library' && f !== 'from')
      .map((f) => [m.type, f, m] as const),
  );
  it.each(cases)('%s.%s of the wrong kind', (_type, field, m) => {
    // A negative fraction is of the wrong kind for every field but a plain number, which gets a string.
    const wrong = typeof (encodeMessage(m) as Record<string, Value>)[field] === 'number' ? 'x' : -1.5;
    const r = refusal(patched(m, { [field]: wrong }));
    expect(r.code).toBe('malformed');
    expect(r.reason.startsWith(field)).toBe(true);
  });

  it.each([
    ['digest.entry', 5, 'digest.entry must be a string'],
    ['totals', { entry: -1 }, 'totals.entry must be an integer'],
    ['marks.entry', 5, 'marks.entry must be an object'],
    ['marks.entry', { B: null }, 'marks.entry.B must be a cursor'],
    ['marks.entry', { A: { ts: ts(4), uuid: 'u' } }, "marks.entry lists the sender itself (its own stream is in 'latest')"],
    ['marks.entry', { B: { ts: 'not-a-ts', uuid: 'u' } }, 'marks.entry.B.ts'],
    ['latest.entry', { ts: ts(5), uuid: '' }, 'latest.entry.uuid must be a string'],
  ] as const)('heartbeat %s = %j', (field, value, reason) => {
    const m = field === 'totals' ? samples[3]! : heartbeat;
    const r = refusal(patched(m, { [field]: value as Value }));
    expect(r.code).toBe('malformed');
    expect(r.reason.startsWith(reason)).toBe(true);
  });

  it.each(['latest', 'digest', 'marks'] as const)('heartbeat %s naming a resource this library does not sync: unknown-resource', (field) => {
    const value: Value = field === 'digest' ? { zzz: '1:aa' } : field === 'marks' ? { zzz: {} } : { zzz: null };
    const r = refusal(patched(heartbeat, { [field]: value }));
    expect(r).toEqual({ code: 'unknown-resource', reason: `${field}: resource 'zzz' is not synced by this library` });
  });

  it('response totals naming an unknown resource: unknown-resource', () => {
    expect(refusal(patched(samples[3]!, { totals: { zzz: 1 } }))).toEqual({ code: 'unknown-resource', reason: "totals: resource 'zzz' is not synced by this library" });
  });

  it('maps with more entries than the wire limits are malformed, at the limit they are not', () => {
    const many = (n: number, v: Value): Record<string, Value> => Object.fromEntries(Array.from({ length: n }, (_, k) => [`r${k}`, v]));
    const over = WIRE_LIMITS.resourcesMax + 1;
    expect(refusal(patched(samples[3]!, { totals: many(over, 1) })).reason).toBe(`totals lists more than ${WIRE_LIMITS.resourcesMax} resources`);
    expect(refusal(patched(heartbeat, { marks: many(over, {}) })).reason).toBe(`marks lists more than ${WIRE_LIMITS.resourcesMax} resources`);
    expect(refusal(patched(heartbeat, { latest: many(over, null) }))).toEqual({ code: 'malformed', reason: `latest lists more than ${WIRE_LIMITS.resourcesMax} resources` });
    const writers = Object.fromEntries(Array.from({ length: WIRE_LIMITS.writersMax + 1 }, (_, k) => [`w${k}`, { ts: ts(1, `w${k}`), uuid: 'u' }]));
    expect(refusal(patched(heartbeat, { 'marks.entry': writers })).reason).toBe(`marks.entry lists more than ${WIRE_LIMITS.writersMax} writers`);
    // At the limit: refused only for naming resources this library does not sync, not for the count.
    expect(refusal(patched(samples[3]!, { totals: many(WIRE_LIMITS.resourcesMax, 1) })).code).toBe('unknown-resource');
  });

  it('fields nested in a record and in a heartbeat echo are named by their path', () => {
    for (const k of ['u', 'w', 't'] as const) expect(refusal(patched(samples[0]!, { [`record.${k}`]: 5 })).reason, k).toMatch(new RegExp(`^record\\.${k} `));
    const echoed = patched(heartbeat, { echo: { boot: 'b0', seq: 1, sentMs: 1, heldMs: 0 } });
    expect(validateMessage(echoed, ctx, 'A').ok).toBe(true);
    for (const k of ['boot', 'seq', 'sentMs', 'heldMs'] as const) {
      const bad = structuredClone(echoed) as Record<string, Record<string, Value>>;
      bad.echo![k] = k === 'boot' ? 5 : 'x';
      expect(refusal(bad as Value).reason, k).toMatch(new RegExp(`^echo\\.${k} `));
    }
  });

  it('a change naming a resource this library does not sync, or one of the other kind, is refused with the reason', () => {
    expect(refusal(patched(samples[0]!, { resource: 'zzz' }))).toEqual({ code: 'unknown-resource', reason: "resource 'zzz' is not synced by this library" });
    expect(refusal(patched(samples[0]!, { resource: 'tag' }))).toEqual({ code: 'malformed', reason: "resource 'tag' holds shared data, not owned" });
  });

  it('a record list holds at most recordsMax records: at the limit it is accepted, one more is malformed', () => {
    const list = (n: number): Value[] => Array.from({ length: n }, (_, i) => ({ u: `u${i}`, w: 'B', t: ts(5, 'B'), d: 'x' }));
    expect(validateMessage(patched(samples[3]!, { records: list(WIRE_LIMITS.recordsMax) }), ctx, 'A').ok).toBe(true);
    expect(refusal(patched(samples[3]!, { records: list(WIRE_LIMITS.recordsMax + 1) }))).toEqual({ code: 'malformed', reason: `records must be an array of at most ${WIRE_LIMITS.recordsMax}` });
  });

  it('a heartbeat\'s latest map at resourcesMax entries is refused only for the names it holds, not for its size', () => {
    const many = Object.fromEntries(Array.from({ length: WIRE_LIMITS.resourcesMax }, (_, k) => [`r${k}`, null]));
    expect(refusal(patched(heartbeat, { latest: many })).code).toBe('unknown-resource');
  });

  it('an error message with an unknown code, and a message of an unknown type, are malformed', () => {
    expect(refusal(patched(samples[10]!, { code: 'nope' })).reason).toBe('code must be one of malformed, wrong-library, clock-drift, unknown-resource, busy');
    expect(refusal(patched(samples[10]!, { type: 'Nope' })).reason).toBe("unknown message type 'Nope'");
  });
});
