/**
 * Crash-point exploration of one block-store commit.
 *
 * Setup: a store on one device commits a base batch (blocks 0..n-1), then the *target* commit rewrites
 * most of them, adds new ones and deallocates two. A counting run records the virtual time of every disk
 * operation from the start of the target commit to the end of its finalize. Each trial then replays the
 * same seed and cuts the power exactly before the k-th of those operations (or after the last), with
 * explicit outcomes for the operations still pending (`SimDisk.powerLossWith`), restarts the node, lets
 * recovery run, restarts it once more (a second recovery of the recovered state) and checks:
 *   - everything the storage oracle checks after a recovery (src/model/storage/storage-oracle.ts): all old or all
 *     new, acknowledged and durably-marked commits survive, nothing newer than the marker, no stray files,
 *     committed data durable, checksums valid;
 *   - the recovery model accepts the trace (with the durable commit point recorded as fact.store);
 *   - idempotence: the second recovery changes nothing (same digest, same durable image);
 *   - every block reads back as expected.
 *
 * (a) Exhaustive: every boundary under each persistence profile; for 'strict' the only outcome, for
 *     'ordered' every prefix of the pending operations, for 'weak' every combination of allowed outcomes
 *     when there are at most `weakExhaustiveMax`, else `weakSamples` seeded combinations.
 * (b) Randomized: each seed picks a boundary, and the disk draws the outcomes from its own seeded stream;
 *     half the seeds also cut the power again during the recovery that follows (recovery idempotence).
 *
 * Tooling, not a model: it imports the simulator, the implementation and the checks.
 */
import { BlockStore } from '../impl/storage/index.ts';
import { ModelMonitor } from '../model/monitor.ts';
import { sameBytes } from '../model/storage/block-digest.ts';
import { StorageOracle } from '../model/storage/storage-oracle.ts';
import { durableStoreImage } from '../evidence/store-image.ts';
import { storeEvidence, type StoreLocation } from '../evidence/store.ts';
import { recoveryModel } from '../model/storage/recovery-model.ts';
import type { OutcomeChooser, PendingOp, PendingOutcome, PersistenceProfile } from '../sim/disk/disk.ts';
import { Rng } from '../sim/rng.ts';
import { Simulation } from '../sim/simulation.ts';
import type { Failure } from '../sim/types.ts';

/** What to explore. */
export interface CrashExploreOptions {
  profile: PersistenceProfile;
  /** Blocks in the base commit; the target commit writes this many (most rewritten, a quarter new). */
  blocks?: number;
  blockSize?: number;
  /** Weakened variant of the store ('' for the real one). */
  variant?: string;
  /** Seed of the simulation (latencies) and of the weak-outcome sampling. */
  seed?: number;
  /** Enumerate weak outcome combinations up to this many per boundary; sample above. */
  weakExhaustiveMax?: number;
  /** Weak combinations sampled per boundary when there are more. */
  weakSamples?: number;
  /** Stop at the first failure (default true). */
  stopAtFirstFailure?: boolean;
  /** Step the recovery model over each trial's trace (default true); off, only the invariants judge. */
  checkModel?: boolean;
}

/** One failed trial. */
export interface CrashTrialFailure {
  /** Operation index (0-based) the power was cut before; `boundaries - 1` is after the last one; -1: the run without a crash failed. */
  boundary: number;
  /** Outcomes of the pending operations, in order. */
  outcomes: PendingOutcome[];
  failure: Failure;
}

/** What an exploration did. */
export interface CrashExploreResult {
  profile: PersistenceProfile;
  /** Crash points: one before each disk operation of the commit, plus one after the last. */
  boundaries: number;
  trials: number;
  /** Boundaries whose weak combinations were sampled instead of enumerated. */
  sampledBoundaries: number;
  /** Power losses applied over all trials (more than trials when recoveries were cut too). */
  powerLosses: number;
  failures: CrashTrialFailure[];
  wallMs: number;
}

const NODE = 'S';
const DEVICE = 'D';
const STORE: StoreLocation = { backend: 'file', root: '/store' };

interface Resolved {
  profile: PersistenceProfile;
  blocks: number;
  blockSize: number;
  variant: string;
  seed: number;
  weakExhaustiveMax: number;
  weakSamples: number;
  stopAtFirstFailure: boolean;
  checkModel: boolean;
}

