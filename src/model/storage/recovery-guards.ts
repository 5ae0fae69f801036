/**
 * The data of the recovery model and the guards that decide from it (docs/storage.md, "Recovery model").
 * Each guard is a reason function (`GuardReason`): null when the event is allowed, else a sentence naming
 * the numbers it compared. The machine's XState guards are built from these (`guardsFrom`).
 *
 * Evidence: `durable` is the device's durable commit point from `fact.store` (the simulator's durable
 * image), `acked` the highest commit the workload was told is durable (`workload.force-synced`), never a
 * number the store reports about itself; the store's own records only say what it claims (the commit it
 * begins, the marker it calls durable, the commit recovery says it reached), and the guards hold each
 * claim against that evidence.
 */
import type { GuardReason } from '../monitor.ts';

/** Context of one store process (one instance per node). */
export interface RecoveryContext {
  /** `<backend>:<root>` of the store this process opened (null before its first open). */
  store: string | null;
  /** The store commits with relaxed durability when not forced (kv `relaxedCommits`, from `store.open`). */
  relaxed: boolean;
  /** The last commit this process knows took effect (its recovery's result, then its own markers). */
  committed: number;
  /** The commit in progress (`store.commit.begin`), or null. */
  begun: number | null;
  /** The commit in progress is forced (strict durability). */
  strict: boolean;
  /** The commit whose marker write is in progress, or null. */
  markerWrite: number | null;
  /**
   * Highest commit of this process whose marker write started and may still become durable: a rename or
   * a relaxed transaction not yet made durable, also across a crash without power loss. Cleared when a
   * recovery begins after a power loss (every pending operation was settled then) and when a file
   * recovery ends (it fsyncs what it decided).
   */
  mayLand: number;
  /** The durable commit point: max(marker, committed metadata) of the durable image (`fact.store`). */
  durable: number;
  /** The fencing epoch of the durable marker (`fact.store`). */
  epoch: number;
  /** The durable commit point when the current recovery began (raised only by this process's own landing marker). */
  recoverFrom: number;
  /** The highest commit a completed forceSync acknowledged to the workload (`workload.force-synced`). */
  acked: number;
  /** The device lost power since the last recovery began. */
  powerLost: boolean;
  /** A static fence (`store.fence.begin`) of this process is in flight. */
  fencing: boolean;
  /** Other processes of the device share the store (another tab's commits and fences move `durable`). */
  shared: boolean;
}

/** Events of the recovery model (payload fields as the spec maps them from trace records). */
export interface RecoveryEvent {
  type: string;
  /** Commit number of the record. */
  commit?: number;
  /** COMMIT_BEGIN: a forced commit. */
  strict?: boolean;
  /** OPEN, FACT: `<backend>:<root>`. */
  store?: string;
  /** OPEN: relaxed commits. */
  relaxed?: boolean;
  /** FACT: the durable commit point. */
  durable?: number;
  /** FACT, FENCE: fencing epoch. */
  epoch?: number;
  /** FACT: other processes share the device. */
  shared?: boolean;
  /**
   * Instance events: the device's durable point as the latest `fact.store` says, with whether the device
   * is shared (the spec attaches it; on a shared device the facts themselves are not stepped).
   */
  point?: { durable: number; epoch: number; shared: boolean };
}

/** The initial context: nothing known, nothing durable. */
export const INITIAL_CONTEXT: RecoveryContext = {
  store: null,
  relaxed: false,
  committed: 0,
  begun: null,
  strict: false,
  markerWrite: null,
  mayLand: 0,
  durable: 0,
  epoch: 0,
  recoverFrom: 0,
  acked: 0,
  powerLost: false,
  fencing: false,
  shared: false,
};

const n = (e: RecoveryEvent): number => e.commit ?? -1;

/** The durable commit point as of this event (the point it carries, else the last fact stepped). */
export const durableAt = (c: RecoveryContext, e: RecoveryEvent): number => e.point?.durable ?? c.durable;
const epochAt = (c: RecoveryContext, e: RecoveryEvent): number => e.point?.epoch ?? c.epoch;
const sharedAt = (c: RecoveryContext, e: RecoveryEvent): boolean => e.point?.shared ?? c.shared;

/** True when this process's own in-flight marker write or fence explains the durable point reaching `d`. */
export function ownAdvance(c: RecoveryContext, d: number): boolean {
  return d <= Math.max(c.mayLand, c.markerWrite ?? 0) || (c.fencing && d <= c.durable + 1);
}

