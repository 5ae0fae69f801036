/**
 * The global view of the election across the tabs of each device, and the safety invariants checked
 * against it. The store's history is ground truth from the simulator, never the implementation's word:
 *
 * - `fact.store` (root 'store', kv): every commit of the protected block store moves its durable marker;
 *   the marker's commit number and epoch give the true sequence of (commit, epoch). The tab whose kv
 *   transaction moved it is the node of the `kv.commit` record right before (a sim record).
 * - `fact.request`: the store's durable request records (request id -> commit, epoch, result {value}):
 *   the proof that a write was applied, and how often.
 * - `fact.clock`: each tab's true monotonic clock, for lease beliefs (lease-beliefs.ts).
 * - `workload.result`: what the workload was told (its own record).
 * The implementation's election steps (`election.acquired`, `election.leader`...) say who claims which
 * epoch; they are held against that truth.
 *
 * Invariants:
 * - invariant:epoch-unique — an epoch is acquired by one tab only.
 * - invariant:no-stale-write — the store never accepts a commit from a stale epoch: its durable epoch
 *   never goes down; no tab commits while the store's durable epoch is above the epoch it acquired; no
 *   commit carries an epoch below that of a tab that already leads (it fenced the store first).
 * - invariant:one-writer-per-epoch — every commit with durable epoch e is made by the tab that acquired e.
 * - invariant:exactly-once — a write is recorded applied only if the workload issued it (`workload.write`),
 *   and at most once; at the end, every acknowledged write is recorded, and none that failed with a
 *   definite error is.
 * - invariant:store-log — the tabs' reports of their commits (`fenced.fence`, `fenced.write`) match the
 *   store's durable history.
 * - invariant:lease-exclusive (lease mode only) — see lease-beliefs.ts.
 * - invariant:lease-bounded (lease mode, with the scenario's lease terms) — see lease-beliefs.ts.
 *
 * One checker over several invariants, named after its check, `electionInvariants` ('election-invariants',
 * at the end of this file), which runs the ledger over a trace.
 */
import type { TraceCheck, TraceContext } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { LeaseBeliefs, type LeaseTerms } from './lease-beliefs.ts';
import { LEASE_STORE } from './frozen-leader-replaced.ts';
import type { ClockSample } from './election-machine.ts';

/** A broken invariant. */
export interface Violation {
  check: string;
  message: string;
  node?: string;
  details?: Record<string, unknown>;
}

/** Invariants the ledger decides (its check's `covers`). */
export const LEDGER_INVARIANTS: readonly string[] = [
  'invariant:epoch-unique',
  'invariant:no-stale-write',
  'invariant:one-writer-per-epoch',
  'invariant:exactly-once',
  'invariant:store-log',
  'invariant:lease-exclusive',
  'invariant:lease-bounded',
];

/** Trace kinds the ledger reads. */
export const LEDGER_KINDS: readonly string[] = [
  'node.start',
  'node.crash',
  'node.stop',
  'election.acquired',
  'election.leader',
  'election.renewed',
  'election.stepdown',
  'writer.begin',
  'kv.commit',
  'kv.durable',
  'kv.powerloss',
  'fact.store',
  'fact.request',
  'fact.clock',
  'fenced.fence',
  'fenced.write',
  'workload.write',
  'workload.result',
];

/** Options of the ledger. */
export interface LedgerOptions {
  /** Check invariant:lease-exclusive (only meaningful for lease-based elections). */
  leaseExclusive: boolean;
  /** The scenario's lease (leaseMs, clockDriftMaxPpm): turns on invariant:lease-bounded. */
  lease?: LeaseTerms;
  /** kv root of the protected block store (default 'store'). */
  root?: string;
  /** Device of a node when no 'node.start' said it (tests feeding records directly). */
  deviceOf?(node: string): string;
  /** Called when an invariant decided something on real input (ScenarioContext.exercised). */
  exercised?(invariant: string): void;
}

/** A write's durable request record. */
interface Recorded {
  reqId: string;
  commit: number;
}

