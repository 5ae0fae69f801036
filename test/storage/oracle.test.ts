/**
 * The storage oracle on its own, over a real store on the fake env (every operation immediately durable,
 * so the env's files and kv maps are the durable image): after a reopen it reads the medium, not what
 * `store.recover.done` reports. A medium whose metadata holds other blocks or tombstones than the expected
 * commit fails, even when the store reports the expected digest; so do damaged bytes of a referenced
 * version. The scenarios (storage-tombstone-across-finalize, the swarms) and the variants cover crashes.
 */
import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { fileImage, kvImage } from '../../src/evidence/store-image.ts';
import { StorageOracle, type OracleOptions } from '../../src/model/storage/storage-oracle.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import type { TraceListener } from '../../src/sim/trace.ts';
import { fakeEnv, type FakeEnv } from './_fake-env.ts';

const BS = 64;
const NODE = 'S';
const block = (fill: number): Uint8Array => new Uint8Array(BS).fill(fill);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** An oracle fed by hand: `emit` delivers a record of node S; failures are collected as 'check: message'. */
function harness(options: OracleOptions) {
  const listeners = new Map<string, TraceListener[]>();
  const failures: string[] = [];
  const exercised = new Map<string, number>();
  const trace = {
    on(kind: string, l: TraceListener): () => void {
      listeners.set(kind, [...(listeners.get(kind) ?? []), l]);
      return () => undefined;
    },
  };
  const ctx = {
    trace,
    fail: (_kind: string, check: string, message: string) => void failures.push(`${check}: ${message}`),
    exercised: (name: string) => void exercised.set(name, (exercised.get(name) ?? 0) + 1),
  };
  const oracle = new StorageOracle(ctx as unknown as Pick<ScenarioContext, 'trace' | 'fail'>, options);
  oracle.attach();
  let i = 0;
  const emit = (kind: string, data: Record<string, unknown> = {}, node = NODE): void => {
    const rec = { i, t: i, node, kind, data };
    i++;
    for (const l of listeners.get(kind) ?? []) l(rec);
  };
  emit('node.start', { device: 'D' });
  return { oracle, emit, failures, exercised };
}

/**
 * A fake env whose trace records reach the oracle as they happen (the medium is read at the moment of the
 * record), with the fact that the marker is durable before each marker report (the env is durable at once).
 */
function live(emit: (kind: string, data?: Record<string, unknown>, node?: string) => void, backend: 'file' | 'kv', from?: FakeEnv): FakeEnv {
  const env = fakeEnv(from);
  const root = backend === 'file' ? '/store' : 'store';
  (env as { trace: FakeEnv['trace'] }).trace = {
    emit: (kind, data = {}) => {
      env.records.push({ kind, data });
      if (kind === 'store.commit.marker') emit('fact.store', { device: 'D', backend, root, marker: data.commit, meta: data.commit, epoch: 0, pending: null }, 'sim');
      emit(kind, data);
    },
    probe: () => undefined,
  };
  return env;
}

