/**
 * Shared pieces of the storage scenarios: the node program (a block store, optionally with AutoSync),
 * the oracle check wired to the simulator's durable image, workloads (scripted and random) that tell the
 * oracle what they wrote and what forceSync acknowledged, and verification reads after every recovery.
 */
import { AutoSync, StoreError, openBlockStorage, type BlockStorage, type StoreOptions, type SyncPolicy } from '../../src/impl/storage/index.ts';
import type { Env } from '../../src/impl/env.ts';
import type { NodeProgram } from '../../src/sim/node.ts';
import { ORACLE_INVARIANTS, StorageOracle, type ExpectedBlock } from '../../src/model/storage/storage-oracle.ts';
import { lastCopyCheck } from '../../src/model/storage/last-copy-kept.ts';
import { blockMtimeCheck, judgeStat, type StatAnswer } from '../../src/model/storage/block-mtime.ts';
import { noFalseCorruption } from '../../src/model/storage/no-false-corruption.ts';
import { READ_FAILS_FOR_CAUSE, judgeFailedRead, readCauses } from '../../src/model/storage/read-fails-for-cause.ts';
import { NO_LEAKED_VERSIONS, leakedVersion } from '../../src/model/storage/no-leaked-versions.ts';
import { AUTOSYNC_KEEPS_UP, DIRTY_LIMITS_HONEST, READ_YOUR_WRITES, judgeAutosync, judgeOwnRead, judgeWriteAnswer, type DirtyLimits } from '../../src/model/storage/write-pressure.ts';
import { storeBlocksEvidence } from '../../src/evidence/store-blocks.ts';
import { durableStoreImage } from '../../src/evidence/store-image.ts';
import { storeEvidence, type StoreLocation } from '../../src/evidence/store.ts';
import type { EvidenceRecorder } from '../../src/evidence/types.ts';
import type { Check, Liveness, Scenario, ScenarioContext, Topology } from '../../src/scenario/types.ts';
import type { PersistenceProfile } from '../../src/sim/disk/disk.ts';
import type { ClockSpec } from '../../src/sim/clock.ts';
import type { FaultPlan } from '../../src/faults/plan.ts';
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';

/** What a storage scenario's node returns. */
export interface StoreHandle {
  /** The built-in BlockStore, or the one plugged into the storage seam (`ctx.implementations.storage`). */
  store: BlockStorage;
  auto: AutoSync | null;
  /** The node's environment and the options its store was opened with (static calls: `BlockStore.readCommitted`). */
  env?: Env;
  options?: StoreOptions;
}

/** How a storage scenario sets up its stores. */
export interface StorageSetup {
  backend: 'file' | 'kv';
  blockSize: number;
  /** Block ids used by the workload: 0..blocks-1. */
  blocks: number;
  profile?: PersistenceProfile;
  autosync?: SyncPolicy;
  corruption?: 'report' | 'repair';
  relaxedCommits?: boolean;
  /**
   * The scenario damages the medium on purpose (or flips reads): recovery may find corrupt blocks. The
   * oracle still holds every block version the simulator did not damage at rest to the workload's bytes.
   */
  allowCorruption?: boolean;
  /** Repair mode with damage at rest and no flipped reads: a block with an intact previous version must be repaired. */
  demandRepair?: boolean;
  /** StoreOptions.backpressureBytes / maxDirtyBytes (default: the store's). */
  backpressureBytes?: number;
  maxDirtyBytes?: number;
}

const ORACLE = 'storage.oracle';

/** The seams a storage scenario's program builds its nodes through (withImplementations). */
export const STORAGE_SEAMS = ['storage'] as const;

/** Opens the node's block store through the storage seam: the plugged-in one, else the built-in BlockStore. */
export function openStorage(ctx: ScenarioContext, env: Env, options: StoreOptions): Promise<BlockStorage> {
  return openBlockStorage(ctx.implementations.storage, env, options);
}
const OPEN_ATTEMPTS = 20;

/**
 * `s` with the durable block evidence and the checks that read the durable image: invariant:last-copy-kept,
 * invariant:no-false-corruption and invariant:block-mtime (every storage scenario has them).
 */
