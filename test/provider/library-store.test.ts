/**
 * The library's durable store on its own (src/impl/provider/library-store.ts): the revision rule every
 * track write decides inside its transaction, moves of content it holds, and duplicate marks that are
 * durable when they resolve and skip a track changed since the marks were computed.
 *
 * The scenarios rarely reach these rules: processing checks the in-memory track before it downloads, so a
 * stale write gets to the store only when two items of one file race (mutation testing found the rule
 * mutated away surviving every provider scenario). Each answer is read back from the simulator's durable
 * kv image, not from the store's memory.
 */
import { describe, expect, it } from 'vitest';
import type { Env, Value } from '../../src/impl/env.ts';
import { LibraryStore, type TrackRec } from '../../src/impl/provider/library-store.ts';
import type { FileMeta } from '../../src/impl/provider/messages.ts';
import { Simulation } from '../../src/sim/simulation.ts';

/** Runs `program` with a store on node A of device D; `durable(store, key)` reads the durable kv image now. */
async function withStore(program: (store: LibraryStore, durable: (store: string, key: string) => Value | undefined, env: Env) => Promise<void>): Promise<void> {
  const sim = new Simulation({ seed: 1 });
  // Relaxed by default (as browsers' IndexedDB is): the store's own strict commits are what makes it durable.
  sim.addDevice('D', { kv: { durability: 'relaxed' } });
  let error: unknown = null;
  let done = false;
  const durable = (store: string, key: string): Value | undefined => sim.device('D').kv.durableSnapshot().get(store)?.get(key);
  sim.addNode('A', {
    device: 'D',
    program: async (env) => {
      const store = new LibraryStore(env);
      await store.load();
      try {
        await program(store, durable, env);
      } catch (e) {
        error = e;
      }
      done = true;
    },
  });
  sim.start('A');
  await sim.run();
  if (error !== null) throw error;
  expect(done).toBe(true);
}

const meta = (rev: number, path = '/a.mp3', hash = `h${rev}`): FileMeta => ({ id: 'f1', path, hash, size: 10, rev });
const track = (v: Value | undefined): TrackRec => v as unknown as TrackRec;

describe('library store: the revision rule of every track write', () => {
  it('refuses an older revision and the same live revision again; a tombstone may replace the live track of its own revision', async () => {
    await withStore(async (store, durable) => {
      expect(await store.applyItem('P1', meta(5), 'five', 'Five')).toBe(true);
      expect(await store.applyItem('P1', meta(3), 'three', 'Three')).toBe(false);
      expect(track(durable('tracks', 'P1/f1'))).toMatchObject({ rev: 5, hash: 'h5', title: 'Five', deleted: false });
      expect(durable('blobs', 'P1/f1')).toEqual({ rev: 5, data: 'five' });
      expect(await store.applyItem('P1', meta(5), 'again', 'Again')).toBe(false);
      expect(durable('blobs', 'P1/f1')).toEqual({ rev: 5, data: 'five' });
      // A full listing's reconciliation deletes at the listing's snapshot, which may equal the track's revision.
      expect(await store.deleteTrack('P1', 'f1', 5)).toBe(true);
      expect(track(durable('tracks', 'P1/f1'))).toMatchObject({ rev: 5, deleted: true });
      expect(durable('blobs', 'P1/f1')).toBeUndefined();
      // The tombstone is not brought back by the live track of its own revision, nor by an older one.
      expect(await store.applyItem('P1', meta(5), 'five', 'Five')).toBe(false);
      expect(await store.deleteTrack('P1', 'f1', 4)).toBe(false);
      expect(track(durable('tracks', 'P1/f1'))).toMatchObject({ rev: 5, deleted: true });
      // A newer revision wins.
      expect(await store.applyItem('P1', meta(7), 'seven', 'Seven')).toBe(true);
      expect(track(durable('tracks', 'P1/f1'))).toMatchObject({ rev: 7, deleted: false, title: 'Seven' });
      expect(store.track('P1', 'f1')).toMatchObject({ rev: 7 });
    });
  });
});

describe('library store: moves', () => {
  it('moves a live track it holds (content kept, at the new revision); refuses one it does not hold or a tombstone', async () => {
    await withStore(async (store, durable) => {
      expect(await store.moveTrack('P1', meta(2, '/b.mp3'))).toBe(false);
      expect(durable('tracks', 'P1/f1')).toBeUndefined();
      expect(await store.applyItem('P1', meta(2), 'two', 'Two')).toBe(true);
      expect(await store.moveTrack('P1', meta(4, '/b.mp3', 'h2'))).toBe(true);
      expect(track(durable('tracks', 'P1/f1'))).toMatchObject({ rev: 4, path: '/b.mp3', hash: 'h2', title: 'Two', deleted: false });
      expect(durable('blobs', 'P1/f1')).toEqual({ rev: 4, data: 'two' });
      expect(await store.deleteTrack('P1', 'f1', 6)).toBe(true);
      expect(await store.moveTrack('P1', meta(8, '/c.mp3', 'h2'))).toBe(false);
      expect(track(durable('tracks', 'P1/f1'))).toMatchObject({ rev: 6, deleted: true });
      expect(durable('blobs', 'P1/f1')).toBeUndefined();
    });
  });
});

describe('library store: duplicate marks', () => {
  it('are durable when they resolve, and skip a track whose revision or state changed since the marks were computed', async () => {
    await withStore(async (store, durable) => {
      await store.applyItem('P1', { ...meta(1), id: 'f1' }, 'song', 'Song');
      await store.applyItem('P1', { ...meta(2), id: 'f2', path: '/b.mp3', hash: 'h1' }, 'song', 'Song');
      const basis = new Map(store.tracksOf('P1').map((t) => [t.fileId, t]));
      expect(await store.markDuplicates('P1', new Map([['f2', 'f1']]), basis)).toBe(1);
      // Durable as soon as it resolves (a strict commit), not at the next background flush.
      expect(track(durable('tracks', 'P1/f2'))).toMatchObject({ dupOf: 'f1', rev: 2 });
      // f2 changed after the basis was read: its stale mark (clearing it here) is not written.
      await store.applyItem('P1', { ...meta(3), id: 'f2', path: '/b.mp3', hash: 'h3' }, 'other', 'Other');
      expect(await store.markDuplicates('P1', new Map([['f2', null]]), basis)).toBe(0);
      expect(await store.markDuplicates('P1', new Map([['f9', 'f1']]), basis)).toBe(0);
      // A durable track missing from the basis, and a basis track the store does not hold: both left alone.
      expect(await store.markDuplicates('P1', new Map([['f1', 'f2']]), new Map())).toBe(0);
      const ghost: TrackRec = { ...basis.get('f1')!, fileId: 'f7' };
      expect(await store.markDuplicates('P1', new Map([['f7', 'f1']]), new Map([['f7', ghost]]))).toBe(0);
      expect(durable('tracks', 'P1/f7')).toBeUndefined();
      expect(track(durable('tracks', 'P1/f1'))).toMatchObject({ dupOf: null });
      expect(track(durable('tracks', 'P1/f2'))).toMatchObject({ rev: 3, hash: 'h3', dupOf: null });
      // A track deleted since (same revision, now a tombstone) is left alone too.
      const basis2 = new Map(store.tracksOf('P1').map((t) => [t.fileId, t]));
      await store.deleteTrack('P1', 'f2', 3);
      expect(await store.markDuplicates('P1', new Map([['f2', 'f1']]), basis2)).toBe(0);
      expect(track(durable('tracks', 'P1/f2'))).toMatchObject({ deleted: true, dupOf: null });
    });
  });
});