function resolve(o: CrashExploreOptions): Resolved {
  const blocks = o.blocks ?? 16;
  if (!Number.isInteger(blocks) || blocks < 4 || blocks > 256) throw new RangeError(`CrashExploreOptions.blocks: expected 4..256, got ${blocks}`);
  return {
    profile: o.profile,
    blocks,
    blockSize: o.blockSize ?? 2048,
    variant: o.variant ?? '',
    seed: o.seed ?? 1,
    weakExhaustiveMax: o.weakExhaustiveMax ?? 64,
    weakSamples: o.weakSamples ?? 16,
    stopAtFirstFailure: o.stopAtFirstFailure ?? true,
    checkModel: o.checkModel ?? true,
  };
}

/** A crash to apply in a trial: at virtual time `atUs`, with outcomes chosen by `choose`. */
interface Cut {
  atUs: number;
  /** null: the disk draws the outcomes from its seeded stream. */
  choose: OutcomeChooser | null;
  /** Receives the pending operations at the cut (before they are resolved). */
  onPending?: (ops: readonly PendingOp[]) => void;
  /** Cut the power again before the n-th disk operation after the restart (a crash during recovery). */
  recoveryCrashAt?: number;
}

interface TrialOutcome {
  failure: Failure | null;
  powerLosses: number;
  /** Completion times of the target commit's disk operations (counting run only). */
  opTimes: number[];
}

function fill(id: number, round: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (id * 31 + round * 7 + i) & 0xff;
  return out;
}

/** One run: base commit, target commit, optionally a cut, recovery, a second recovery, read-back. */
async function trial(o: Resolved, cut: Cut | null): Promise<TrialOutcome> {
  const sim = new Simulation({ seed: o.seed });
  sim.addDevice(DEVICE, { disk: { profile: o.profile } });
  const fail = (f: Omit<Failure, 'timeUs' | 'traceIndex'>): void => sim.fail(f);
  // Ground truth first (fact.store after the simulator record that changed it), then the checks.
  storeEvidence([STORE]).install(sim);
  if (o.checkModel) new ModelMonitor(recoveryModel, sim).attach(sim.trace);
  const oracle = new StorageOracle({ trace: sim.trace, fail: (kind, check, message, details) => fail({ kind, check, message, details }) }, { durable: () => durableStoreImage(sim, DEVICE, STORE) });
  oracle.attach();
  sim.addNode(NODE, {
    device: DEVICE,
    program: async (env) => {
      try {
        return await BlockStore.open(env, { blockSize: o.blockSize, maxBlocks: 1024, variant: o.variant });
      } catch (e) {
        if ((e as { code?: string }).code !== 'ECORRUPT') throw e;
        fail({ kind: 'correctness', check: 'invariant:recoverable', message: `recovery found an inconsistent store: ${(e as Error).message}` });
        return new Promise<never>(() => {});
      }
    },
  });
  const opTimes: number[] = [];
  let counting = false;
  sim.addInterceptor((op) => {
    if (counting && op.area === 'disk' && op.node === NODE) opTimes.push(sim.nowUs());
    return null;
  });
  const store = (): BlockStore | null => {
    const n = sim.node(NODE);
    return n.status === 'running' ? ((n.handle as BlockStore | undefined) ?? null) : null;
  };
  const commit = (round: number): void => {
    const s = store();
    if (s === null) return fail({ kind: 'liveness', check: 'explore', message: `store not open for round ${round}` });
    const ids = round === 0 ? range(0, o.blocks) : range(o.blocks / 4, o.blocks + o.blocks / 4);
    for (const id of ids) oracle.noteWrite(NODE, s.write(id, fill(id, round, o.blockSize)).seq, id, fill(id, round, o.blockSize));
    if (round === 1) for (const id of [0, 1]) oracle.noteWrite(NODE, s.deallocate(id).seq, id, null);
    counting = round === 1;
    s.forceSync().then(
      (info) => oracle.noteAck(NODE, info.commit),
      (e: unknown) => fail({ kind: 'crash', check: 'explore', message: `forceSync failed: ${String(e)}` }),
    );
  };
  sim.start(NODE);
  sim.scheduler.at(10_000, () => commit(0));
  sim.scheduler.at(100_000, () => commit(1));
  sim.trace.on('store.commit.done', (r) => {
    if (r.data.commit === 2) counting = false;
  });
  if (cut !== null) scheduleCut(sim, cut);
  await sim.run({ untilUs: 400_000, maxEvents: 1_000_000 });
  if (sim.failure === null) await secondRecovery(sim, fail, store);
  if (sim.failure === null) await readBack(sim, oracle, store, o);
  return { failure: sim.failure, opTimes, powerLosses: sim.device(DEVICE).disk.counters().powerLosses };
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function scheduleCut(sim: Simulation, cut: Cut): void {
  const disk = sim.device(DEVICE).disk;
  let opsAfterRestart = -1; // counting starts at the restart
  sim.scheduler.at(cut.atUs, () => {
    if (sim.node(NODE).status === 'down') return;
    cut.onPending?.(disk.pendingOps());
    if (cut.choose === null) sim.powerLoss(DEVICE);
    else disk.powerLossWith(cut.choose);
    sim.scheduler.after(1_000, () => {
      opsAfterRestart = 0;
      sim.start(NODE);
    });
  });
  if (cut.recoveryCrashAt === undefined) return;
  const nth = cut.recoveryCrashAt;
  sim.addInterceptor((op) => {
    if (opsAfterRestart < 0 || op.area !== 'disk' || op.node !== NODE || ++opsAfterRestart !== nth) return null;
    opsAfterRestart = -1;
    sim.scheduler.after(1_000, () => sim.start(NODE));
    return { type: 'crash', when: 'before' };
  });
}

/** Restarts the process (no power loss) and requires the second recovery to change nothing. */
async function secondRecovery(sim: Simulation, fail: (f: Omit<Failure, 'timeUs' | 'traceIndex'>) => void, store: () => BlockStore | null): Promise<void> {
  const first = store()?.summary();
  if (first === undefined) return fail({ kind: 'liveness', check: 'explore', message: 'store not open after recovery' });
  const image = sim.device(DEVICE).disk.durableSnapshot();
  sim.crash(NODE, { powerLoss: false });
  sim.start(NODE);
  await sim.run({ untilUs: sim.nowUs() + 100_000, maxEvents: 1_000_000 });
  const second = store()?.summary();
  if (second === undefined) return fail({ kind: 'liveness', check: 'explore', message: 'store not open after the second recovery' });
  const again = sim.device(DEVICE).disk.durableSnapshot();
  const same = second.digest === first.digest && second.commit === first.commit && sameImage(image, again);
  if (!same) {
    fail({ kind: 'correctness', check: 'invariant:recovery-idempotent', message: `a second recovery changed the state (commit ${first.commit} -> ${second.commit}, digest ${first.digest} -> ${second.digest})` });
  }
}

function sameImage(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [p, bytes] of a) {
    const other = b.get(p);
    if (other === undefined || !sameBytes(bytes, other)) return false;
  }
  return true;
}

