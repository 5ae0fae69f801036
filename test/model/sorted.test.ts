/** The shared bisections against a linear count, on sorted arrays with repeats (numbers and strings). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countAtMost, countBelow } from '../../src/model/sorted.ts';

describe('countAtMost / countBelow', () => {
  it('count the leading elements at most / below x, as a scan does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 })), fc.integer({ min: -1, max: 21 }), (xs, x) => {
        const a = [...xs].sort((p, q) => p - q);
        expect(countAtMost(a, x)).toBe(a.filter((v) => v <= x).length);
        expect(countBelow(a, x)).toBe(a.filter((v) => v < x).length);
      }),
    );
  });

  it('order strings as JavaScript compares them', () => {
    const a = ['a', 'b', 'b', 'c'];
    expect(countAtMost(a, 'b')).toBe(3);
    expect(countBelow(a, 'b')).toBe(1);
    expect(countBelow(a, '')).toBe(0);
    expect(countAtMost(a, 'z')).toBe(4);
  });
});
