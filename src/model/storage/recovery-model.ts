/**
 * The monitor spec of the recovery model: which trace records feed it and how they map to model events.
 * The instance is the node (one store process per node); a node's crash or stop ends its process.
 *
 * Store records (the store's claims; see docs/storage.md "Trace records"):
 *   store.open {backend, root, relaxed} -> OPEN           store.write, store.recover.kept-dirty -> WRITE
 *   store.commit.begin {commit, strict} -> COMMIT_BEGIN   store.commit.synced -> DATA_SYNCED
 *   store.commit.marker-write {commit, atomic} -> MARKER_WRITE[_ATOMIC]   store.commit.marker -> MARKER_DURABLE
 *   store.commit.done {commit, dirty} -> FINALIZED_CLEAN/DIRTY            store.commit.finalize-failed -> FINALIZE_FAILED
 *   store.commit.failed {commit, stage} -> COMMIT_FAILED[_MARKER]         store.commit.refused -> COMMIT_REFUSED
 *   store.commit.discarded {commit, dirty} -> DISCARDED_CLEAN/DIRTY       store.closed -> CLOSE
 *   store.recover.begin {inPlace} -> RECOVER_BEGIN / RELOAD_BEGIN         store.recover.restart -> RECOVER_RESTART
 *   store.recover.finalize|rollback|failed|done {commit} -> RECOVER_*     store.flushed {commit} -> FLUSHED
 *   store.fence.begin -> FENCE_BEGIN     store.fence {commit, epoch} -> FENCE     store.fence.failed -> FENCE_FAILED
 * Evidence (never the store's word):
 *   fact.store {device, backend, root, marker, meta, epoch} -> FACT for the node alone on its device; on a
 *     device shared by several processes, every instance event carries the latest point instead (`point`)
 *   device.powerloss {device} -> POWER_LOSS for every node of the device
 *   workload.force-synced {node, commit} -> ACKED (the workload's own record of what it was told)
 *   node.crash, node.stop -> CRASH
 */
import type { ModelEvent, ModelSpec, ModelTarget, MonitorWorld } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { RECOVERY_REASONS, type RecoveryEvent } from './recovery-guards.ts';
import { recoveryMachine } from './recovery-machine.ts';

const SIMPLE: Readonly<Record<string, string>> = {
  'store.write': 'WRITE',
  'store.recover.kept-dirty': 'WRITE',
  'store.commit.synced': 'DATA_SYNCED',
  'store.commit.marker': 'MARKER_DURABLE',
  'store.commit.finalize-failed': 'FINALIZE_FAILED',
  'store.commit.refused': 'COMMIT_REFUSED',
  'store.closed': 'CLOSE',
  'store.recover.finalize': 'RECOVER_FINALIZE',
  'store.recover.rollback': 'RECOVER_ROLLBACK',
  'store.recover.restart': 'RECOVER_RESTART',
  'store.recover.failed': 'RECOVER_FAILED',
  'store.recover.done': 'RECOVER_DONE',
  'store.flushed': 'FLUSHED',
  'store.fence.begin': 'FENCE_BEGIN',
  'store.fence': 'FENCE',
  'store.fence.failed': 'FENCE_FAILED',
  'node.crash': 'CRASH',
  'node.stop': 'CRASH',
};

/** The SIMPLE kinds whose records carry the commit they are about (the model reads it). */
const WITH_COMMIT = new Set([
  'store.commit.synced',
  'store.commit.marker',
  'store.commit.finalize-failed',
  'store.commit.refused',
  'store.closed',
  'store.recover.finalize',
  'store.recover.rollback',
  'store.recover.done',
  'store.flushed',
  'store.fence',
]);
/** The SIMPLE kinds with commit whose epoch the model reads too. */
const WITH_EPOCH = new Set(['store.fence']);

/** Kinds of the model's areas it reads elsewhere or knowingly leaves to others, with the reason. */
const IGNORES: Readonly<Record<string, string>> = {
  'store.fenced': 'a write refused by the epoch check before anything is buffered or committed: no change to the store',
  'store.checksum.fail': "a read's checksum retry: invariant:read-returns-committed-data judges what reads return",
  'store.backpressure': 'flow control of buffered writes: no change to what is committed',
  'store.metrics': 'counters the store reports about itself: no check trusts them',
  'store.recover.strays': 'stray deletion: invariant:no-stray-files reads the durable image after recovery',
  'store.recover.corrupt': 'a block recovery found damaged: the oracle reads the durable image instead',
  'store.recover.repair': 'a block rolled back to its previous version: the oracle reads the durable image instead',
  'store.recover.unstable': 'flaky reads during verification (no verdict, nothing changed)',
  'autosync.start': 'AutoSync commits are the store commits the model reads',
  'autosync.done': 'AutoSync commits are the store commits the model reads',
  'autosync.failed': 'AutoSync commits are the store commits the model reads',
  'autosync.shutdown': 'followed by store.closed, which the model reads',
};

