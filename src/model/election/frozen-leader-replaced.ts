/**
 * invariant:frozen-leader-replaced: when the leader freezes (a paused tab keeps its lease record or its lock),
 * another running tab tries to take over within the takeover time. Every safety check passes an election
 * whose followers never notice a silent leader (lock mode: a heartbeat watchdog that never fires; lease
 * mode: followers that never time the record): the store stays consistent and the leader simply carries on
 * when it resumes, but users see every write through the device hang for as long as the freeze lasts.
 *
 * Evidence (never the implementation's word about the takeover): the simulator's lifecycle records
 * (`node.pause`, `.resume`, `.crash`, `.stop`, `.start`), the injector's `fault.<kind>` records, and the
 * attempt as the environment saw it: in lock mode the lock manager's `lock.request {steal: true}`; in lease
 * mode the tab's `election.campaign` (a campaign is a compare-and-set transaction on the lease record, which
 * the election model then holds to its epoch rules). Who leads is taken from the tabs' own `election.leader`
 * and `election.stepdown` reports, only to know whose freeze to watch.
 *
 * Bound: a follower hears the leader for the last time at the freeze at the latest, steals or campaigns once
 * the takeover time (plus its jitter, under one renewal period) has passed on its clock, and looks every
 * renewal period: freeze + takeover + 2 renewal periods, with 10% and 50 ms of room for clock drift and
 * scheduling. Judged only while nothing else happens: the freeze window is dropped when the leader resumes,
 * crashes or stops before the bound, when every other tab is paused or down, and when any other fault is
 * applied meanwhile (a store or bus fault may legitimately delay the attempt); and it is not opened while
 * another lasting fault is still in effect from before the freeze (its `fault.<kind>` with a `durationMs`
 * and no `fault.end` yet): e.g. another tab frozen with a kv transaction open holds the lease record's
 * store, so no follower can read it until that tab resumes (election-swarm seed 4046). In lease mode it is
 * also dropped when the leader froze holding a kv transaction on the lease record's store (the simulator's
 * `kv.held` right after its `node.pause`: e.g. its renewal, open when it froze): every follower's lease
 * poll and campaign waits behind it until the leader resumes, as in a browser (election-swarm-long seed
 * 6014); once those transactions end while it is still frozen (`kv.commit` / `kv.abort`: a pause triggered
 * at a commit lets that commit finish first), the window opens again with its bound counted from then.
 * Lock mode needs no such excuse: a steal takes the lock without the store.
 */
import { appliedFaultKind } from '../../faults/schema.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { WatchViolation } from './trace-watch.ts';

/** The invariant's name. */
export const FROZEN_LEADER_REPLACED = 'invariant:frozen-leader-replaced';

/** Trace kinds the check reads (besides the injector's `fault.<kind>` records). */
export const FROZEN_KINDS: readonly string[] = [
  'node.start',
  'node.pause',
  'node.resume',
  'node.crash',
  'node.stop',
  'election.leader',
  'election.stepdown',
  'election.campaign',
  'lock.request',
  'kv.held',
  'kv.commit',
  'kv.abort',
];

/** The kv object store of the lease record (docs/election.md, lease mode: store 'election', key 'lease'). */
export const LEASE_STORE = 'election';

/** The bound after a freeze (ms) for the given takeover time and renewal period. */
export function frozenBoundMs(takeoverMs: number, renewEveryMs: number): number {
  return (takeoverMs + 2 * renewEveryMs) * 1.1 + 50;
}

interface Window {
  leader: string;
  pausedMs: number;
  deadlineMs: number;
  /** Other tabs running when the leader froze and still running. */
  eligible: Set<string>;
  /** Trace index of the freeze. */
  i: number;
}

/** The check's state over one run. */
/** Storage fault kinds: their `fault.<kind>` records are hits of an armed fault, not a fault that lasts. */
const STORAGE_HITS: ReadonlySet<string> = new Set(['diskError', 'fsyncFail', 'tornWrite', 'bitFlip']);

export class FrozenLeaderWatch {
  private leader: string | null = null;
  /** Tabs started and neither paused nor down. */
  private readonly running = new Set<string>();
  /** Lasting faults in effect (plan event -> the node it froze, for pauses; '' otherwise), until their fault.end. */
  private readonly lasting = new Map<number, string>();
  private window: Window | null = null;
  /** A frozen leader's window set aside while it holds kv transactions on the lease store (`kv.held`). */
  private held: { leader: string; txs: Set<number>; eligible: Set<string>; i: number } | null = null;

  constructor(
    private readonly mode: 'lease' | 'lock',
    private readonly boundMs: number,
    private readonly exercised: (name: string) => void = () => {},
  ) {}

  /** True when a lasting fault other than the pause of `leader` is in effect. */
  private otherFaultLasts(leader: string): boolean {
    for (const node of this.lasting.values()) if (node !== leader) return true;
    return false;
  }