export function withLastCopy(s: Scenario): Scenario {
  const checks = (s.checks ?? []).filter((c) => c !== noFalseCorruption);
  return { ...s, evidence: [...(s.evidence ?? []), storeBlocksEvidence()], checks: [...checks, lastCopyCheck(), noFalseCorruption, blockMtimeCheck()] };
}

/** Where the setup's store lives: file root '/store', kv root 'store'. */
export function storeLocation(setup: Pick<StorageSetup, 'backend'>): StoreLocation {
  return setup.backend === 'kv' ? { backend: 'kv', root: 'store' } : { backend: 'file', root: '/store' };
}

/** The evidence the recovery model and the oracle read: the durable commit point of the setup's store. */
export function storageEvidence(setup: Pick<StorageSetup, 'backend'>): EvidenceRecorder[] {
  return [storeEvidence([storeLocation(setup)])];
}

/** One device per node with the setup's disk profile. */
export function storageTopology(nodes: string[], setup: StorageSetup): Topology {
  const devices = Object.fromEntries(nodes.map((n) => [n, { disk: { profile: setup.profile ?? 'strict' } }]));
  return { nodes: nodes.map((id) => ({ id, role: 'store' })), devices };
}

function storeOptions(setup: StorageSetup, variant: string): StoreOptions {
  return {
    backend: setup.backend,
    blockSize: setup.blockSize,
    maxBlocks: Math.max(setup.blocks, 1),
    corruption: setup.corruption ?? 'repair',
    relaxedCommits: setup.relaxedCommits ?? false,
    variant: variant.startsWith('storage-') ? variant : '',
    ...(setup.backpressureBytes === undefined ? {} : { backpressureBytes: setup.backpressureBytes }),
    ...(setup.maxDirtyBytes === undefined ? {} : { maxDirtyBytes: setup.maxDirtyBytes }),
  };
}

/**
 * The node program: open the store through the storage seam (retrying recovery that failed with an I/O
 * error), start AutoSync over it.
 */
export function storeProgram(setup: StorageSetup, ctx: ScenarioContext): NodeProgram {
  return async (env) => {
    let store: BlockStorage | null = null;
    for (let attempt = 1; store === null; attempt++) {
      try {
        store = await openStorage(ctx, env, storeOptions(setup, ctx.variant));
        ctx.exercised('invariant:recoverable');
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'ECORRUPT') {
          // The durable state contradicts itself: a correctness failure of the store, not a crash of it.
          ctx.fail('correctness', 'invariant:recoverable', `${env.nodeId}: recovery found an inconsistent store: ${(e as Error).message}`);
          return new Promise<never>(() => {});
        }
        if ((code !== 'EIO' && code !== 'ENOSPC') || attempt >= OPEN_ATTEMPTS) throw e;
        await env.clock.sleep(20 * attempt);
      }
    }
    const auto = setup.autosync === undefined ? null : new AutoSync(env, store, setup.autosync);
    const handle: StoreHandle = { store, auto, env, options: storeOptions(setup, ctx.variant) };
    return handle;
  };
}

/** The oracle of this run (created by `oracleCheck`). */
export function oracleOf(ctx: ScenarioContext): StorageOracle {
  const o = ctx.shared.get(ORACLE);
  if (!(o instanceof StorageOracle)) throw new Error('storage scenario without oracleCheck()');
  return o;
}

