/**
 * The storage oracle's tombstone invariant (invariant:tombstones-persist) on its own: the tombstones it
 * expects per commit (from the workload's writes and the trace's commit boundaries) match what the real
 * store reports in `store.recover.done`, and a lost, kept or misdated tombstone fails it. The scenarios
 * (storage-tombstone-across-finalize, the swarms) and the storage-drop-tombstones variant cover crashes.
 */
import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { expectedDigest, expectedTombstoneDigest } from '../../src/model/recovery/digest.ts';
import { StorageOracle, type OracleOptions } from '../../src/model/recovery/oracle.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import type { TraceListener } from '../../src/sim/trace.ts';
import { fakeEnv } from './_fake-env.ts';

const BS = 64;
const NODE = 'S';
const block = (fill: number): Uint8Array => new Uint8Array(BS).fill(fill);

/** An oracle fed by hand: `emit` delivers a record of node S; failures are collected as 'check: message'. */
function harness(options: OracleOptions = {}) {
  const listeners = new Map<string, TraceListener[]>();
  const failures: string[] = [];
  const trace = {
    on(kind: string, l: TraceListener): () => void {
      listeners.set(kind, [...(listeners.get(kind) ?? []), l]);
      return () => undefined;
    },
  };
  const ctx = { sim: { trace }, fail: (_kind: string, check: string, message: string) => void failures.push(`${check}: ${message}`) };
  const oracle = new StorageOracle(ctx as unknown as Pick<ScenarioContext, 'sim' | 'fail'>, options);
  oracle.attach();
  let i = 0;
  const emit = (kind: string, data: Record<string, unknown> = {}): void => {
    const rec = { i, t: i, node: NODE, kind, data };
    i++;
    for (const l of listeners.get(kind) ?? []) l(rec);
  };
  return { oracle, emit, failures };
}

describe('invariant:tombstones-persist', () => {
  for (const backend of ['file', 'kv'] as const) {
    /**
     * Commit 1 writes 0-3; commit 2 deallocates 1, 2 and 7 (never written: no tombstone); commit 3 rewrites
     * 1 (its tombstone goes), deallocates 2 again (keeps commit 2) and 3. Then a reopen. `tamper` may change
     * the reopen's `store.recover.done` before the oracle sees it.
     */
    async function run(tamper?: (data: Record<string, unknown>) => void): Promise<{ failures: string[]; done: Record<string, unknown>; tombstoned: number[] }> {
      const { oracle, emit, failures } = harness();
      const env = fakeEnv();
      const s = await BlockStore.open(env, { backend, blockSize: BS });
      const note = (id: number, data: Uint8Array | null): void => oracle.noteWrite(NODE, (data === null ? s.deallocate(id) : s.write(id, data)).seq, id, data);
      for (let id = 0; id < 4; id++) note(id, block(id));
      await s.forceSync();
      for (const id of [1, 2, 7]) note(id, null);
      await s.forceSync();
      note(1, block(9));
      note(2, null);
      note(3, null);
      await s.forceSync();
      await s.close();
      for (const r of env.records) emit(r.kind, r.data);
      emit('node.stop');
      expect(failures).toEqual([]);
      const again = fakeEnv(env);
      const reopened = await BlockStore.open(again, { backend, blockSize: BS });
      for (const r of again.records) {
        if (r.kind === 'store.recover.done') tamper?.(r.data);
        emit(r.kind, r.data);
      }
      const done = again.records.find((r) => r.kind === 'store.recover.done')!.data;
      return { failures, done, tombstoned: [0, 1, 2, 3, 7].filter((id) => reopened.isTombstoned(id)) };
    }

    it(`${backend}: the store's tombstones after a reopen are the ones the oracle expects`, async () => {
      const { failures, done, tombstoned } = await run();
      expect(failures).toEqual([]);
      expect(tombstoned).toEqual([2, 3]);
      expect(done.tombstones).toBe(2);
      expect(done.tombstoneDigest).toBe(expectedTombstoneDigest(new Map([[2, 2], [3, 3]])));
    });

    const wrong: [string, Map<number, number>][] = [
      ['a lost tombstone', new Map([[3, 3]])],
      ['a rewritten block still tombstoned', new Map([[1, 2], [2, 2], [3, 3]])],
      ['a tombstone of a block never written', new Map([[2, 2], [3, 3], [7, 2]])],
      ['a tombstone dated by the wrong commit', new Map([[2, 3], [3, 3]])],
    ];
    for (const [what, tombs] of wrong) {
      it(`${backend}: fails on ${what}`, async () => {
        const { failures } = await run((data) => {
          data.tombstones = tombs.size;
          data.tombstoneDigest = expectedTombstoneDigest(tombs);
        });
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatch(/^invariant:tombstones-persist: S: recovered commit 3 with \d tombstones .*, expected 2 /);
      });
    }
  }

  it('follows a recovery back to an older commit (relaxed commits): its tombstones, not the newer ones', () => {
    const recovered = (commit: number, blocks: Map<number, { v: number }>, tombs: Map<number, number>) => ({
      commit,
      digest: expectedDigest(blocks),
      tombstones: tombs.size,
      tombstoneDigest: expectedTombstoneDigest(tombs),
      corrupt: 0,
      repaired: 0,
    });
    const scenario = (tombsAt1: Map<number, number>): string[] => {
      const { oracle, emit, failures } = harness({ markerIsDurable: false });
      emit('store.recover.done', recovered(0, new Map(), new Map()));
      oracle.noteWrite(NODE, 1, 0, block(1));
      for (const kind of ['store.commit.begin', 'store.commit.marker-write', 'store.commit.marker']) emit(kind, { commit: 1, upTo: 1 });
      oracle.noteWrite(NODE, 2, 0, null);
      for (const kind of ['store.commit.begin', 'store.commit.marker-write', 'store.commit.marker']) emit(kind, { commit: 2, upTo: 2 });
      emit('node.crash');
      emit('store.recover.done', recovered(1, new Map([[0, { v: 1 }]]), tombsAt1));
      return failures;
    };
    expect(scenario(new Map())).toEqual([]);
    expect(scenario(new Map([[0, 2]]))[0]).toMatch(/^invariant:tombstones-persist: S: recovered commit 1 with 1 tombstones/);
  });
});