/** The global view of one device. */
class DeviceView {
  readonly acquiredBy = new Map<number, string>();
  /** Tab -> the epoch it acquired last (in its current incarnation). */
  readonly tabEpoch = new Map<string, number>();
  /** Highest epoch a tab began leading with, and that tab. */
  leadingEpoch = 0;
  leadingTab = '';
  /** The store's durable marker, its epoch, and the highest epoch it ever had. */
  marker = 0;
  markerEpoch = 0;
  /** Durable marker commit -> its epoch (history, for invariant:store-log). */
  readonly markers = new Map<number, number>();
  /** Epoch -> the tab whose transaction first committed with it (when no tab acquired it). */
  readonly committerOfEpoch = new Map<number, string>();
  /** Node of the latest strict kv commit (null after relaxed commits settled: no single author). */
  lastCommitter: string | null = null;
  /** Request id -> its durable record; value -> the record(s) of it. */
  readonly requests = new Map<string, { commit: number; epoch: number; value: string | null }>();
  readonly recordsOfValue = new Map<string, Recorded>();
  /** Values the workload issued at a tab of this device. */
  readonly issued = new Set<string>();
  readonly acknowledged = new Set<string>();
  readonly definitelyFailed = new Set<string>();
  readonly beliefs: LeaseBeliefs;

