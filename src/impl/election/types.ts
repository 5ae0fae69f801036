/**
 * The pluggable election seam: what an election implementation receives (clock, bus, locks, shared store,
 * a reporter) and what it offers (leader status and events). The single-writer layer (writer.ts) and the
 * checks depend only on this, so another implementation — a third-party library adapted to these
 * interfaces — is checked by the same model and invariants. See docs/election.md for the guide.
 */
import type { Bus, Clock, KvStore, Locks, Random } from '../env.ts';

/** Role of a tab in the election. */
export type Role = 'follower' | 'candidate' | 'leader' | 'stepping-down' | 'closed';

/** Why a leader stepped down (traced as `reason`). */
export type StepDownReason = 'lease-expired' | 'lease-lost' | 'lock-stolen' | 'fenced' | 'closing' | 'error'; // docs/election.md, trace vocabulary
/**
 * Why a campaign failed: another tab took it (`taken`), the store transaction failed (`store-error`), the tab
 * is closing (`closed`), the lock was stolen or could not be had (`stolen`, `lock-error`), the epoch could not
 * be recorded (`epoch-error`). The election model refuses any other (a closed vocabulary, as the trace schema).
 */
export type LostReason = 'taken' | 'store-error' | 'closed' | 'stolen' | 'lock-error' | 'epoch-error';

/** Something an election tells its users. */
export type ElectionEvent =
  | { type: 'leader'; epoch: number }
  | { type: 'follower'; reason: StepDownReason | 'start' }
  | { type: 'leader-seen'; holder: string; epoch: number };

/**
 * Records the steps the reference model checks (election.* trace kinds). Every implementation must call
 * these at the documented points; `makeReporter` (report.ts) is the standard one.
 */
export interface ElectionReporter {
  /** About to try to become leader (lease looked free or expired; or queued for the lock). */
  campaign(mode: string): void;
  /** The attempt failed (someone else got it, or the store transaction failed). */
  lost(reason: LostReason): void;
  /** Won epoch `epoch` (it is durably recorded); not acting yet: the store is fenced next. */
  acquired(epoch: number, mode: string): void;
  /**
   * The store is fenced at `epoch`: acting as leader from now on. `validMs`: for how much longer (ms, by
   * this tab's own reckoning) its lease is good, when leadership is a lease.
   */
  leader(epoch: number, validMs?: number): void;
  /** Lease renewed; `validMs` as for `leader`. */
  renewed(epoch: number, validMs: number): void;
  /** Stops acting as leader now; in-flight writes may still finish (they are fenced if stale). */
  stepDown(epoch: number, reason: StepDownReason): void;
  /** Back to follower (in-flight writes drained, lease released if closing). */
  follower(reason: StepDownReason): void;
  /** Another tab is seen as leader (announcement or store record). */
  seen(holder: string, epoch: number): void;
  /** Marks that a named rare path was reached (a "sometimes" assertion the runner counts). */
  probe(name: string): void;
}

/** What an election implementation receives. */
export interface ElectionDeps {
  /** This tab's node id (its bus identity). */
  nodeId: string;
  /** Incarnation of this tab's process (lease holders are `${nodeId}#${incarnation}`). */
  incarnation: number;
  clock: Clock;
  random: Random;
  bus: Bus;
  locks: Locks;
  /** The device's shared transactional store (leases and epochs live here). */
  kv: KvStore;
  /** Fences the protected store at `epoch`; must resolve before the tab acts as leader. */
  fence(epoch: number): Promise<void>;
  /** Number of the writer's leader writes still in flight (a stepping-down leader waits for 0). */
  inflight(): number;
  /** Resolves when `inflight()` reaches 0. */
  drained(): Promise<void>;
  report: ElectionReporter;
}

/** A leader election among the tabs of one device. */
export interface Election {
  /** Starts campaigning/observing (timers, bus subscription). */
  start(): void;
  /** Current role. */
  role(): Role;
  /** Epoch this tab leads with (0 when not leader). */
  epoch(): number;
  /**
   * True when this tab may write to the store now. Checks the lease on the local monotonic clock and
   * steps down (returns false) when it has run out. Must be called right before every leader write.
   */
  canWrite(): boolean;
  /** The writer reports that the store rejected epoch `epoch` as stale: step down. */
  fenced(epoch: number): void;
  /** Subscribes to election events; returns an unsubscribe function. */
  subscribe(listener: (event: ElectionEvent) => void): () => void;
  /** Takes leadership now if the implementation supports preemption (lock mode: steal). */
  takeOver?(): void;
  /**
   * Steps down if leader, releases what it holds and stops; resolves once that is done. Calling it again
   * (also while the first call is still stepping down) resolves at the same moment, not earlier.
   */
  close(): Promise<void>;
}

/** Creates an election for one tab incarnation. */
export type ElectionFactory = (deps: ElectionDeps) => Election;
