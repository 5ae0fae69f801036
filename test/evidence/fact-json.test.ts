/**
 * The client-server facts' JSON writers (cs-client.ts, cs-server.ts) write the text `JSON.stringify(fact)`
 * writes: the trace hash is over that text.
 */
import { describe, expect, it } from 'vitest';
import { clientFactJson, type CsClientFact } from '../../src/evidence/cs-client.ts';
import { serverFactJson, type CsServerFact } from '../../src/evidence/cs-server.ts';

/** A small deterministic generator (a test's own: no Math.random). */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.floor((s / 0x80000000) * n);
  };
}

describe('fact JSON writers', () => {
  const strings = ['', 'a', 'C1', 'book\u0000book-1\u0000title', 'q"uote', 'back\\slash', 'nl\n', '\u2028', '\ud800', 'é', 'b0989b23-e0c1-4758-bfc1-8bd31704eb72'];
  const nums = [0, -0, 1, -1, 1.5, 2 ** 53, 1e21, Number.NaN, Number.POSITIVE_INFINITY];
  it('write fact.cs.client as JSON.stringify does', () => {
    const r = rng(3);
    const json = clientFactJson();
    const s = (): string => strings[r(strings.length)]!;
    const n = (): number => nums[r(nums.length)]!;
    const some = <T>(f: () => T): T[] => Array.from({ length: r(3) }, f);
    for (let i = 0; i < 2_000; i++) {
      const fact: CsClientFact = {
        device: ['C1', 'C2'][r(2)]!,
        site: r(4) === 0 ? null : s(),
        server: r(4) === 0 ? null : s(),
        cursor: n(),
        acked: n(),
        version: n(),
        local: some(n),
        localRemoved: n(),
        cells: some(() => [s(), r(3) === 0 ? null : s(), n(), s()]),
        unsaved: some(s),
        unsavedRemoved: some(s),
      };
      expect(json(fact)).toBe(JSON.stringify(fact));
    }
  });
  it('write fact.cs.server as JSON.stringify does', () => {
    const r = rng(5);
    const json = serverFactJson();
    const s = (): string => strings[r(strings.length)]!;
    const n = (): number => nums[r(nums.length)]!;
    for (let i = 0; i < 2_000; i++) {
      const fact: CsServerFact = {
        device: 'server',
        site: r(4) === 0 ? null : s(),
        schema: r(4) === 0 ? null : n(),
        head: r(4) === 0 ? null : n(),
        added: Array.from({ length: r(3) }, () => [n(), s(), n(), s(), s(), s(), r(3) === 0 ? null : s(), n()]),
        removed: n(),
      };
      expect(json(fact)).toBe(JSON.stringify(fact));
    }
  });
});