/** The invariants of docs/storage.md, checked by the oracle after every recovery and on verified reads. */
export function oracleCheck(setup: StorageSetup): Check {
  return {
    name: 'storage-oracle',
    covers: [...ORACLE_INVARIANTS, 'invariant:recoverable', READ_FAILS_FOR_CAUSE, NO_LEAKED_VERSIONS],
    setup(ctx) {
      readCauses(ctx);
      const damaged = damagedAtRest(ctx, setup);
      // Repairs onto versions intact at the time: recorded as the repair happens (the damage set of now).
      const ontoIntact = new Map<string, Set<string>>();
      ctx.trace.on('store.recover.repair', (r) => {
        const device = ctx.sim.node(r.node).deviceId;
        const name = `${String(r.data.id)}.${String(r.data.to)}`;
        if (damaged.get(device)?.has(name) === true) return;
        let set = ontoIntact.get(device);
        if (set === undefined) ontoIntact.set(device, (set = new Set()));
        set.add(name);
      });
      const oracle = new StorageOracle(ctx, {
        allowCorruption: setup.allowCorruption ?? false,
        damagedAtRest: (node) => damaged.get(ctx.sim.node(node).deviceId) ?? NO_DAMAGE,
        repairedOntoIntact: (node) => ontoIntact.get(ctx.sim.node(node).deviceId) ?? NO_DAMAGE,
        demandRepair: setup.demandRepair === true,
        durable: (node) => durableStoreImage(ctx.sim, ctx.sim.node(node).deviceId, storeLocation(setup)),
        relaxedCommits: setup.backend === 'kv' && setup.relaxedCommits === true,
        visibleMarker: (node) => visibleKvMarker(ctx, node),
      });
      oracle.attach();
      ctx.shared.set(ORACLE, oracle);
    },
    final(ctx) {
      // Every store that is up at the end: nothing its finalize should have deleted is left (hunt 5).
      for (const [id, node] of ctx.sim.nodes) {
        if (ctx.handle(id) === null) continue;
        const leak = leakedVersion(durableStoreImage(ctx.sim, node.deviceId, storeLocation(setup)).read());
        ctx.exercised(NO_LEAKED_VERSIONS);
        if (leak === null) continue;
        return ctx.fail('correctness', NO_LEAKED_VERSIONS, `${id}: at the end the durable medium still holds block entry '${leak.name}': ${leak.why}, so its finalize should have deleted it (a version leaked while the store ran)`, { name: leak.name });
      }
    },
  };
}

const NO_DAMAGE: ReadonlySet<string> = new Set();

/**
 * The block versions ('<id>.<v>') of the setup's store the simulator damaged at rest, per device: its
 * `disk.corrupt {device, path}` and `kv.corrupt {device, store, key}` records (node 'sim'). A name written
 * again afterwards (a commit number reused after a rollback: `disk.writeFile` of that path by a node of the
 * device, or a kv commit writing that key, from the simulator's commit log) is intact again and forgotten.
 */
function damagedAtRest(ctx: ScenarioContext, setup: StorageSetup): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (device: string, name: string): void => {
    let set = out.get(device);
    if (set === undefined) out.set(device, (set = new Set()));
    set.add(name);
  };
  const loc = storeLocation(setup);
  if (loc.backend === 'file') {
    const dir = `${loc.root}/blocks/`;
    ctx.trace.on('disk.corrupt', (r) => {
      const path = String(r.data.path);
      if (path.startsWith(dir)) add(String(r.data.device), path.slice(dir.length));
    });
    ctx.trace.on('disk.writeFile', (r) => {
      const path = String(r.data.path);
      if (out.size > 0 && path.startsWith(dir)) out.get(ctx.sim.node(r.node).deviceId)?.delete(path.slice(dir.length));
    });
  } else {
    const blocks = `${loc.root}:blocks`;
    ctx.trace.on('kv.corrupt', (r) => {
      if (r.data.store === blocks) add(String(r.data.device), String(r.data.key));
    });
    for (const device of ctx.sim.devices.values()) {
      device.kv.observeCommits((c) => {
        const set = out.get(device.id);
        if (set === undefined || set.size === 0) return;
        for (const w of c.writes) if (w.store === blocks && typeof w.key === 'string' && w.value !== undefined) set.delete(w.key);
      });
    }
  }
  return out;
}

/** The commit of the kv marker (`store:meta` key 'marker') in the simulator's visible image of `node`'s device. */
function visibleKvMarker(ctx: ScenarioContext, node: string): number | null {
  const root = storeLocation({ backend: 'kv' }).root;
  const m = ctx.sim.device(ctx.sim.node(node).deviceId).kv.visibleGet(`${root}:meta`, 'marker') as { commit?: unknown } | undefined;
  return typeof m?.commit === 'number' ? m.commit : null;
}

/** Deterministic block contents from the workload stream. */
export function blockData(ctx: ScenarioContext, size: number): Uint8Array {
  return ctx.rng.bytes(size);
}

