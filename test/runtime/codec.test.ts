import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/impl/env.ts';
import { copyValue, decodeValue, encodeValue } from '../../src/runtime/node/codec.ts';
import { LineReader } from '../../src/runtime/node/framing.ts';

/** Arbitrary Values, including binary, non-finite numbers and keys that look like the codec's markers. */
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('$bytes', '$num', '$$x', '__proto__'));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.string(),
    fc.uint8Array({ maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));

/** What a receiver should get: a copy of `v` with -0 made 0 (JSON has no negative zero). */
function expected(v: Value): Value {
  if (Object.is(v, -0)) return 0;
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(expected);
  const out: Record<string, Value> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x !== undefined) Object.defineProperty(out, k, { value: expected(x), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe('runtime value codec', () => {
  it('round-trips every Value through one line of JSON', () => {
    fc.assert(
      fc.property(value, (v) => {
        const line = encodeValue(v as Value);
        expect(line).not.toContain('\n');
        expect(decodeValue(line)).toEqual(expected(v as Value));
      }),
    );
  });

  it('keeps binary data, non-finite numbers and marker-like keys apart', () => {
    const v: Value = { $bytes: 'text', b: new Uint8Array([0, 255]), n: [NaN, -Infinity], $$x: 1 };
    expect(decodeValue(encodeValue(v))).toEqual(v);
    expect(decodeValue(encodeValue({ $bytes: 'AQI=' }))).toEqual({ $bytes: 'AQI=' });
  });

  it('rejects what is not a Value, naming the path', () => {
    expect(() => encodeValue({ a: [1, new Map()] } as unknown as Value)).toThrow(/value.a\[1\] is a Map/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => copyValue(cyclic as Value)).toThrow(/nested deeper than 64/);
  });

  it('splits a stream into lines across chunk boundaries and bounds line length', () => {
    const lines: string[] = [];
    const r = new LineReader(10);
    r.feed(Buffer.from('ab\ncd'), (l) => lines.push(l));
    r.feed(Buffer.from('ef\n\ngh'), (l) => lines.push(l));
    expect(lines).toEqual(['ab', 'cdef', '']);
    expect(r.pendingBytes).toBe(2);
    expect(() => r.feed(Buffer.from('x'.repeat(20)), () => {})).toThrow(/longer than 10 bytes/);
  });
});
