import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareHlc, formatHlc, HlcClock, HlcDriftError, parseHlc, type Hlc } from '../../src/impl/peer/hlc.ts';

describe('HLC', () => {
  it('string form parses back exactly and sorts like the HLC order', () => {
    const hlc = fc.record({
      physicalMs: fc.integer({ min: 0, max: 10 ** 14 }),
      counter: fc.integer({ min: 0, max: 999_999 }),
      device: fc.stringMatching(/^[A-Za-z0-9_.:/-]{1,12}$/),
    });
    fc.assert(
      fc.property(hlc, hlc, (a: Hlc, b: Hlc) => {
        expect(parseHlc(formatHlc(a))).toEqual(a);
        if (a.device === b.device) {
          const byString = formatHlc(a) < formatHlc(b) ? -1 : formatHlc(a) > formatHlc(b) ? 1 : 0;
          expect(Math.sign(compareHlc(a, b))).toBe(byString);
        }
      }),
    );
  });

  it('rejects strings that are not HLCs, naming the input', () => {
    expect(() => parseHlc('12-3-A')).toThrow(/'12-3-A' is not an HLC/);
    expect(() => parseHlc('000000000000001-000001-')).toThrow(RangeError);
  });

  it('ticks strictly increase whatever the wall clock does, and follow every observed remote', () => {
    const steps = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('wall' as const), deltaMs: fc.integer({ min: -5_000, max: 5_000 }) }),
        fc.record({ kind: fc.constant('tick' as const) }),
        fc.record({ kind: fc.constant('observe' as const), aheadMs: fc.integer({ min: -5_000, max: 5_000 }), counter: fc.integer({ min: 0, max: 50 }) }),
      ),
      { maxLength: 200 },
    );
    fc.assert(
      fc.property(steps, (ops) => {
        let wall = 1_700_000_000_000;
        const clock = new HlcClock('A', () => wall, 10_000);
        let last: Hlc | null = null;
        for (const op of ops) {
          if (op.kind === 'wall') wall += op.deltaMs;
          else if (op.kind === 'tick') {
            const t = clock.tick();
            if (last !== null) expect(compareHlc(t, last)).toBeGreaterThan(0);
            last = t;
          } else {
            const remote = { physicalMs: wall + op.aheadMs, counter: op.counter, device: 'B' };
            clock.observe(remote);
            const t = clock.tick();
            expect(compareHlc(t, remote)).toBeGreaterThan(0);
            if (last !== null) expect(compareHlc(t, last)).toBeGreaterThan(0);
            last = t;
          }
        }
      }),
    );
  });

  it('rejects a remote further ahead than the maximum drift and stays unchanged', () => {
    const clock = new HlcClock('A', () => 1_000_000, 500);
    const before = clock.peek();
    expect(() => clock.observe({ physicalMs: 1_000_501, counter: 0, device: 'B' })).toThrow(HlcDriftError);
    expect(clock.peek()).toEqual(before);
    clock.observe({ physicalMs: 1_000_500, counter: 7, device: 'B' });
    expect(clock.tick()).toEqual({ physicalMs: 1_000_500, counter: 8, device: 'A' });
  });

  it('restores a floor found on disk so a restart with a clock stepped back never reissues', () => {
    const clock = new HlcClock('A', () => 5, 1_000);
    clock.restoreFloor({ physicalMs: 900, counter: 3, device: 'A' });
    expect(clock.tick()).toEqual({ physicalMs: 900, counter: 4, device: 'A' });
  });

  it('throws on a bad maxDriftMs naming the field', () => {
    expect(() => new HlcClock('A', () => 0, 0)).toThrow(/maxDriftMs/);
  });
});