const num = (v: unknown): number => (typeof v === 'number' ? v : -1);

function eventOf(rec: TraceRecord): ModelEvent | null {
  const d = rec.data;
  switch (rec.kind) {
    case 'store.open':
      return { type: 'OPEN', store: `${String(d.backend)}:${String(d.root)}`, relaxed: d.relaxed === true };
    case 'store.commit.begin':
      return { type: 'COMMIT_BEGIN', commit: num(d.commit), strict: d.strict === true };
    case 'store.commit.marker-write':
      return { type: d.atomic === true ? 'MARKER_WRITE_ATOMIC' : 'MARKER_WRITE', commit: num(d.commit) };
    case 'store.commit.done':
      return { type: d.dirty === true ? 'FINALIZED_DIRTY' : 'FINALIZED_CLEAN', commit: num(d.commit) };
    case 'store.commit.discarded':
      return { type: d.dirty === true ? 'DISCARDED_DIRTY' : 'DISCARDED_CLEAN', commit: num(d.commit) };
    case 'store.commit.failed':
      return { type: d.stage === 'marker' ? 'COMMIT_FAILED_MARKER' : 'COMMIT_FAILED', commit: num(d.commit) };
    case 'store.recover.begin':
      return { type: d.inPlace === true ? 'RELOAD_BEGIN' : 'RECOVER_BEGIN' };
    default: {
      const type = SIMPLE[rec.kind];
      if (type === undefined) return null;
      if (!WITH_COMMIT.has(rec.kind)) return { type };
      return WITH_EPOCH.has(rec.kind) ? { type, commit: num(d.commit), epoch: num(d.epoch) } : { type, commit: num(d.commit) };
    }
  }
}

/** The nodes seen on the record's device, and the node `starting` there (a re-emitted fact) if not yet seen. */
function deviceNodes(rec: TraceRecord, world: MonitorWorld): readonly string[] {
  const seen = world.nodesOn(String(rec.data.device));
  const starting = rec.data.starting;
  return typeof starting === 'string' && !seen.includes(starting) ? [...seen, starting] : seen;
}

/**
 * What the spec remembers per monitor (its `world` is one per run), to step the model less (stepping is the
 * model's main cost) without changing what it decides:
 * - `points`: the durable point of every device and store (the latest `fact.store`). On a device shared by
 *   several processes a fact is not stepped into every instance; each instance event carries the point as
 *   it is (`point`) and the guards read it there (a shared device's facts are other tabs' to explain);
 * - `sent`: the last FACT stepped per device and store: a fact changing nothing the model reads (only
 *   `pending`, or `meta` below the marker) is not stepped;
 * - `storeOf`: the store each node opened (`store.open`), to pick its point;
 * - `writing`: the instances whose last state-changing event was an accepted WRITE. Every state that takes
 *   a WRITE takes the next as a guardless self-loop (and a refused WRITE fails the run), so until another
 *   event that can change the state reaches the instance, a further WRITE changes nothing: not stepped.
 */
interface RunMemo {
  points: Map<string, DevicePoint>;
  sent: Map<string, string>;
  storeOf: Map<string, string>;
  /** Node -> its key in `points` (device and store), once both are known (cleared by its next OPEN). */
  keyOf: Map<string, string>;
  writing: Set<string>;
}

/**
 * The durable point of one device and store, replaced (never changed) by each fact: so the `point` payload
 * of instance events, read-only for the guards, is made once per fact and device sharing, not per event.
 */
interface DevicePoint {
  store: string;
  durable: number;
  epoch: number;
  /** The event payloads of this point: [device not shared, shared]. */
  payloads: [RecoveryEvent['point'], RecoveryEvent['point']];
}
const memos = new WeakMap<MonitorWorld, RunMemo>();
// The last run's memory: a monitor maps its records one after another (one lookup per run, not per record).
let lastWorld: MonitorWorld | null = null;
let lastMemo: RunMemo | null = null;

function memoOf(world: MonitorWorld): RunMemo {
  if (world === lastWorld) return lastMemo!;
  let m = memos.get(world);
  if (m === undefined) memos.set(world, (m = { points: new Map(), sent: new Map(), storeOf: new Map(), keyOf: new Map(), writing: new Set() }));
  lastWorld = world;
  lastMemo = m;
  return m;
}

