import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, KvTable } from '../../../src/impl/seam/kv-table.ts';
import type { KvKey } from '../../../src/impl/env.ts';

/** The reference: a Map whose keys are sorted on every read. */
function expected(m: Map<KvKey, number>, lower?: KvKey, upper?: KvKey): KvKey[] {
  return [...m.keys()]
    .sort(compareKeys)
    .filter((k) => (lower === undefined || compareKeys(k, lower) >= 0) && (upper === undefined || compareKeys(k, upper) <= 0));
}

const key = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', 'c', 'aa', 'ab', 'z', ''));
const op = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({ op: fc.constant('keys' as const), lower: fc.option(key, { nil: undefined }), upper: fc.option(key, { nil: undefined }) }),
  fc.record({ op: fc.constant('clone' as const) }),
);

describe('KvTable key order (lazy merge)', () => {
  it('matches a sorted Map under random sets, deletes, re-adds, range reads and clones', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        let t = new KvTable();
        const ref = new Map<KvKey, number>();
        for (const o of ops) {
          if (o.op === 'set') {
            expect(t.set(o.key, o.value)).toBe(ref.get(o.key));
            ref.set(o.key, o.value);
          } else if (o.op === 'delete') {
            expect(t.delete(o.key)).toBe(ref.get(o.key));
            ref.delete(o.key);
          } else if (o.op === 'keys') {
            expect(t.keys(o.lower, o.upper)).toEqual(expected(ref, o.lower, o.upper));
          } else {
            t = t.clone();
          }
          expect(t.size).toBe(ref.size);
        }
        expect([...t.entries()]).toEqual(expected(ref).map((k) => [k, ref.get(k)]));
      }),
      { numRuns: 500 },
    );
  });

  it('orders numbers before strings and strings by code unit', () => {
    const t = new KvTable();
    for (const k of ['b', 10, 'a', -1, 'B', 2]) t.set(k, 0);
    t.delete(2);
    t.set(2, 1);
    expect(t.keys()).toEqual([-1, 2, 10, 'B', 'a', 'b']);
  });
});