/** Writes (data) or deallocates (null) block `id` on `node` now, telling the oracle. False when down. */
export function doWrite(ctx: ScenarioContext, node: string, id: number, data: Uint8Array | null): boolean {
  const h = ctx.handle<StoreHandle>(node);
  if (h === null) return false;
  const oracle = oracleOf(ctx);
  const limits = ctx.shared.get(LIMITS) as DirtyLimits | undefined;
  const before = limits === undefined ? null : oracle.outstanding(node);
  try {
    const ack = data === null ? h.store.deallocate(id) : h.store.write(id, data);
    oracle.noteWrite(node, ack.seq, id, data, ctx.nowMs());
    if (limits !== undefined && data !== null) judgeWriteAnswer(ctx, node, limits, ack.backpressure ? 'backpressure' : 'accepted', before!, oracle.outstanding(node));
    return true;
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    ctx.emit('workload.write-refused', { node, id, code: e.code });
    if (limits !== undefined && data !== null && e.code === 'ELIMIT') judgeWriteAnswer(ctx, node, limits, 'refused', before!, before!);
    return false;
  }
}

const LIMITS = 'storage.dirty-limits';

/**
 * invariant:dirty-limits-honest on every write of the workload (the setup's limits), and, with
 * `autosyncBoundMs`, invariant:autosync-keeps-up polled by `pollAutosync` (src/model/storage/write-pressure.ts).
 */
export function writePressureCheck(setup: StorageSetup, autosyncBoundMs?: number): Check {
  return {
    name: 'storage-write-pressure',
    covers: autosyncBoundMs === undefined ? [DIRTY_LIMITS_HONEST] : [DIRTY_LIMITS_HONEST, AUTOSYNC_KEEPS_UP, CLOSE_WAITS],
    setup(ctx) {
      const backpressureBytes = setup.backpressureBytes ?? 256 * setup.blockSize;
      ctx.shared.set(LIMITS, { blockSize: setup.blockSize, backpressureBytes, maxDirtyBytes: setup.maxDirtyBytes ?? 4 * backpressureBytes } satisfies DirtyLimits);
    },
  };
}

/** Judges every `everyMs` from `fromMs` to `toMs` that `node`'s AutoSync committed its writes within `boundMs`. */
export function pollAutosync(ctx: ScenarioContext, node: string, fromMs: number, toMs: number, everyMs: number, boundMs: number): void {
  for (let t = fromMs; t <= toMs; t += everyMs) {
    ctx.at(t, () => {
      if (ctx.handle<StoreHandle>(node) !== null) judgeAutosync(ctx, node, oracleOf(ctx).outstanding(node), boundMs);
    });
  }
}

/** forceSync on `node`; the oracle learns the acknowledged commit. */
export function doForceSync(ctx: ScenarioContext, node: string): void {
  const h = ctx.handle<StoreHandle>(node);
  if (h === null) return;
  const before = oracleOf(ctx).writesNoted(node);
  const closing = closingStores(ctx).has(h.store);
  const call = h.auto !== null ? h.auto.forceSync() : h.store.forceSync();
  call.then(
    (info) => {
      // The acknowledgment is traced first: the recovery model judges its durability (ackDurable) before
      // the oracle judges what it covers.
      ctx.emit('workload.force-synced', { node, commit: info.commit });
      oracleOf(ctx).noteAck(node, info.commit, before);
      if (!closing && closingStores(ctx).has(h.store)) ctx.exercised(CLOSE_WAITS);
    },
    (e: unknown) => {
      const code = (e as { code?: string }).code ?? String(e);
      ctx.emit('workload.force-sync-failed', { node, code });
      // close() waits for queued commits: a forceSync called before it must not be refused as closed.
      if (!closing && closingStores(ctx).has(h.store)) ctx.exercised(CLOSE_WAITS);
      if (code === 'ECLOSED' && !closing && closingStores(ctx).has(h.store)) {
        ctx.fail('correctness', CLOSE_WAITS, `${node}: a forceSync called before close() was refused with ECLOSED: close did not wait for the queued commit`);
      }
    },
  );
}

const CLOSE_WAITS = 'invariant:close-waits-for-commits';