  constructor(clockOf: (node: string) => ClockSample | null, lease: LeaseTerms | null) {
    this.beliefs = new LeaseBeliefs(clockOf, lease);
  }
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** `Array.isArray(stores) && stores.map(String).includes(store)`, without the mapped copy (a kv.commit's `stores`: strings). */
function touches(stores: unknown, store: string): boolean {
  if (!Array.isArray(stores)) return false;
  for (let i = 0; i < stores.length; i++) if (String(stores[i]) === store) return true;
  return false;
}

/** Feeds on trace records; answers with the first violation it sees. */
export class ElectionLedger {
  private readonly devices = new Map<string, DeviceView>();
  private readonly deviceOfNode = new Map<string, string>();
  private readonly clocks = new Map<string, ClockSample>();
  private readonly root: string;

  constructor(private readonly options: LedgerOptions) {
    this.root = options.root ?? 'store';
  }

  /** The view of `device` (created on first use). */
  view(device: string): DeviceView {
    let v = this.devices.get(device);
    if (v === undefined) this.devices.set(device, (v = new DeviceView((n) => this.clocks.get(n) ?? null, this.options.lease ?? null)));
    return v;
  }

  private deviceOf(node: string): string {
    return this.deviceOfNode.get(node) ?? this.options.deviceOf?.(node) ?? 'unknown';
  }

  private ran(invariant: string): void {
    this.options.exercised?.(invariant);
  }

  /** Processes one record; returns a violation or null. */
  onRecord(rec: TraceRecord): Violation | null {
    const d = rec.data;
    switch (rec.kind) {
      case 'node.start':
        if (typeof d.device === 'string') this.deviceOfNode.set(rec.node, d.device);
        return null;
      case 'node.crash':
      case 'node.stop':
        this.down(rec.node);
        return null;
      case 'election.acquired':
        return this.acquired(rec.node, num(d.epoch), rec);
      case 'election.leader':
        return this.leads(rec);
      case 'election.renewed':
        return this.believes(rec);
      case 'election.stepdown':
        this.view(this.deviceOf(rec.node)).beliefs.forget(rec.node);
        return null;
      case 'writer.begin':
        return this.writeBegins(rec);
      case 'kv.commit': {
        // A commit that wrote the lease record's store (docs/election.md: object store 'election'), of any
        // durability (others see it at once): the anchor of the tab's next lease belief.
        if (touches(d.stores, LEASE_STORE) && num(d.puts) > 0) this.view(this.deviceOf(rec.node)).beliefs.committed(rec.node, rec.t);
        if (d.durability === 'strict') this.view(this.deviceOf(rec.node)).lastCommitter = rec.node;
        return null;
      }
      case 'kv.durable':
      case 'kv.powerloss':
        if (typeof d.device === 'string') this.view(d.device).lastCommitter = null;
        return null;
      case 'fact.clock':
        this.clocks.set(String(d.node), { atUs: rec.t, monotonicMs: num(d.monotonicMs), driftPpm: num(d.driftPpm) });
        return null;
      case 'fact.store':
        return d.root === this.root && d.backend === 'kv' && typeof d.device === 'string' ? this.storeMoved(this.view(d.device), d, rec) : null;
      case 'fact.request':
        return d.root === this.root && typeof d.device === 'string' ? this.recorded(this.view(d.device), d, rec) : null;
      case 'fenced.fence':
      case 'fenced.write':
        return this.reported(rec);
      case 'workload.write':
        if (typeof d.node === 'string' && typeof d.value === 'string') this.view(this.deviceOf(d.node)).issued.add(d.value);
        return null;
      case 'workload.result':
        this.result(d);
        return null;
      default:
        return null;
    }
  }

  private down(node: string): void {
    if (node === 'sim') return;
    const v = this.view(this.deviceOf(node));
    v.beliefs.down(node);
    v.tabEpoch.delete(node);
  }

  private acquired(tab: string, epoch: number, rec: TraceRecord): Violation | null {
    const v = this.view(this.deviceOf(tab));
    if (this.options.leaseExclusive) {
      this.ran('invariant:lease-exclusive');
      const overlap = v.beliefs.acquired(tab, epoch, rec);
      if (overlap !== null) return overlap;
    }
    this.ran('invariant:epoch-unique');
    const holder = v.acquiredBy.get(epoch);
    if (holder !== undefined && holder !== tab) {
      return {
        check: 'invariant:epoch-unique',
        message: `epoch ${epoch} acquired by '${tab}' (trace #${rec.i}) was already acquired by '${holder}'`,
        node: tab,
        details: { epoch, tab, holder },
      };
    }
    v.acquiredBy.set(epoch, tab);
    v.tabEpoch.set(tab, epoch);
    return null;
  }

  private leads(rec: TraceRecord): Violation | null {
    const v = this.view(this.deviceOf(rec.node));
    const epoch = num(rec.data.epoch);
    if (epoch > v.leadingEpoch) {
      v.leadingEpoch = epoch;
      v.leadingTab = rec.node;
    }
    return this.believes(rec);
  }

  /** A lease belief (leader or renewed): recorded, and held to the lease's length (invariant:lease-bounded). */
  private believes(rec: TraceRecord): Violation | null {
    const beliefs = this.view(this.deviceOf(rec.node)).beliefs;
    const violation = beliefs.believe(rec, () => this.ran('invariant:lease-bounded'));
    return this.options.leaseExclusive ? violation : null;
  }

  private writeBegins(rec: TraceRecord): Violation | null {
    if (!this.options.leaseExclusive) return null;
    this.ran('invariant:lease-exclusive');
    return this.view(this.deviceOf(rec.node)).beliefs.writeBegins(rec.node, num(rec.data.epoch), rec);
  }

  /** The durable marker changed: a new commit when its number went up. */
  private storeMoved(v: DeviceView, d: Record<string, unknown>, rec: TraceRecord): Violation | null {
    if (typeof d.marker !== 'number' || d.marker <= v.marker) return null;
    const commit = d.marker;
    const epoch = num(d.epoch);
    const before = v.markerEpoch;
    v.marker = commit;
    v.markerEpoch = epoch;
    v.markers.set(commit, epoch);
    const by = v.lastCommitter;
    v.lastCommitter = null;
    this.ran('invariant:no-stale-write');
    const stale = staleCommit(v, commit, epoch, before, by);
    if (stale !== null) return { ...stale, details: { ...stale.details, traceIndex: rec.i } };
    if (by === null || epoch === 0) return null;
    this.ran('invariant:one-writer-per-epoch');
    const owner = v.acquiredBy.get(epoch) ?? v.committerOfEpoch.get(epoch);
    if (owner === undefined) v.committerOfEpoch.set(epoch, by);
    if (owner === undefined || owner === by) return null;
    return {
      check: 'invariant:one-writer-per-epoch',
      message: `'${by}' made commit ${commit} of the store with epoch ${epoch} (fact.store, trace #${rec.i}), an epoch owned by '${owner}'`,
      node: by,
      details: { commit, epoch, owner },
    };
  }

  /** A durable request record: a write applied (at most once per value). */
  private recorded(v: DeviceView, d: Record<string, unknown>, rec: TraceRecord): Violation | null {
    const reqId = String(d.reqId);
    const commit = num(d.commit);
    const result = d.result as { value?: unknown } | null;
    const value = typeof result?.value === 'string' ? result.value : null;
    v.requests.set(reqId, { commit, epoch: num(d.epoch), value });
    if (value === null) return null;
    this.ran('invariant:exactly-once');
    if (!v.issued.has(value)) {
      return {
        check: 'invariant:exactly-once',
        message: `the store recorded write '${value}' (request ${reqId}, commit ${commit}, fact.request, trace #${rec.i}) that no caller issued (no workload.write)`,
        node: String(d.node),
        details: { value, reqId, commit },
      };
    }
    const earlier = v.recordsOfValue.get(value);
    if (earlier === undefined) {
      v.recordsOfValue.set(value, { reqId, commit });
      return null;
    }
    return {
      check: 'invariant:exactly-once',
      message:
        `write '${value}' applied twice: recorded by request ${earlier.reqId} at commit ${earlier.commit} and by request ` +
        `${reqId} at commit ${commit} (fact.request, trace #${rec.i})`,
      node: String(d.node),
      details: { value, first: earlier, second: { reqId, commit } },
    };
  }

  /** A tab's report of its own commit, held against the store's durable history. */
  private reported(rec: TraceRecord): Violation | null {
    const d = rec.data;
    const v = this.view(this.deviceOf(rec.node));
    const pos = num(d.pos);
    this.ran('invariant:store-log');
    const reqId = typeof d.reqId === 'string' ? d.reqId : null;
    if (rec.kind === 'fenced.write' && reqId !== null) {
      const r = v.requests.get(reqId);
      if (r !== undefined && r.commit === pos && r.value === d.value) return null;
      const truth = r === undefined ? 'the store has no durable record of that request' : `the store recorded it at commit ${r.commit} with value '${String(r.value)}'`;
      return untruthful(rec, `write '${String(d.value)}' (request ${reqId}) at commit ${pos}`, truth);
    }
    const epoch = v.markers.get(pos);
    if (epoch === undefined) return untruthful(rec, `${rec.kind === 'fenced.fence' ? 'fence' : `write '${String(d.value)}'`} at commit ${pos}`, 'the durable marker never reached that commit');
    if (rec.kind === 'fenced.fence' && epoch !== num(d.epoch)) return untruthful(rec, `fence with epoch ${num(d.epoch)} at commit ${pos}`, `the durable marker of that commit has epoch ${epoch}`);
    return null;
  }

  private result(d: Record<string, unknown>): void {
    if (typeof d.node !== 'string' || typeof d.value !== 'string') return;
    const v = this.view(this.deviceOf(d.node));
    if (d.ok === true) v.acknowledged.add(d.value);
    else if (d.definite === true) v.definitelyFailed.add(d.value);
  }

  /** End of run: acknowledged writes are recorded in the store, definitely failed ones are not. */
  finalCheck(): Violation | null {
    for (const [device, v] of this.devices) {
      for (const value of v.acknowledged) {
        this.ran('invariant:exactly-once');
        if (!v.recordsOfValue.has(value)) {
          return { check: 'invariant:exactly-once', message: `write '${value}' was acknowledged but the store of device '${device}' has no durable record of it (fact.request)` };
        }
      }
      for (const value of v.definitelyFailed) {
        this.ran('invariant:exactly-once');
        const r = v.recordsOfValue.get(value);
        if (r !== undefined) {
          return { check: 'invariant:exactly-once', message: `write '${value}' failed with a definite error but the store of device '${device}' applied it at commit ${r.commit} (request ${r.reqId})` };
        }
      }
    }
    return null;
  }
}

/** How a stale commit's message names it (built only for a violation, not at every commit). */
function staleWhat(commit: number, epoch: number): string {
  return `commit ${commit} of the store (durable epoch ${epoch}, fact.store)`;
}

/** A commit that the store should have refused as stale (null when none). */
function staleCommit(v: DeviceView, commit: number, epoch: number, before: number, by: string | null): Violation | null {
  if (epoch < before) {
    return { check: 'invariant:no-stale-write', message: `${staleWhat(commit, epoch)} lowered the store's durable epoch from ${before}`, node: by ?? undefined, details: { commit, epoch, before } };
  }
  const own = by === null ? undefined : v.tabEpoch.get(by);
  if (by !== null && own !== undefined && own < before) {
    return {
      check: 'invariant:no-stale-write',
      message: `'${by}', whose epoch is ${own}, made ${staleWhat(commit, epoch)} after the store had been fenced at epoch ${before}: a write from a stale epoch was accepted`,
      node: by,
      details: { commit, epoch, writerEpoch: own, before },
    };
  }
  if (epoch < v.leadingEpoch) {
    return {
      check: 'invariant:no-stale-write',
      message: `${staleWhat(commit, epoch)}${by === null ? '' : ` by '${by}'`} has an epoch below ${v.leadingEpoch}, with which '${v.leadingTab}' already leads: a leader acts only once the store is fenced at its epoch`,
      node: by ?? undefined,
      details: { commit, epoch, leadingEpoch: v.leadingEpoch, leadingTab: v.leadingTab },
    };
  }
  return null;
}

function untruthful(rec: TraceRecord, claim: string, truth: string): Violation {
  return {
    check: 'invariant:store-log',
    message: `'${rec.node}' reported ${claim} (${rec.kind}, trace #${rec.i}) but ${truth}`,
    node: rec.node,
    details: { record: rec },
  };
}

const PAUSES = 'election.last-pause-ms';

/** Tab -> virtual ms of its latest freeze (kept up to date by `electionInvariants`). */
export function lastPauses(ctx: TraceContext): Map<string, number> {
  let m = ctx.runState.get(PAUSES) as Map<string, number> | undefined;
  if (m === undefined) ctx.runState.set(PAUSES, (m = new Map()));
  return m;
}

/** The global-view invariants (the ledger above): they read the trace and its facts only. */
export function electionInvariants(leaseExclusive: boolean, lease?: LeaseTerms): TraceCheck {
  // The ledger is per run (ctx.shared): the check object is shared by every run of the scenario.
  const LEDGER = 'election.ledger';
  return {
    onTrace: true,
    name: 'election-invariants',
    covers: LEDGER_INVARIANTS.filter((n) => (leaseExclusive || n !== 'invariant:lease-exclusive') && ((leaseExclusive && lease !== undefined) || n !== 'invariant:lease-bounded')),
    setup(ctx) {
      const l = new ElectionLedger({ leaseExclusive, lease, exercised: (name) => ctx.exercised(name) });
      ctx.runState.set(LEDGER, l);
      ctx.trace.on('node.pause', (rec) => lastPauses(ctx).set(rec.node, rec.t / 1000));
      for (const kind of LEDGER_KINDS) {
        ctx.trace.on(kind, (rec) => {
          const v = l.onRecord(rec);
          if (v !== null) ctx.fail('correctness', v.check, v.message, { ...v.details, traceIndex: rec.i });
        });
      }
    },
    final(ctx) {
      const v = (ctx.runState.get(LEDGER) as ElectionLedger | undefined)?.finalCheck() ?? null;
      if (v !== null) ctx.fail('correctness', v.check, v.message, v.details);
    },
  };
}