/** Reads every block id the run touched and has the oracle verify it. */
async function readBack(sim: Simulation, oracle: StorageOracle, store: () => BlockStore | null, o: Resolved): Promise<void> {
  const s = store();
  if (s === null) return;
  for (const id of range(0, o.blocks + o.blocks / 4)) {
    const before = oracle.expected(NODE).get(id);
    s.read(id, { committedOnly: true }).then(
      (got) => oracle.verifyRead(NODE, id, before, got),
      (e: unknown) => oracle.verifyRead(NODE, id, before, e instanceof Error ? e : new Error(String(e))),
    );
  }
  await sim.run({ untilUs: sim.nowUs() + 100_000, maxEvents: 1_000_000 });
}

/** Every combination of per-op outcomes (product), or `samples` seeded ones when there are more than `max`. */
function weakCombos(allowed: PendingOutcome[][], max: number, samples: number, rng: Rng): { combos: PendingOutcome[][]; sampled: boolean } {
  let count = 1;
  for (const a of allowed) {
    count *= a.length;
    if (count > max) break;
  }
  if (count <= max) {
    let combos: PendingOutcome[][] = [[]];
    for (const a of allowed) combos = combos.flatMap((c) => a.map((x) => [...c, x]));
    return { combos, sampled: false };
  }
  const combos: PendingOutcome[][] = [];
  for (let s = 0; s < samples; s++) combos.push(allowed.map((a) => rng.pick(a)));
  return { combos, sampled: true };
}