/**
 * AutoSync's drainAndShutdown on `node`: it promises everything written before it durable and closes the
 * store, so its result is an acknowledgment like a forceSync's (traced `workload.force-synced`; the
 * recovery model's ackDurable and the oracle judge it).
 */
export function doDrain(ctx: ScenarioContext, node: string): void {
  const h = ctx.handle<StoreHandle>(node);
  if (h === null || h.auto === null) return;
  const before = oracleOf(ctx).writesNoted(node);
  closingStores(ctx).add(h.store);
  h.auto.drainAndShutdown().then(
    (info) => {
      ctx.emit('workload.force-synced', { node, commit: info.commit });
      oracleOf(ctx).noteAck(node, info.commit, before);
    },
    (e: unknown) => ctx.emit('workload.drain-failed', { node, code: (e as { code?: string }).code ?? String(e) }),
  );
}

function closingStores(ctx: ScenarioContext): WeakSet<BlockStorage> {
  let s = ctx.shared.get('storage.closing') as WeakSet<BlockStorage> | undefined;
  if (s === undefined) ctx.shared.set('storage.closing', (s = new WeakSet()));
  return s;
}

/** Closes `node`'s store now (a forceSync called before it must still complete: invariant:close-waits-for-commits). */
export function closeStore(ctx: ScenarioContext, node: string): void {
  const h = ctx.handle<StoreHandle>(node);
  if (h === null) return;
  closingStores(ctx).add(h.store);
  void h.store.close().catch(() => undefined);
}

/** Checks invariant:read-your-writes on the reads of `doOwnRead` (a scenario that makes them adds it). */
export const ownReadsCheck: Check = {
  name: 'storage-own-reads',
  covers: [READ_YOUR_WRITES],
  setup(ctx) {
    ctx.shared.set(OWN_READS, true);
  },
};

const OWN_READS = 'storage.own-reads';

/** Reads block `id` on `node` as the store's user sees it (uncommitted writes included): its latest write. */
export function doOwnRead(ctx: ScenarioContext, node: string, id: number): void {
  const h = ctx.handle<StoreHandle>(node);
  if (h === null || ctx.shared.get(OWN_READS) !== true) return;
  const want = oracleOf(ctx).latestWrite(node, id);
  h.store.read(id).then(
    (got) => judgeOwnRead(ctx, node, id, want, got),
    (e: unknown) => judgeOwnRead(ctx, node, id, want, e instanceof Error ? e : new Error(String(e))),
  );
}

/** Reads block `id` (committed only) on `node` and has the oracle verify the result. */
export function doVerifiedRead(ctx: ScenarioContext, node: string, id: number): void {
  const h = ctx.handle<StoreHandle>(node);
  if (h === null) return;
  const oracle = oracleOf(ctx);
  const before: ExpectedBlock | undefined = oracle.expected(node).get(id);
  // The built-in's stat (not part of the seam: asked only of a store that has it), held to the node's clock.
  const stat = (h.store as { stat?: (id: number) => StatAnswer | null }).stat;
  if (typeof stat === 'function') judgeStat(ctx, node, id, stat.call(h.store, id));
  const flipsBefore = readCauses(ctx).count(node, id);
  h.store.read(id, { committedOnly: true }).then(
    (got) => oracle.verifyRead(node, id, before, got),
    // Any error is an acceptable answer to the oracle (ECHECKSUM, an injected EIO...): only wrong bytes are
    // not. An ECHECKSUM must still have a cause on the simulator's records (invariant:read-fails-for-cause).
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      judgeFailedRead(ctx, node, id, flipsBefore, err);
      oracle.verifyRead(node, id, before, err);
    },
  );
}

/** After every recovery of `node`, read back every block id once it is up (ids 0..blocks-1). */
export function verifyAfterRecovery(ctx: ScenarioContext, node: string, blocks: number): void {
  ctx.trace.on('store.recover.done', (rec) => {
    if (rec.node !== node) return;
    let tries = 0;
    const poll = (): void => {
      if (ctx.handle<StoreHandle>(node) === null) {
        if (++tries < 50) ctx.at(ctx.nowMs() + 1, poll);
        return;
      }
      for (let id = 0; id < blocks; id++) doVerifiedRead(ctx, node, id);
      ctx.emit('workload.verified', { node });
    };
    ctx.at(ctx.nowMs() + 0.5, poll);
  });
}