/** Rewrites the committed metadata on the medium with `change` (its JSON). */
function tamperMeta(env: FakeEnv, backend: 'file' | 'kv', change: (meta: { blocks: number[][]; tombstones: number[][] }) => void): void {
  if (backend === 'kv') {
    change(env.kvData.get('store:meta')!.get('meta') as unknown as { blocks: number[][]; tombstones: number[][] });
    return;
  }
  const bytes = env.files.get('/store/meta.json')!;
  const meta = JSON.parse(decoder.decode(bytes.subarray(9))) as { blocks: number[][]; tombstones: number[][] };
  change(meta);
  const body = encoder.encode(JSON.stringify(meta));
  // The oracle reads the frame's checksum: recompute it the way the format says (crc32 of the body).
  let c = 0xffffffff;
  for (const b of body) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  const head = encoder.encode(`${((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0')}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  env.files.set('/store/meta.json', out);
}

for (const backend of ['file', 'kv'] as const) {
  const image = (env: FakeEnv) => (backend === 'file' ? fileImage(() => env.files, '/store') : kvImage(() => env.kvData, 'store'));

  /**
   * Commit 1 writes 0-3; commit 2 deallocates 1, 2 and 7 (never written: no tombstone); commit 3 rewrites
   * 1 (its tombstone goes), deallocates 2 again (keeps commit 2) and 3. Then a reopen; `tamper` may change
   * the medium before it.
   */
  async function run(tamper?: (env: FakeEnv) => void): Promise<{ failures: string[]; done: Record<string, unknown>; exercised: Map<string, number> }> {
    let env: FakeEnv | null = null;
    const { oracle, emit, failures, exercised } = harness({ durable: () => image(env!) });
    env = live(emit, backend);
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
    emit('node.stop');
    expect(failures).toEqual([]);
    tamper?.(env);
    const again = live(emit, backend, env);
    env = again;
    await BlockStore.open(again, { backend, blockSize: BS });
    return { failures, done: again.records.find((r) => r.kind === 'store.recover.done')!.data, exercised };
  }

  describe(`storage oracle on the medium (${backend})`, () => {
    it('accepts the real store after a reopen and says which invariants it decided', async () => {
      const { failures, done, exercised } = await run();
      expect(failures).toEqual([]);
      expect(done.commit).toBe(3);
      for (const name of ['invariant:atomic-batch', 'invariant:tombstones-persist', 'invariant:checksums-valid', 'invariant:no-stray-files', 'invariant:committed-data-durable']) {
        expect(exercised.get(name), name).toBeGreaterThan(0);
      }
    });

    const wrong: [string, [number, number][]][] = [
      ['a lost tombstone', [[3, 3]]],
      ['a rewritten block still tombstoned', [[1, 2], [2, 2], [3, 3]]],
      ['a tombstone of a block never written', [[2, 2], [3, 3], [7, 2]]],
      ['a tombstone dated by the wrong commit', [[2, 3], [3, 3]]],
    ];
    for (const [what, tombs] of wrong) {
      it(`fails on ${what} on the medium, whatever the store reports`, async () => {
        const { failures } = await run((env) => tamperMeta(env, backend, (m) => (m.tombstones = tombs)));
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatch(/^invariant:tombstones-persist: S: after recovery commit 3 holds \d tombstones, expected 2: /);
      });
    }

    it('fails a medium that holds another version of a block while the store reports the expected digest', async () => {
      // Block 0 listed at version 3 (never written by commit 3): the reopened store reports whatever it loaded.
      const { failures } = await run((env) => tamperMeta(env, backend, (m) => (m.blocks.find((r) => r[0] === 0)![1] = 3)));
      expect(failures[0]).toMatch(/^invariant:atomic-batch: S: after recovery the medium's metadata of commit 3 is not commit 3's state .*block 0: v3 instead of v1/);
    });

    it('fails a referenced block version whose bytes on the medium are not what the workload wrote', async () => {
      const { failures } = await run((env) => {
        const name = backend === 'file' ? '/store/blocks/0.1' : '0.1';
        const bytes = backend === 'file' ? env.files.get(name)! : (env.kvData.get('store:blocks')!.get(name) as Uint8Array);
        bytes[5] = bytes[5]! ^ 1;
      });
      // The store reports the damage itself too; the oracle found it on the medium first.
      expect(failures[0]).toMatch(/^invariant:checksums-valid: S: block 0 v1, referenced by the metadata after recovery, holds other bytes than the workload wrote/);
    });

    it('fails metadata whose checksum of a version is not that of the bytes the workload wrote (hunt 2)', async () => {
      const { failures } = await run((env) => tamperMeta(env, backend, (m) => { const row = m.blocks.find((r) => r[0] === 0)!; row[2] = row[2]! ^ 1; }));
      expect(failures[0]).toMatch(/^invariant:checksums-valid: S: block 0 v1: the metadata after recovery records checksum \d+, which the bytes the workload wrote for it do not have/);
    });

    it('fails metadata that drops or changes the previous version the commit replaced (hunt 2)', async () => {
      // Block 1 was written by commit 3 after its deallocation: no previous version. Claiming v1 is wrong.
      const { failures } = await run((env) => tamperMeta(env, backend, (m) => (m.blocks.find((r) => r[0] === 1)![4] = 1)));
      expect(failures[0]).toMatch(/^invariant:checksums-valid: S: block 1 v3: the metadata after recovery names previous version v1, but commit 3 replaced none/);
    });
  });
}

describe('storage oracle with relaxed commits', () => {
  it('follows a recovery back to an older durable commit: its tombstones, not the newer ones', () => {
    const medium = new Map<string, Map<string, unknown>>();
    const setMedium = (commit: number, blocks: number[][], tombstones: number[][]): void => {
      medium.set('store:meta', new Map<string, unknown>([['meta', { commit, blocks, tombstones }]]));
      medium.set('store:blocks', new Map<string, unknown>(blocks.map(([id, v]) => [`${id}.${v}`, block(v!)])));
    };
    const scenario = (tombsAt1: number[][]): string[] => {
      const { oracle, emit, failures } = harness({ durable: () => kvImage(() => medium, 'store'), relaxedCommits: true });
      setMedium(0, [], []);
      emit('store.recover.done', { commit: 0 });
      oracle.noteWrite(NODE, 1, 0, block(1));
      for (const kind of ['store.commit.begin', 'store.commit.marker-write', 'store.commit.marker']) emit(kind, { commit: 1, upTo: 1 });
      emit('fact.store', { device: 'D', backend: 'kv', root: 'store', marker: 1, meta: 1 }, 'sim');
      oracle.noteWrite(NODE, 2, 0, null);
      for (const kind of ['store.commit.begin', 'store.commit.marker-write', 'store.commit.marker']) emit(kind, { commit: 2, upTo: 2 });
      emit('node.crash');
      // The relaxed commit 2 was lost: the medium holds commit 1.
      setMedium(1, [[0, 1, 0, 0, -1, 0, 0]], tombsAt1);
      emit('store.recover.done', { commit: 1 });
      return failures;
    };
    expect(scenario([])).toEqual([]);
    expect(scenario([[0, 2]])[0]).toMatch(/^invariant:tombstones-persist: S: after recovery commit 1 holds 1 tombstones, expected 0/);
  });
});

describe('storage oracle reads around a commit the store has not confirmed', () => {
  it('accepts the state before a commit the durable image holds until the store reports it (storage-swarm-file seed 247)', () => {
    const medium = new Map<string, Map<string, unknown>>();
    const run = (confirm: boolean): string[] => {
      const { oracle, emit, failures } = harness({ durable: () => kvImage(() => medium, 'store') });
      oracle.noteWrite(NODE, 1, 0, block(1));
      emit('store.commit.begin', { commit: 1, upTo: 1 });
      emit('store.commit.marker-write', { commit: 1 });
      emit('fact.store', { device: 'D', backend: 'kv', root: 'store', marker: 1, meta: 1 }, 'sim');
      emit('store.commit.marker', { commit: 1 });
      oracle.noteWrite(NODE, 2, 0, block(2));
      emit('store.commit.begin', { commit: 2, upTo: 2 });
      emit('store.commit.marker-write', { commit: 2 });
      // The marker write failed as far as the store knows, but the durable image holds commit 2.
      emit('store.commit.failed', { commit: 2, stage: 'marker' });
      emit('fact.store', { device: 'D', backend: 'kv', root: 'store', marker: 2, meta: 2 }, 'sim');
      if (confirm) emit('store.commit.marker', { commit: 2 });
      oracle.verifyRead(NODE, 0, oracle.expected(NODE).get(0), block(1));
      return failures;
    };
    expect(run(false)).toEqual([]);
    expect(run(true)[0]).toMatch(/^invariant:read-returns-committed-data: S: read of block 0 returned bytes that were never committed there; expected v2/);
  });
});

describe('storage oracle and a commit discarded as a retry (EAPPLIED)', () => {
  /** Block 0 written (seq 1), its commit traced as discarded; `told`: the workload's forceSync was refused with EAPPLIED. */
  const run = (told: boolean): { outstanding: number; failures: string[] } => {
    const { oracle, emit, failures } = harness({ durable: () => null });
    const before = oracle.writesNoted(NODE);
    oracle.noteWrite(NODE, 1, 0, block(1));
    emit('store.commit.begin', { commit: 1, upTo: 1 });
    emit('store.commit.discarded', { commit: 1, code: 'EAPPLIED', dirty: false });
    if (told) oracle.noteDiscarded(NODE, before + 1);
    const outstanding = oracle.outstanding(NODE).blocks;
    // The next commit (block 1, seq 2) is acknowledged: the write to block 0 must be in it unless it was discarded.
    oracle.noteWrite(NODE, 2, 1, block(2));
    emit('store.commit.begin', { commit: 1, upTo: 2 });
    emit('store.commit.marker-write', { commit: 1 });
    emit('fact.store', { device: 'D', backend: 'kv', root: 'store', marker: 1, meta: 1 }, 'sim');
    emit('store.commit.marker', { commit: 1 });
    oracle.verifyRead(NODE, 0, oracle.expected(NODE).get(0), null);
    return { outstanding, failures };
  };

  it('drops the batch on the workload\'s word (its forceSync refused with EAPPLIED), never on the store\'s trace record alone', () => {
    expect(run(true)).toEqual({ outstanding: 0, failures: [] });
    const alone = run(false);
    expect(alone.outstanding).toBe(1);
    expect(alone.failures[0]).toMatch(/^invariant:read-returns-committed-data: S: read of block 0 returned nothing; expected v1/);
  });
});

describe('storage oracle with relaxed commits adopts what the visible kv image holds', () => {
  /** Block 0 written, commit 1 begun and reported by the store; the simulator's visible marker holds `visible`. */
  const run = (visible: number | null): { outstanding: number; commit: number; failures: string[] } => {
    const { oracle, emit, failures } = harness({ durable: () => null, relaxedCommits: true, visibleMarker: () => visible });
    oracle.noteWrite(NODE, 1, 0, block(1), 10);
    emit('store.commit.begin', { commit: 1, upTo: 1 });
    emit('store.commit.marker-write', { commit: 1 });
    emit('store.commit.marker', { commit: 1 });
    return { outstanding: oracle.outstanding(NODE).blocks, commit: oracle.commitOf(NODE), failures };
  };

  it('a marker report the image bears out adopts the commit; one it does not adopts nothing (the write stays outstanding)', () => {
    expect(run(1)).toEqual({ outstanding: 0, commit: 1, failures: [] });
    expect(run(null)).toEqual({ outstanding: 1, commit: 0, failures: [] });
    expect(run(0)).toEqual({ outstanding: 1, commit: 0, failures: [] });
  });

  it('a marker in the image of a commit that never began fails commit-sequence', () => {
    expect(run(2).failures[0]).toMatch(/^invariant:commit-sequence: S: the visible kv image holds the marker of commit 2, which never began/);
  });
});

/**
 * Damage at rest (hunt 2, 2026-12): blocks 0 and 1 written by commits 1 and 2 (version 2 current, 1
 * previous), `damage` flips a byte of each named version on the medium (declared as the simulator's
 * `disk.corrupt` / `kv.corrupt` records would, unless `undeclared`), then a reopen and a verified read of
 * each block. A repair is accepted only of a version damaged at rest and only to a previous version that
 * holds the workload's bytes.
 */
for (const backend of ['file', 'kv'] as const) {
  const image = (env: FakeEnv) => (backend === 'file' ? fileImage(() => env.files, '/store') : kvImage(() => env.kvData, 'store'));
  async function damaged(damage: string[], o: { variant?: string; corruption?: 'repair' | 'report'; demandRepair?: boolean; undeclared?: boolean } = {}): Promise<string[]> {
    let env: FakeEnv | null = null;
    const atRest = new Set<string>();
    const { oracle, emit, failures } = harness({ durable: () => image(env!), allowCorruption: true, damagedAtRest: () => atRest, demandRepair: o.demandRepair === true });
    env = live(emit, backend);
    const s = await BlockStore.open(env, { backend, blockSize: BS });
    for (const fill of [1, 2]) {
      for (const id of [0, 1]) oracle.noteWrite(NODE, s.write(id, block(fill * 10 + id)).seq, id, block(fill * 10 + id));
      await s.forceSync();
    }
    await s.close();
    emit('node.stop');
    for (const name of damage) {
      const bytes = backend === 'file' ? env.files.get(`/store/blocks/${name}`)! : (env.kvData.get('store:blocks')!.get(name) as Uint8Array);
      bytes[3] = bytes[3]! ^ 0x10;
      if (o.undeclared !== true) atRest.add(name);
    }
    const again = live(emit, backend, env);
    env = again;
    const s2 = await BlockStore.open(again, { backend, blockSize: BS, corruption: o.corruption ?? 'repair', variant: o.variant ?? '' });
    for (const id of [0, 1]) {
      const before = oracle.expected(NODE).get(id);
      oracle.verifyRead(NODE, id, before, await s2.read(id, { committedOnly: true }).catch((e: unknown) => e as Error));
    }
    return failures;
  }

  describe(`storage oracle: repairs after damage at rest (${backend})`, () => {
    it('accepts a repair to an intact previous version, and reads of it', async () => {
      expect(await damaged(['0.2'])).toEqual([]);
    });
    it('accepts a block left corrupt when both versions are damaged, and a damaged previous version alone', async () => {
      expect(await damaged(['1.2', '1.1'])).toEqual([]);
      expect(await damaged(['0.1'])).toEqual([]);
    });
    it('fails a repair to a previous version that does not verify (storage-repair-unverified-previous)', async () => {
      const failures = await damaged(['1.2', '1.1'], { variant: 'storage-repair-unverified-previous' });
      expect(failures[0]).toMatch(/^invariant:checksums-valid: S: recovery repaired block 1 \(v2, damaged at rest\) to its previous version v1, which holds other bytes than the workload wrote/);
    });
    it('with demandRepair, fails a damaged block left current although its previous version is intact', async () => {
      expect(await damaged(['0.2'], { corruption: 'report' })).toEqual([]);
      expect((await damaged(['0.2'], { corruption: 'report', demandRepair: true }))[0]).toMatch(/^invariant:checksums-valid: S: block 0 v2 was damaged at rest and recovery \(repair mode\) left it current, though its previous version v1 is intact/);
    });
    it('excuses only what the simulator damaged: other bytes nobody damaged at rest fail as before', async () => {
      expect((await damaged(['0.1'], { undeclared: true }))[0]).toMatch(/^invariant:checksums-valid: S: block 0 v1, referenced by the metadata after recovery, holds other bytes/);
      expect((await damaged(['0.2'], { undeclared: true }))[0]).toMatch(/^invariant:atomic-batch: .*block 0: v1 instead of v2/);
    });
  });
}
