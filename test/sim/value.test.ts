import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/impl/env.ts';
import { Fifo } from '../../src/sim/fifo.ts';
import { copyValue, messageType, VALUE_DEPTH_MAX, ValueCloneError } from '../../src/impl/seam/value.ts';

describe('copyValue', () => {
  it('copies deeply: no shared arrays, objects or byte buffers', () => {
    const original = { a: [1, { b: 'x' }], bytes: new Uint8Array([1, 2, 3]), n: null, u: undefined, t: true };
    const copy = copyValue(original) as typeof original;
    expect(copy).toEqual(original);
    expect('u' in copy).toBe(true);
    expect(copy.a).not.toBe(original.a);
    expect(copy.a[1]).not.toBe(original.a[1]);
    expect(copy.bytes).not.toBe(original.bytes);
    copy.bytes[0] = 9;
    expect(original.bytes[0]).toBe(1);
  });

  it('keeps an own __proto__ key as data instead of changing the prototype', () => {
    const original = JSON.parse('{"__proto__": {"polluted": true}}') as Value;
    const copy = copyValue(original) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('rejects non-Values and cycles, naming where', () => {
    expect(() => copyValue({ m: new Map() } as unknown as Value)).toThrow(/message\.m is a Map/);
    expect(() => copyValue([1, 2n] as unknown as Value)).toThrow(/message\[1\] is a bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => copyValue(cyclic as Value)).toThrow(ValueCloneError);
    expect(() => copyValue(cyclic as Value)).toThrow(new RegExp(`deeper than ${VALUE_DEPTH_MAX}`));
  });

  it('accepts nesting up to the limit and rejects one level more, as the path-tracking copy does', () => {
    const nest = (levels: number): Value => {
      let v: Value = 'leaf';
      for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { k: v };
      return v;
    };
    expect(copyValue(nest(VALUE_DEPTH_MAX))).toEqual(nest(VALUE_DEPTH_MAX));
    expect(() => copyValue(nest(VALUE_DEPTH_MAX + 1))).toThrow(new RegExp(`deeper than ${VALUE_DEPTH_MAX}`));
  });

  it('copies any JSON value equal to itself, and names a bad part at any depth', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const copy = copyValue(v as Value);
        expect(copy).toEqual(v);
        if (v !== null && typeof v === 'object') expect(copy).not.toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 8 }), (path) => {
        const root: Record<string, unknown> = {};
        let at = root;
        for (const k of path.slice(0, -1)) at = at[k] = { ok: 1 } as Record<string, unknown>;
        at[path[path.length - 1]!] = new Set();
        expect(() => copyValue(root as Value)).toThrow(`message.${path.join('.')} is a Set`);
      }),
    );
  });

  it('finds the string type field of object messages only', () => {
    expect(messageType({ type: 'hello' })).toBe('hello');
    expect(messageType({ type: 3 })).toBeUndefined();
    expect(messageType(['type'])).toBeUndefined();
    expect(messageType('hello')).toBeUndefined();
  });
});

describe('Fifo', () => {
  it('is first-in first-out across compactions', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.shift()!);
    }
    while (q.length > 0) out.push(q.shift()!);
    expect(out).toEqual([...Array(5000).keys()]);
    expect(q.shift()).toBeUndefined();
  });
});
