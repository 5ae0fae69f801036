/**
 * Issue 18: a transient read error must never make recovery destroy committed data. Recovery acts only on
 * damage at rest, confirmed by identical failing reads through two read paths (stable-read.ts); a repair
 * it cannot justify is refused and the block reported corrupt; a torn pending document that is the only
 * copy of a commit the marker reached is not rolled back. Regression: storage-bit-rot-read seed 300184,
 * where two flipped reads that happened to agree made recovery roll block 1 back and delete its good v2.
 */
import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../src/impl/storage/index.ts';
import type { Disk } from '../../src/impl/env.ts';
import { LAST_COPY } from '../../src/model/storage/last-copy-kept.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import media from '../../scenarios/storage/media-faults.ts';
import { fakeEnv, type FakeEnv } from './_fake-env.ts';

const BS = 64;
const block = (fill: number): Uint8Array => new Uint8Array(BS).fill(fill);
const options = { backend: 'file' as const, blockSize: BS, verifyOnOpen: true, corruption: 'repair' as const };

/** A bit-flipped copy of `bytes` (the medium keeps the original). */
const flip = (bytes: Uint8Array, bit: number): Uint8Array => {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

/** `env` restarted with its disk's reads of `path` passed through `readFile` / `read` (positional) filters. */
function flaky(env: FakeEnv, path: string, filter: { readFile?: (b: Uint8Array, n: number) => Uint8Array; read?: (b: Uint8Array, n: number) => Uint8Array }): FakeEnv {
  const next = fakeEnv(env);
  const disk = next.disk;
  let files = 0;
  let reads = 0;
  const wrapped: Disk = {
    ...disk,
    readFile: async (p) => {
      const b = await disk.readFile(p);
      return p === path && filter.readFile !== undefined ? filter.readFile(b, files++) : b;
    },
    read: async (p, off, len) => {
      const b = await disk.read(p, off, len);
      return p === path && filter.read !== undefined ? filter.read(b, reads++) : b;
    },
  };
  return { ...next, disk: wrapped };
}

/** A store with commit 1 (blocks 1, 2) and commit 2 (block 1 again): block 1 is at v2 with v1 kept. */
async function twoCommits(): Promise<FakeEnv> {
  const env = fakeEnv();
  const s = await BlockStore.open(env, options);
  s.write(1, block(1));
  s.write(2, block(2));
  await s.forceSync();
  s.write(1, block(3));
  await s.forceSync();
  return env;
}

/** Commit 2 (block 1 again) took effect but its finalize failed: marker 2, meta.json 1, pending.json 2. */
async function markerAheadOfMeta(): Promise<FakeEnv> {
  const env = fakeEnv();
  const s = await BlockStore.open(env, options);
  s.write(1, block(1));
  await s.forceSync();
  s.write(1, block(2));
  env.failNext('rename', 'EIO', 1); // the marker rename succeeds, finalize's rename of pending.json fails
  await s.forceSync().catch(() => undefined);
  expect(env.files.has('/store/pending.json')).toBe(true);
  return env;
}

const kinds = (env: FakeEnv): string[] => env.records.map((r) => r.kind);

describe('recovery under transient read errors', () => {
  it('does not repair on two flipped reads that agree (the seed 300184 pattern)', async () => {
    const env = await twoCommits();
    const again = flaky(env, '/store/blocks/1.2', { readFile: (b, n) => (n < 2 ? flip(b, 77) : b) });
    const s = await BlockStore.open(again, options);
    expect(s.stat(1)!.version).toBe(2);
    expect(s.summary()).toMatchObject({ commit: 2, corrupt: [] });
    expect(env.files.has('/store/blocks/1.2')).toBe(true);
    expect(kinds(again)).not.toContain('store.recover.repair');
  });

  it('trusts the independent read path when the ordinary one keeps returning the same wrong bytes', async () => {
    const env = await twoCommits();
    const again = flaky(env, '/store/blocks/1.2', { readFile: (b) => flip(b, 77) });
    const s = await BlockStore.open(again, options);
    expect(s.stat(1)!.version).toBe(2);
    expect(s.summary().corrupt).toEqual([]);
    expect(env.files.has('/store/blocks/1.2')).toBe(true);
  });

  it('refuses the repair when the failing bytes repeat on one path only, and reports the block corrupt', async () => {
    const env = await twoCommits();
    const again = flaky(env, '/store/blocks/1.2', { readFile: (b) => flip(b, 77), read: (b, n) => flip(b, 100 + n) });
    const s = await BlockStore.open(again, options);
    expect(s.summary()).toMatchObject({ commit: 2, corrupt: [1] });
    expect(s.stat(1)!.version).toBe(2); // not rolled back
    expect(env.files.has('/store/blocks/1.2')).toBe(true);
    expect(again.records.find((r) => r.kind === 'store.recover.corrupt')?.data).toEqual({ id: 1, v: 2, mode: 'repair', confirmed: false });
    await expect(s.read(1)).rejects.toThrow(/ECHECKSUM/);
    // A later open with sound reads finds the block intact: nothing was lost.
    const later = await BlockStore.open(fakeEnv(env), options);
    expect(later.summary().corrupt).toEqual([]);
    expect(await later.read(1)).toEqual(block(3));
  });

  it('still repairs damage at rest (the same wrong bytes through both paths)', async () => {
    const env = await twoCommits();
    env.files.set('/store/blocks/1.2', flip(env.files.get('/store/blocks/1.2')!, 5));
    const s = await BlockStore.open(fakeEnv(env), options);
    expect(s.stat(1)!.version).toBe(1);
    expect(env.files.has('/store/blocks/1.2')).toBe(false);
  });

  it('does not roll back a commit on marker reads whose failures agree by chance', async () => {
    const env = await markerAheadOfMeta();
    const again = flaky(env, '/store/marker', { readFile: (b, n) => (n < 2 ? flip(b, 9) : b) });
    const s = await BlockStore.open(again, options);
    expect(s.summary()).toMatchObject({ commit: 2, corrupt: [] });
    expect(kinds(again)).toContain('store.recover.finalize');
    expect(await s.read(1)).toEqual(block(2));
  });

  it('does not roll back torn pending metadata that is the only copy of a commit the marker reached', async () => {
    const env = await markerAheadOfMeta();
    const pending = env.files.get('/store/pending.json')!;
    env.files.set('/store/pending.json', flip(pending, pending.length * 8 - 20)); // rot at rest
    await expect(BlockStore.open(fakeEnv(env), options)).rejects.toThrow(/ECORRUPT/);
    expect(env.files.has('/store/pending.json')).toBe(true);
    expect(env.files.has('/store/blocks/1.2')).toBe(true);
  });
});

describe('storage-bit-rot-read seed 300184', () => {
  const bitRot = media.find((s) => s.name === 'storage-bit-rot-read')!;
  it('passes: recovery no longer rolls block 1 back on two flipped reads', async () => {
    const r = await runScenario(bitRot, 300184);
    expect(r.failure).toBeNull();
  });
  it('the old repair behaviour (variant) fails it, caught by invariant:last-copy-kept, and by invariant:atomic-batch without it', async () => {
    const bad = await runScenario(bitRot, 300184, { variant: 'storage-repair-on-transient-read' });
    expect(bad.failure?.check).toBe(LAST_COPY);
    expect(bad.failure?.message).toMatch(/1\.2 rolled-back/);
    const withoutLastCopy: Scenario = { ...bitRot, checks: bitRot.checks!.filter((c) => c.name !== LAST_COPY) };
    const old = await runScenario(withoutLastCopy, 300184, { variant: 'storage-repair-on-transient-read' });
    expect(old.failure?.check).toBe('invariant:atomic-batch');
  });
});