/** The outcome lists to try at one boundary, given its pending operations. */
function outcomeLists(o: Resolved, ops: readonly PendingOp[], rng: Rng, allowedOf: (op: PendingOp) => PendingOutcome[]): { lists: PendingOutcome[][]; sampled: boolean } {
  if (o.profile === 'strict') return { lists: [], sampled: false }; // the all-lose probe was the only one
  if (o.profile === 'ordered') {
    const lists: PendingOutcome[][] = [];
    for (let k = 1; k <= ops.length; k++) lists.push(ops.map((_, i) => (i < k ? 'land' : 'lose')));
    return { lists, sampled: false };
  }
  const { combos, sampled } = weakCombos(ops.map(allowedOf), o.weakExhaustiveMax, o.weakSamples, rng);
  const allLose = (c: PendingOutcome[]): boolean => c.every((x) => x === 'lose');
  return { lists: combos.filter((c) => !allLose(c)), sampled };
}

/** (a) Exhaustive exploration of one commit's crash points under one profile. */
export async function exploreCommitCrashes(options: CrashExploreOptions): Promise<CrashExploreResult> {
  const o = resolve(options);
  const started = performance.now();
  const counted = await trial(o, null);
  const times = counted.opTimes;
  const cutTimes = [...times, (times[times.length - 1] ?? 0) + 1];
  const rng = new Rng(o.seed, 'explore/weak');
  const result: CrashExploreResult = { profile: o.profile, boundaries: cutTimes.length, trials: 1, sampledBoundaries: 0, powerLosses: 0, failures: [], wallMs: 0 };
  if (record(result, -1, [], counted.failure)) {
    result.wallMs = performance.now() - started;
    return result;
  }
  const allowedSim = new Simulation({ seed: o.seed });
  const allowedDisk = allowedSim.addDevice(DEVICE, { disk: { profile: o.profile } }).disk;
  for (let b = 0; b < cutTimes.length; b++) {
    let pending: readonly PendingOp[] = [];
    const probe = await trial(o, { atUs: cutTimes[b]!, choose: () => 'lose', onPending: (ops) => (pending = ops) });
    result.trials++;
    result.powerLosses += probe.powerLosses;
    if (record(result, b, pending.map(() => 'lose'), probe.failure) && o.stopAtFirstFailure) break;
    const { lists, sampled } = outcomeLists(o, pending, rng, (op) => allowedDisk.allowedOutcomes(op));
    if (sampled) result.sampledBoundaries++;
    let stop = false;
    for (const list of lists) {
      const t = await trial(o, { atUs: cutTimes[b]!, choose: (_op, i) => list[i]! });
      result.trials++;
      result.powerLosses += t.powerLosses;
      if (record(result, b, list, t.failure) && o.stopAtFirstFailure) {
        stop = true;
        break;
      }
    }
    if (stop) break;
  }
  result.wallMs = performance.now() - started;
  return result;
}

function record(result: CrashExploreResult, boundary: number, outcomes: PendingOutcome[], failure: Failure | null): boolean {
  if (failure === null) return false;
  result.failures.push({ boundary, outcomes, failure });
  return true;
}

/**
 * (b) Randomized exploration: each seed picks a crash point of the commit (and, for half the seeds, a second
 * one during the recovery that follows); the disk draws the outcomes.
 */
export async function randomCommitCrashes(options: Omit<CrashExploreOptions, 'seed'>, seeds: readonly number[]): Promise<CrashExploreResult> {
  const o = resolve({ ...options, seed: 1 });
  const started = performance.now();
  const result: CrashExploreResult = { profile: o.profile, boundaries: 0, trials: 0, sampledBoundaries: 0, powerLosses: 0, failures: [], wallMs: 0 };
  for (const seed of seeds) {
    const os = { ...o, seed };
    const counted = await trial(os, null);
    result.trials++;
    if (record(result, -1, [], counted.failure)) {
      if (o.stopAtFirstFailure) break;
      continue;
    }
    const times = [...counted.opTimes, (counted.opTimes[counted.opTimes.length - 1] ?? 0) + 1];
    result.boundaries = Math.max(result.boundaries, times.length);
    const pick = new Rng(seed, 'explore/point');
    const b = pick.int(times.length);
    // Half the seeds also cut the power during the recovery that follows (at one of its first 24 operations).
    const recoveryCrashAt = pick.chance(0.5) ? 1 + pick.int(24) : undefined;
    const t = await trial(os, { atUs: times[b]!, choose: null, recoveryCrashAt });
    result.trials++;
    result.powerLosses += t.powerLosses;
    if (record(result, b, [], t.failure) && o.stopAtFirstFailure) break;
  }
  result.wallMs = performance.now() - started;
  return result;
}
