/**
 * The election model as a monitor spec: which trace kinds feed it and how each becomes a model event for
 * one tab (the instance is the tab's node id). The tab's own steps (`election.*`, `writer.begin`,
 * `fenced.reject`) go to its instance; ground truth goes to the tabs it concerns: `fact.store` (the
 * store's durable epoch) to every tab of its device, `fact.clock` and `fact.bus.leader` (an announcement
 * the bus handed to a tab) to that tab.
 *
 * Only facts that can change a decision become events (a model step costs several µs): a store fact when
 * the durable epoch changed (and the current epoch to a tab when it starts), an announcement when it is
 * above every epoch the tab heard since it started. `map` keeps that little per-run memory keyed by the
 * monitor's `world` (one per monitor, so per run).
 */
import type { ModelSpec, ModelTarget, MonitorWorld } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { TAB_HOT_STATES, TAB_REASONS, tabElectionMachine, type TabModelEvent } from './election-machine.ts';

/** Where the tabs' protected store lives (a kv-backend block store). */
export interface ElectionModelOptions {
  /** Tab ids (default: every node). */
  tabs?: readonly string[];
  /** kv root of the protected block store (default 'store', TabOptions.store.root's default). */
  root?: string;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The tab's own steps: record kind -> model event. */
function ownStep(rec: TraceRecord): TabModelEvent | null {
  const d = rec.data;
  switch (rec.kind) {
    case 'node.crash':
    case 'node.stop':
      return { type: 'DOWN' };
    case 'election.campaign':
      return d.mode === 'lock' ? { type: 'QUEUE' } : { type: 'CAMPAIGN', mode: String(d.mode) };
    case 'election.lost':
      return { type: 'LOST', reason: String(d.reason), storeFailed: false, closing: false, lockStolen: false };
    case 'election.acquired':
      return { type: 'ACQUIRED', epoch: num(d.epoch) };
    case 'election.leader':
      return { type: 'LEADER', epoch: num(d.epoch), validMs: numOrNull(d.validMs), t: rec.t };
    case 'election.renewed':
      return { type: 'RENEWED', epoch: num(d.epoch), validMs: numOrNull(d.validMs), t: rec.t };
    case 'election.stepdown':
      return { type: 'STEP_DOWN', epoch: num(d.epoch) };
    case 'election.follower':
      return { type: 'FOLLOWER' };
    case 'election.seen':
      return { type: 'SEEN', holder: String(d.holder), epoch: num(d.epoch) };
    case 'writer.begin':
      return { type: 'WRITE', epoch: num(d.epoch), t: rec.t };
    case 'fenced.reject':
      return { type: 'REJECTED', epoch: num(d.epoch), fence: num(d.fence) };
    default:
      return null;
  }
}

/** Trace kinds the election model reads. */
export const ELECTION_MODEL_KINDS: readonly string[] = [
  'node.start',
  'node.crash',
  'node.stop',
  'election.campaign',
  'election.lost',
  'election.acquired',
  'election.leader',
  'election.renewed',
  'election.stepdown',
  'election.follower',
  'election.seen',
  'writer.begin',
  'fenced.reject',
  'fact.store',
  'fact.clock',
  'fact.bus.leader',
  'kv.abort',
  'kv.fault',
  'workload.handover',
  'lock.release',
  'fact.request',
];

/**
 * Why a tab stops leading (`election.stepdown` and `election.follower`, field `reason`): its lease ran out on
 * its own clock, it lost the lease (a failed renewal, a higher epoch announced), its lock was stolen, the
 * store fenced its epoch, the tab is closing, or a store error. A closed set (ModelSpec.values): a blank or
 * undocumented reason fails the run, so a report always says which of these happened.
 */
export const STEP_DOWN_REASONS = ['lease-expired', 'lease-lost', 'lock-stolen', 'fenced', 'closing', 'error'] as const;

/**
 * Why a campaign failed (`election.lost`, field `reason`): another tab took the lease first (`taken`), the
 * store failed the attempt (`store-error`), the tab closed meanwhile (`closed`), the lock request was
 * stolen or failed (`stolen`, `lock-error`), drawing the epoch failed (`epoch-error`). A closed set too.
 */
export const LOST_REASONS = ['taken', 'store-error', 'closed', 'stolen', 'lock-error', 'epoch-error'] as const;

/** Kinds of the model's areas it does not read, with the reason. */
const IGNORES: Readonly<Record<string, string>> = {
  'fenced.fence': "the tab's own report of its fence; the model reads the store's durable epoch (fact.store), invariant:store-log checks the report against it",
  'fenced.write': "the tab's own report of a commit; invariant:store-log checks it against the store's request records (fact.request)",
  'fenced.dedup': 'a retried request found applied: visible as no second request record (fact.request), which the request model checks',
  'fwd.send': "the tab's own note of a forwarded attempt; the request model reads what the bus carried (fact.bus.request)",
};

/** What `map` remembers in one run: the store's durable epoch per device, the highest epoch each tab heard. */
interface Seen {
  storeEpoch: Map<string, number>;
  heard: Map<string, number>;
  /** Tabs that had a kv transaction fail (kv.abort other than an explicit abort, kv.fault) since they last campaigned. */
  storeFailed: Set<string>;
  /** Tabs the workload closed (workload.handover {how: 'close'}) since they last started. */
  closing: Set<string>;
  /** Tabs whose lock the lock manager took away (lock.release {reason: 'stolen'}) since they last campaigned. */
  lockStolen: Set<string>;
  /** Per tab: the epoch of the term it is stepping down from (election.stepdown), until election.follower. */
  stepping: Map<string, number>;
  /** Per tab: the highest epoch of a term its current incarnation reported ending (election.follower). */
  ended: Map<string, number>;
}

/** Model spec of the per-tab election machine. */
export function electionModel(options: ElectionModelOptions | readonly string[] = {}): ModelSpec {
  const o: ElectionModelOptions = Array.isArray(options) ? { tabs: options as readonly string[] } : (options as ElectionModelOptions);
  const only = o.tabs === undefined ? null : new Set(o.tabs);
  const root = o.root ?? 'store';
  const mine = (node: string): boolean => only === null || only.has(node);
  const runs = new WeakMap<MonitorWorld, Seen>();
  // The last run's memory at hand: a monitor maps its records one after another (one WeakMap lookup per
  // run, not per record).
  let lastWorld: MonitorWorld | null = null;
  let lastSeen: Seen | null = null;
  const seenIn = (world: MonitorWorld): Seen => {
    if (world === lastWorld) return lastSeen!;
    let seen = runs.get(world);
    if (seen === undefined) {
      runs.set(world, (seen = { storeEpoch: new Map(), heard: new Map(), storeFailed: new Set(), closing: new Set(), lockStolen: new Set(), stepping: new Map(), ended: new Map() }));
    }
    lastWorld = world;
    lastSeen = seen;
    return seen;
  };
  return {
    name: 'election',
    machine: tabElectionMachine,
    kinds: ELECTION_MODEL_KINDS,
    areas: ['election.', 'writer.', 'fenced.', 'fwd.'],
    ignores: IGNORES,
    // A lock-mode leader holds no lease: its election.leader/renewed records carry no validMs.
    optional: ['election.leader:validMs', 'election.renewed:validMs'],
    values: { 'election.stepdown:reason': STEP_DOWN_REASONS, 'election.follower:reason': STEP_DOWN_REASONS, 'election.lost:reason': LOST_REASONS },
    reasons: TAB_REASONS,
    facts: ['fact.store', 'fact.clock', 'fact.bus.leader', 'fact.request'],
    hot: TAB_HOT_STATES,
    map(rec: TraceRecord, world: MonitorWorld): ModelTarget | readonly ModelTarget[] | null {
      const d = rec.data;
      switch (rec.kind) {
        case 'fact.store': {
          if (d.root !== root || d.backend !== 'kv' || typeof d.device !== 'string') return null;
          const epoch = num(d.epoch);
          const seen = seenIn(world);
          if (seen.storeEpoch.get(d.device) === epoch) return null;
          seen.storeEpoch.set(d.device, epoch);
          const event: TabModelEvent = { type: 'STORE', epoch };
          return world.nodesOn(d.device).filter(mine).map((instance) => ({ instance, event }));
        }
        case 'fact.request': {
          // Only a commit at or below a term the tab ended can fail drainedFirst: the rest decides nothing.
          const node = String(d.node);
          const epoch = num(d.epoch);
          if (!mine(node) || epoch > (seenIn(world).ended.get(node) ?? 0)) return null;
          return { instance: node, event: { type: 'COMMITTED', epoch, commit: num(d.commit), reqId: String(d.reqId) } };
        }
        case 'node.start': {
          if (!mine(rec.node)) return null;
          const seen = seenIn(world);
          seen.heard.delete(rec.node);
          seen.closing.delete(rec.node);
          seen.stepping.delete(rec.node);
          seen.ended.delete(rec.node);
          const epoch = seen.storeEpoch.get(String(d.device));
          const start: ModelTarget = { instance: rec.node, event: { type: 'START' } };
          return epoch === undefined ? start : [start, { instance: rec.node, event: { type: 'STORE', epoch } }];
        }
        case 'fact.clock': {
          const node = String(d.node);
          if (!mine(node)) return null;
          return { instance: node, event: { type: 'CLOCK', t: rec.t, monotonicMs: num(d.monotonicMs), driftPpm: num(d.driftPpm) } };
        }
        case 'fact.bus.leader': {
          const node = String(d.node);
          const epoch = num(d.epoch);
          const heard = seenIn(world).heard;
          if (!mine(node) || epoch <= (heard.get(node) ?? 0)) return null;
          heard.set(node, epoch);
          return { instance: node, event: { type: 'HEARD', from: String(d.from), epoch: num(d.epoch), msg: num(d.msg) } };
        }
        case 'kv.abort':
        case 'kv.fault':
          // Evidence for a campaign lost to a store error: the simulator's record of a failed transaction.
          if (rec.kind === 'kv.fault' || d.reason !== 'abort') seenIn(world).storeFailed.add(rec.node);
          return null;
        case 'workload.handover':
          // Evidence for a campaign lost because the tab closed: the workload's own record of closing it.
          if (d.how === 'close') seenIn(world).closing.add(String(d.node));
          return null;
        case 'lock.release':
          // Evidence for a campaign lost to a stolen lock: the simulated lock manager's record.
          if (d.reason === 'stolen') seenIn(world).lockStolen.add(rec.node);
          return null;
        default: {
          if (!mine(rec.node)) return null;
          const event = ownStep(rec);
          if (event === null) return null;
          const seen = seenIn(world);
          if (event.type === 'CAMPAIGN' || event.type === 'QUEUE') {
            seen.storeFailed.delete(rec.node);
            seen.lockStolen.delete(rec.node);
          }
          if (event.type === 'STEP_DOWN') seen.stepping.set(rec.node, event.epoch);
          if (event.type === 'FOLLOWER') {
            const epoch = seen.stepping.get(rec.node) ?? 0;
            if (epoch > (seen.ended.get(rec.node) ?? 0)) seen.ended.set(rec.node, epoch);
            seen.stepping.delete(rec.node);
          }
          if (event.type !== 'LOST') return { instance: rec.node, event };
          return { instance: rec.node, event: { ...event, storeFailed: seen.storeFailed.has(rec.node), closing: seen.closing.has(rec.node), lockStolen: seen.lockStolen.has(rec.node) } };
        }
      }
    },
  };
}