/** Events valid in every state: they change no state (a WRITE after them is still a self-loop). */
const STATELESS = new Set(['FACT', 'ACKED', 'FLUSHED', 'FENCE_BEGIN', 'FENCE', 'FENCE_FAILED', 'POWER_LOSS', 'OPEN']);

function factEvents(rec: TraceRecord, world: MonitorWorld): ModelTarget[] | null {
  const d = rec.data;
  const durable = Math.max(num(d.marker), num(d.meta), 0);
  const epoch = Math.max(num(d.epoch), 0);
  const store = `${String(d.backend)}:${String(d.root)}`;
  const memo = memoOf(world);
  const key = `${String(d.device)}\u0000${store}`;
  memo.points.set(key, { store, durable, epoch, payloads: [undefined, undefined] });
  const nodes = deviceNodes(rec, world);
  if (nodes.length > 1) return null;
  const value = `${durable}:${epoch}`;
  if (d.starting === undefined && memo.sent.get(key) === value) return null;
  memo.sent.set(key, value);
  const event: ModelEvent = { type: 'FACT', store, durable, epoch, shared: false };
  return nodes.map((instance) => ({ instance, event }));
}

/** The durable point of `node`'s store as the latest fact of its device says (undefined before any). */
function pointOf(node: string, world: MonitorWorld, memo: RunMemo): RecoveryEvent['point'] {
  const device = world.deviceOf(node);
  if (device === undefined) return undefined;
  let point: DevicePoint | undefined;
  const store = memo.storeOf.get(node);
  if (store === undefined) {
    for (const [k, p] of memo.points) if (k.startsWith(`${device}\u0000`)) point = p;
  } else {
    let key = memo.keyOf.get(node);
    if (key === undefined) memo.keyOf.set(node, (key = `${device}\u0000${store}`));
    point = memo.points.get(key);
  }
  if (point === undefined) return undefined;
  const shared = world.nodesOn(device).length > 1 ? 1 : 0;
  return (point.payloads[shared] ??= { durable: point.durable, epoch: point.epoch, shared: shared === 1 });
}

/** An instance event (a fresh object from `eventOf`), with the durable point of the node's store attached. */
function instanceEvent(node: string, event: ModelEvent | null, world: MonitorWorld): ModelTarget | null {
  if (event === null) return null;
  const memo = memoOf(world);
  if (event.type === 'WRITE') {
    if (memo.writing.has(node)) return null;
    memo.writing.add(node);
  } else if (!STATELESS.has(event.type)) memo.writing.delete(node);
  if (event.type === 'OPEN') {
    memo.storeOf.set(node, String(event.store));
    memo.keyOf.delete(node);
  }
  const point = pointOf(node, world, memo);
  if (point !== undefined) event.point = point;
  return { instance: node, event };
}

function map(rec: TraceRecord, world: MonitorWorld): ModelTarget | readonly ModelTarget[] | null {
  switch (rec.kind) {
    case 'fact.store':
      return factEvents(rec, world);
    case 'device.powerloss': {
      const event: ModelEvent = { type: 'POWER_LOSS' };
      return deviceNodes(rec, world).map((instance) => ({ instance, event }));
    }
    case 'workload.force-synced':
      return instanceEvent(String(rec.data.node), { type: 'ACKED', commit: num(rec.data.commit) }, world);
    default:
      return instanceEvent(rec.node, eventOf(rec), world);
  }
}

/** Trace kinds the recovery model reads. */
export const RECOVERY_KINDS: readonly string[] = [
  ...Object.keys(SIMPLE),
  'store.open',
  'store.commit.begin',
  'store.commit.marker-write',
  'store.commit.done',
  'store.commit.discarded',
  'store.commit.failed',
  'store.recover.begin',
  'fact.store',
  'device.powerloss',
  'workload.force-synced',
];

/** The recovery model as a monitor spec (put it in Scenario.models with `storeEvidence()` in Scenario.evidence). */
export const recoveryModel: ModelSpec = {
  name: 'recovery',
  machine: recoveryMachine,
  kinds: RECOVERY_KINDS,
  areas: ['store.', 'autosync.'],
  ignores: IGNORES,
  optional: ['fact.store:starting', 'device.powerloss:starting'],
  reasons: RECOVERY_REASONS,
  facts: ['fact.store'],
  hot: ['recovering.', 'reloading.', 'uncertain', 'stalled', 'committed', 'writing', 'synced', 'markerWriting'],
  // The instance is the node, also for facts and workload records traced on other nodes.
  nodeOf: (instance) => instance,
  map,
};