  onRecord(rec: TraceRecord): WatchViolation | null {
    const ms = rec.t / 1000;
    const late = this.overdue(ms);
    if (late !== null) return late;
    const w = this.window;
    if (rec.kind.startsWith('fault.')) {
      const kind = appliedFaultKind(rec.kind);
      if (rec.kind === 'fault.end') this.lasting.delete(rec.data.event as number);
      else if (kind !== null && !STORAGE_HITS.has(kind) && typeof rec.data.durationMs === 'number') {
        this.lasting.set(rec.data.event as number, kind === 'pause' ? String(rec.data.node) : '');
      }
      // Another fault while a freeze is watched: the attempt may be legitimately delayed.
      if (w !== null && kind !== null && !(rec.kind === 'fault.pause' && rec.data.node === w.leader)) this.window = null;
      if (this.held !== null && kind !== null) this.held = null;
      return null;
    }
    switch (rec.kind) {
      case 'node.start':
      case 'node.resume':
        this.running.add(rec.node);
        if (w !== null && rec.node === w.leader) this.window = null;
        if (this.held !== null && rec.node === this.held.leader) this.held = null;
        return null;
      case 'node.pause':
      case 'node.crash':
      case 'node.stop':
        this.running.delete(rec.node);
        if (rec.kind !== 'node.pause' && rec.node === this.leader) this.leader = null;
        if (this.held !== null && rec.node === this.held.leader) this.held = null;
        if (w !== null) {
          if (rec.node === w.leader) this.window = null;
          else if (w.eligible.delete(rec.node) && w.eligible.size === 0) this.window = null;
          return null;
        }
        if (rec.kind === 'node.pause' && rec.node === this.leader && !this.otherFaultLasts(rec.node)) {
          const eligible = new Set([...this.running].filter((n) => n !== rec.node));
          if (eligible.size > 0) this.window = { leader: rec.node, pausedMs: ms, deadlineMs: ms + this.boundMs, eligible, i: rec.i };
        }
        return null;
      case 'election.leader':
        this.leader = rec.node;
        return null;
      case 'election.stepdown':
        if (rec.node === this.leader) this.leader = null;
        return null;
      case 'election.campaign':
        if (this.mode === 'lease') this.attempt(rec);
        return null;
      case 'lock.request':
        if (this.mode === 'lock' && rec.data.steal === true) this.attempt(rec);
        return null;
      case 'kv.held':
        // The frozen leader keeps the lease record's store: no follower can poll or campaign until it resumes,
        // or until those transactions end while it is frozen (a pause triggered at a commit lets that commit
        // finish first): then the window opens again, its bound counted from then.
        if (w !== null && rec.node === w.leader && this.mode === 'lease' && (rec.data.stores as string[]).includes(LEASE_STORE)) {
          this.held = { leader: w.leader, txs: new Set(rec.data.txs as number[]), eligible: w.eligible, i: w.i };
          this.window = null;
        }
        return null;
      case 'kv.commit':
      case 'kv.abort': {
        const h = this.held;
        if (h === null || rec.node !== h.leader || !h.txs.delete(rec.data.tx as number) || h.txs.size > 0) return null;
        this.held = null;
        for (const n of [...h.eligible]) if (!this.running.has(n)) h.eligible.delete(n);
        if (h.eligible.size > 0 && !this.otherFaultLasts(h.leader)) this.window = { leader: h.leader, pausedMs: ms, deadlineMs: ms + this.boundMs, eligible: h.eligible, i: h.i };
        return null;
      }
      default:
        return null;
    }
  }

  /** Never done: a leader may freeze at any moment of the run, so the watch reads it to the end. */
  done(): boolean {
    return false;
  }

  final(ms: number): WatchViolation | null {
    return this.overdue(ms);
  }

  private attempt(rec: TraceRecord): void {
    const w = this.window;
    if (w === null || !w.eligible.has(rec.node)) return;
    this.window = null;
    this.exercised(FROZEN_LEADER_REPLACED);
  }

  private overdue(ms: number): WatchViolation | null {
    const w = this.window;
    if (w === null || ms <= w.deadlineMs) return null;
    this.window = null;
    this.exercised(FROZEN_LEADER_REPLACED);
    const how = this.mode === 'lock' ? 'requested the lock with steal' : 'campaigned for the lease';
    return {
      check: FROZEN_LEADER_REPLACED,
      message:
        `leader ${w.leader} froze at ${w.pausedMs.toFixed(1)} ms (trace #${w.i}) and no other running tab (${[...w.eligible].join(', ')}) ${how} ` +
        `within ${this.boundMs.toFixed(0)} ms (the takeover time plus two renewal periods, with room for drift), with no other fault meanwhile: ` +
        `followers never noticed the silent leader, and every write hangs until it resumes`,
      details: { leader: w.leader, pausedMs: w.pausedMs, boundMs: this.boundMs, eligible: [...w.eligible] },
    };
  }
}