/** Options of the random workload. */
export interface RandomWorkload {
  ops: number;
  everyMs: number;
  fromMs?: number;
  /** Probability per op of: deallocation, forceSync, verified read (the rest are writes). */
  deallocP?: number;
  forceSyncP?: number;
  readP?: number;
}

/** Random writes, deallocations, forceSyncs and verified reads on random nodes. */
export function randomWorkload(ctx: ScenarioContext, nodes: string[], setup: StorageSetup, w: RandomWorkload): void {
  const n = Math.max(1, Math.round(w.ops * ctx.workloadScale));
  const from = w.fromMs ?? 50;
  for (let k = 0; k < n; k++) {
    ctx.at(from + k * w.everyMs, () => {
      const node = ctx.rng.pick(nodes);
      const id = ctx.rng.int(setup.blocks);
      const r = ctx.rng.float();
      let p = w.deallocP ?? 0.05;
      if (r < p) return void doWrite(ctx, node, id, null);
      if (r < (p += w.forceSyncP ?? 0.1)) return doForceSync(ctx, node);
      if (r < (p += w.readP ?? 0.1)) return doVerifiedRead(ctx, node, id);
      doWrite(ctx, node, id, blockData(ctx, setup.blockSize));
    });
  }
}

/** Liveness: every node is up and a forceSync issued after healing completed. */
export function storeLiveness(nodes: string[], withinMs = 5_000): Liveness {
  return {
    withinMs,
    pollMs: 20,
    done(ctx) {
      for (const node of nodes) {
        const h = ctx.handle<StoreHandle>(node);
        if (h === null) return `${node} is not up`;
        const key = `storage.final-sync.${node}`;
        const state = ctx.shared.get(key) as string | undefined;
        if (state === 'done') continue;
        if (state === undefined || state === 'failed') {
          ctx.shared.set(key, 'running');
          const before = oracleOf(ctx).writesNoted(node);
          h.store.forceSync().then(
            (info) => {
              oracleOf(ctx).noteAck(node, info.commit, before);
              ctx.shared.set(key, 'done');
            },
            () => ctx.shared.set(key, 'failed'),
          );
        }
        return `${node}: final forceSync not done yet`;
      }
      return true;
    },
  };
}

/** What a scripted one-node block store scenario sets (`scriptedScenario`). */
export interface ScriptedStorage {
  name: string;
  description: string;
  setup: StorageSetup;
  /** The node running the store. */
  node: string;
  /** The workload, after the re-reads every recovery gets (`verifyAfterRecovery`). */
  script: (ctx: ScenarioContext) => void;
  faults: FaultPlan;
  suites?: string[];
  /** Checks beside the oracle's. */
  checks?: Check[];
  /** The node's clock (offset, drift): default the true time. */
  clock?: ClockSpec;
}

/**
 * A block store scenario over one node with a scripted workload and fault plan: the oracle (and `checks`),
 * the recovery model and the store's evidence, every recovery's blocks read back, 2 s of simulated time.
 */
export function scriptedScenario(o: ScriptedStorage): Scenario {
  const nodes = [o.node];
  const topology = storageTopology(nodes, o.setup);
  return {
    name: o.name,
    description: o.description,
    suites: o.suites ?? ['smoke', 'ci'],
    topology: o.clock === undefined ? topology : { ...topology, nodes: topology.nodes.map((n) => ({ ...n, clock: o.clock })) },
    program: (_node, ctx) => storeProgram(o.setup, ctx),
    seams: STORAGE_SEAMS,
    workload: (ctx) => {
      verifyAfterRecovery(ctx, o.node, o.setup.blocks);
      o.script(ctx);
    },
    faults: o.faults,
    durationMs: 2_000,
    liveness: storeLiveness(nodes),
    checks: [oracleCheck(o.setup), ...(o.checks ?? [])],
    models: [recoveryModel],
    evidence: storageEvidence(o.setup),
    variantAreas: ['storage'],
    probes: STORAGE_PROBES,
  };
}