/** A fact about another store of the device (other backend or root): not this process's. */
export const otherStore = (c: RecoveryContext, e: RecoveryEvent): boolean => c.store !== null && e.store !== c.store;

const own: GuardReason<RecoveryContext, RecoveryEvent> = (c, e) =>
  n(e) === c.begun ? null : `commit ${n(e)} is not the commit in progress (${c.begun ?? 'none'})`;

/** Guard name -> reason (see the file comment). */
export const RECOVERY_REASONS: Readonly<Record<string, GuardReason<RecoveryContext, RecoveryEvent>>> = {
  beginsNext: (c, e) =>
    n(e) === c.committed + 1 ? null : `commit ${n(e)} began, but this process's last commit is ${c.committed} (a commit is numbered marker + 1)`,
  ownCommit: own,
  markerDurable: (c, e) => {
    const notOwn = own(c, e);
    if (notOwn !== null) return notOwn;
    if (durableAt(c, e) >= n(e) || (c.relaxed && !c.strict)) return null;
    return `the store reports commit ${n(e)}'s marker durable, but the durable commit point is ${durableAt(c, e)}`;
  },
  failedUnapplied: (c, e) => {
    const notOwn = own(c, e);
    if (notOwn !== null) return notOwn;
    if (sharedAt(c, e) || durableAt(c, e) < n(e)) return null;
    return `commit ${n(e)} is reported as not applied, but the durable commit point is ${durableAt(c, e)}`;
  },
  ownFinalize: (c, e) => (n(e) === c.committed ? null : `finalize of commit ${n(e)}, but the last commit is ${c.committed}`),
  finalizeBelowDurable: (c, e) =>
    n(e) <= c.recoverFrom
      ? null
      : `recovery finalizes commit ${n(e)}, above the durable commit point ${c.recoverFrom} when it began (blocks newer than the marker would become visible)`,
  rollbackAboveDurable: (c, e) => {
    if (n(e) < 0) return null; // torn pending metadata: its commit is unknown
    if (n(e) <= c.acked) return `recovery rolls back commit ${n(e)}, which forceSync acknowledged (up to ${c.acked})`;
    if (n(e) <= c.recoverFrom) return `recovery rolls back commit ${n(e)}, at or below the durable commit point ${c.recoverFrom} when it began`;
    return null;
  },
  reachedDurable: (c, e) => {
    const got = n(e);
    const durable = durableAt(c, e);
    if (got < c.acked) return `recovery ended at commit ${got}, below commit ${c.acked} that forceSync acknowledged`;
    if (got < c.recoverFrom) return `recovery ended at commit ${got}, below the durable commit point ${c.recoverFrom} when it began`;
    const top = c.relaxed ? Math.max(durable, c.mayLand) : durable;
    if (got > top) {
      const relaxed = c.relaxed ? ` (relaxed commits up to ${c.mayLand} may be visible)` : '';
      return `recovery reports commit ${got}, but the durable commit point is ${durable}${relaxed}: it names a state it did not reach`;
    }
    if (!sharedAt(c, e) && got < durable) return `recovery reports commit ${got}, but the durable commit point is ${durable}`;
    return null;
  },
  durableAdvance: (c, e) => {
    if (otherStore(c, e)) return null;
    const d = e.durable ?? 0;
    if (d < c.acked) return `the durable commit point fell to ${d}, below commit ${c.acked} that forceSync acknowledged`;
    if (d <= c.durable || ownAdvance(c, d) || e.shared === true) return null;
    const pending = c.mayLand > 0 ? ` (its pending marker write is of commit ${c.mayLand})` : '';
    return `the durable commit point advanced from ${c.durable} to ${d}, but no marker write or fence of this process that could still land reaches it${pending}: only a commit's own marker write may move it, never a recovery`;
  },
  ackDurable: (c, e) =>
    n(e) <= durableAt(c, e) ? null : `forceSync acknowledged commit ${n(e)}, but the durable commit point is ${durableAt(c, e)}`,
  flushDurable: (c, e) => (n(e) <= durableAt(c, e) ? null : `the store flushed up to commit ${n(e)}, but the durable commit point is ${durableAt(c, e)}`),
  fenceDurable: (c, e) => {
    if (n(e) > durableAt(c, e)) return `the store reports fence commit ${n(e)}, but the durable commit point is ${durableAt(c, e)}`;
    if ((e.epoch ?? 0) > epochAt(c, e)) return `the store reports a fence at epoch ${e.epoch}, but the durable marker's epoch is ${epochAt(c, e)}`;
    return null;
  },
};
