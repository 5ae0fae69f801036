/**
 * `fact.store-blocks` says which committed block versions the durable image holds intact: decoded from
 * the documented formats (its checksums agree with the store's for both algorithms), emitted at every
 * node start and after each durable change, on both backends, and it shows what a recovery did.
 */
import { describe, expect, it } from 'vitest';
import { blockChecksum } from '../../src/evidence/block-checksum.ts';
import { committedBlocks, decodeMeta, storeBlocksEvidence } from '../../src/evidence/store-blocks.ts';
import { checksum } from '../../src/impl/storage/checksum.ts';
import { metaToJson, type StoreMeta } from '../../src/impl/storage/format.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

async function scenario(name: string): Promise<Scenario> {
  const s = (await loadScenarios()).find((x) => x.scenario.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s.scenario;
}

async function trace(s: Scenario, seed: number, variant = ''): Promise<TraceRecord[]> {
  const out: TraceRecord[] = [];
  await runScenario(s, seed, { variant, traceSink: (l) => out.push(JSON.parse(l) as TraceRecord) });
  return out;
}

const lastBefore = (facts: TraceRecord[], i: number): TraceRecord | undefined => facts.filter((f) => f.i < i).pop();

describe('block checksums (evidence side)', () => {
  it('agree with the store on both algorithms', () => {
    let seed = 7;
    for (const size of [0, 1, 3, 16, 61, 2048]) {
      const bytes = Uint8Array.from({ length: size }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      for (const algorithm of ['crc32', 'fast'] as const) expect(blockChecksum(algorithm, bytes), `${algorithm} ${size}`).toBe(checksum(algorithm, bytes));
    }
  });
});

describe('committedBlocks', () => {
  const good = new Uint8Array(16).fill(1);
  const other = new Uint8Array(16).fill(2);
  for (const algorithm of ['crc32', 'fast'] as const) {
    const meta = (commit: number, rows: [number, number][]): StoreMeta => ({
      commit,
      epoch: 0,
      blockSize: 16,
      algorithm,
      blocks: new Map(rows.map(([id, v]) => [id, { v, sum: checksum(algorithm, good), mtime: 0, prev: null }])),
      tombstones: new Map(),
    });
    it(`tells intact, damaged and missing versions apart (${algorithm})`, () => {
      const m = decodeMeta(metaToJson(meta(2, [[0, 1], [1, 2], [2, 2]])));
      const disk = new Map([['0.1', good], ['1.2', other]]);
      expect(committedBlocks(2, m, null, (n) => disk.get(n))).toEqual({ commit: 2, current: ['0.1', '1.2', '2.2'], missing: ['2.2'], damaged: ['1.2'] });
    });
    it(`takes the pending metadata once the marker reached it, not before (${algorithm})`, () => {
      const m = decodeMeta(metaToJson(meta(1, [[0, 1]])));
      const p = decodeMeta(metaToJson(meta(2, [[0, 2]])));
      const disk = new Map([['0.1', good], ['0.2', good]]);
      expect(committedBlocks(2, m, p, (n) => disk.get(n))?.current).toEqual(['0.2']);
      expect(committedBlocks(1, m, p, (n) => disk.get(n))?.current).toEqual(['0.1']);
      // The marker above every metadata: the committed metadata is lost.
      expect(committedBlocks(3, m, p, (n) => disk.get(n))).toMatchObject({ commit: 3, current: null });
      expect(committedBlocks(null, null, null, () => undefined)).toBeNull();
    });
  }
});

describe('fact.store-blocks', () => {
  it('follows the file backend: a fact at every node start, the committed versions before the store reports the marker', async () => {
    const s = await scenario('storage-crash-before-marker');
    const recs = await trace({ ...s, evidence: [...(s.evidence ?? []).filter((r) => r.name !== 'store-blocks'), storeBlocksEvidence()] }, 0);
    const facts = recs.filter((r) => r.kind === 'fact.store-blocks');
    for (const m of recs.filter((r) => r.kind === 'store.commit.marker')) expect(lastBefore(facts, m.i)?.data.commit).toBe(m.data.commit);
    const starts = recs.filter((r) => r.kind === 'node.start');
    expect(starts.length).toBeGreaterThan(1);
    for (const st of starts.slice(1)) {
      const f = facts.find((x) => x.i > st.i)!;
      // Right after node.start (other recorders' facts may come first), before the store opens.
      const open = recs.find((x) => x.i > st.i && x.kind.startsWith('store.'))!;
      expect(f.i).toBeLessThan(open.i);
      expect(recs.slice(st.i + 1, f.i).every((x) => x.kind.startsWith('fact.'))).toBe(true);
      expect(f.data).toMatchObject({ device: 'S', backend: 'file', root: '/store', commit: 1, missing: [], damaged: [] });
    }
  });

  it('follows the kv backend', async () => {
    const s = await scenario('storage-kv-crash-after-commit');
    const recs = await trace({ ...s, evidence: [...(s.evidence ?? []).filter((r) => r.name !== 'store-blocks'), storeBlocksEvidence()] }, 0);
    const facts = recs.filter((r) => r.kind === 'fact.store-blocks' && r.data.backend === 'kv');
    expect(facts.length).toBeGreaterThan(1);
    for (const m of recs.filter((r) => r.kind === 'store.commit.marker')) expect(lastBefore(facts, m.i + 1)?.data.commit).toBe(m.data.commit);
    for (const f of facts) expect(f.data.damaged).toEqual([]);
  });

  it('shows the old repair rolling a good block back (storage-bit-rot-read seed 300184, variant)', async () => {
    const s = await scenario('storage-bit-rot-read');
    const recs = await trace({ ...s, evidence: [...(s.evidence ?? []).filter((r) => r.name !== 'store-blocks'), storeBlocksEvidence()] }, 300184, 'storage-repair-on-transient-read');
    const repair = recs.find((r) => r.kind === 'store.recover.repair')!;
    expect(repair.data).toEqual({ id: 1, from: 2, to: 1 });
    const facts = recs.filter((r) => r.kind === 'fact.store-blocks');
    const before = lastBefore(facts, repair.i)!;
    expect(before.data.current).toContain('1.2');
    expect(before.data.damaged).toEqual([]); // the medium was intact: the flips were on the way
    const after = facts.find((f) => f.i > repair.i)!;
    expect(after.data).toMatchObject({ commit: 2 });
    expect(after.data.current).toContain('1.1');
  });
});
