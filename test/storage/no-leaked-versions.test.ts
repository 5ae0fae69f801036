/**
 * invariant:no-leaked-versions (hunt 5, 2026-12): the durable medium at the end of a run against its
 * metadata. End to end: variant storage-dealloc-keeps-previous in test/storage/variants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DurableMeta, StoreImageState } from '../../src/evidence/store-image.ts';
import { leakedVersion } from '../../src/model/storage/no-leaked-versions.ts';
import { loadScenarioFiles } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';

const row = (v: number, prev = -1) => ({ v, prev, sum: 0, prevSum: null, mtime: 0, prevMtime: null });
function image(names: string[], commit: number, blocks: [number, number, number?][], tombstones: [number, number][] = [], root = ['marker', 'meta.json', 'blocks']): StoreImageState {
  const metadata: DurableMeta = { commit, algorithm: null, blocks: new Map(blocks.map(([id, v, prev]) => [id, row(v, prev ?? -1)])), tombstones: new Map(tombstones) };
  return { rootEntries: root, blockEntries: new Map(names.map((n) => [n, new Uint8Array(4)])), metadata };
}

describe('invariant:no-leaked-versions', () => {
  it('accepts current and previous versions, a commit in progress and the last commit\'s garbage', () => {
    expect(leakedVersion(image(['1.3', '1.5', '2.2', '3.6'], 5, [[1, 5, 3], [2, 2]]))).toBeNull(); // 3.6: newer than the commit
    expect(leakedVersion(image(['1.1', '1.3', '1.5'], 5, [[1, 5, 3]]))).toBeNull(); // 1.1: commit 5 rewrote block 1
    expect(leakedVersion(image(['4.2', '4.3'], 5, [], [[4, 5]]))).toBeNull(); // deallocated by commit 5
  });

  it('flags a version an earlier commit should have deleted', () => {
    expect(leakedVersion(image(['4.2'], 7, [], [[4, 5]]))).toEqual({ name: '4.2', why: 'block 4 is deallocated (by commit 5), before the last commit 7' });
    expect(leakedVersion(image(['1.1', '1.3', '1.5'], 6, [[1, 5, 3]]))?.name).toBe('1.1');
  });

  it('does not judge a store between its marker and its finalize, or without metadata', () => {
    expect(leakedVersion(image(['4.2'], 7, [], [[4, 5]], ['marker', 'meta.json', 'pending.json', 'blocks']))).toBeNull();
    expect(leakedVersion({ rootEntries: [], blockEntries: new Map([['1.1', new Uint8Array(1)]]), metadata: null })).toBeNull();
  });

  it("catches the built-in's own leak before its fix: a failed attempt's version of a block the retry deallocates", async () => {
    const swarm = (await loadScenarioFiles([new URL('../../scenarios/storage/swarm.ts', import.meta.url).pathname])).map((l) => l.scenario).find((x) => x.name === 'storage-swarm-file')!;
    const bad = await runScenario(swarm, 241, { variant: 'storage-retry-keeps-attempt' });
    expect(bad.failure?.check).toBe('invariant:no-leaked-versions');
    expect(bad.failure?.message).toMatch(/block entry '14\.15'/);
    expect((await runScenario(swarm, 241)).verdict).toBe('pass');
  });
});
