import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { parseSeed, parseSeedRange, Rng, SEED_MAX, SeedError } from '../../src/sim/rng.ts';

describe('seeds', () => {
  it('accepts integers 0..2^53-1 and hex strings', () => {
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed('42')).toBe(42);
    expect(parseSeed(String(SEED_MAX))).toBe(SEED_MAX);
    expect(parseSeed('0x1F')).toBe(31);
    expect(parseSeed('0x1fffffffffffff')).toBe(SEED_MAX);
    expect(parseSeed(7)).toBe(7);
  });

  it('leading zeros do not make a seed out of range', () => {
    expect(parseSeed('00000000000000001')).toBe(1);
    expect(parseSeed('000000000000000000009007199254740991')).toBe(SEED_MAX);
    expect(parseSeed('0x000000000000000001f')).toBe(31);
    expect(parseSeed('0000')).toBe(0);
    expect(() => parseSeed('0009007199254740992')).toThrow(/out of range/);
    expect(() => parseSeed('0x0020000000000000')).toThrow(SeedError);
  });

  it('rejects out-of-range and malformed seeds with a clear error', () => {
    for (const bad of ['-1', '9007199254740992', '0x20000000000000', '1.5', 'abc', '', '0x', '12e3']) {
      expect(() => parseSeed(bad), bad).toThrow(SeedError);
    }
    expect(() => parseSeed('9007199254740992')).toThrow(/out of range/);
    expect(() => parseSeed('abc')).toThrow(/not a seed/);
    expect(() => parseSeed(-3)).toThrow(/out of range/);
    expect(() => parseSeed(1.5)).toThrow(/out of range/);
  });

  it('parses inclusive ranges and rejects empty or malformed ones', () => {
    expect(parseSeedRange('0..99')).toEqual({ from: 0, to: 99 });
    expect(parseSeedRange('5')).toEqual({ from: 5, to: 5 });
    expect(parseSeedRange('0x10..0x11')).toEqual({ from: 16, to: 17 });
    expect(() => parseSeedRange('9..1')).toThrow(/empty/);
    expect(() => parseSeedRange('1..')).toThrow(/malformed/);
    expect(() => parseSeedRange('1..2..3')).toThrow(/malformed/);
  });
});

describe('random streams', () => {
  const draws = (r: Rng, n = 20): number[] => Array.from({ length: n }, () => r.float());

  it('the same seed and name give the same stream; other seeds or names differ', () => {
    expect(draws(new Rng(1).fork('net'))).toEqual(draws(new Rng(1).fork('net')));
    expect(draws(new Rng(1).fork('net'))).not.toEqual(draws(new Rng(2).fork('net')));
    expect(draws(new Rng(1).fork('net'))).not.toEqual(draws(new Rng(1).fork('disk')));
  });

  it('drawing from one stream, or forking in another order, never shifts another stream', () => {
    const rootA = new Rng(9);
    const netA = rootA.fork('net');
    const expected = draws(rootA.fork('workload'));
    draws(netA, 1000);
    const rootB = new Rng(9);
    const workloadFirst = rootB.fork('workload');
    rootB.fork('fault/crash');
    expect(draws(workloadFirst)).toEqual(expected);
  });

  it('nested forks are named by path', () => {
    expect(new Rng(3).fork('net').fork('A->B').name).toBe('net/A->B');
    expect(draws(new Rng(3).fork('net').fork('A->B'))).toEqual(draws(new Rng(3).fork('net/A->B')));
  });

  it('helpers stay in range and are roughly uniform', () => {
    const r = new Rng(5);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[r.int(4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(9_000);
    for (let i = 0; i < 1000; i++) {
      const v = r.range(3, 5);
      expect(v >= 3 && v <= 5).toBe(true);
    }
    expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.shuffled([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => r.pick([])).toThrow();
  });
});

describe('the stream is seedrandom\'s alea', () => {
  // The generator steps Alea itself (state in a Float64Array, for speed): every draw must stay exactly
  // seedrandom's, or every recorded seed would replay differently.
  it('float() and bytes() equal seedrandom.alea over many seeds and names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SEED_MAX }), fc.string({ maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (seed, name, n) => {
        const ours = new Rng(seed, name);
        const ref = seedrandom.alea(`${seed}|${name}`);
        for (let i = 0; i < n; i++) expect(ours.float()).toBe(ref());
        const bytes = ours.bytes(n);
        for (let i = 0; i < n; i++) expect(bytes[i]).toBe(Math.floor(ref() * 256));
        expect(ours.float()).toBe(ref());
      }),
      { numRuns: 300 },
    );
  });
});
