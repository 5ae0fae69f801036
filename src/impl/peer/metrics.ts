/**
 * Sync metrics of one device (seed 004, TODO #9 "Metrics Persistence Not Implemented"): plain counters
 * bumped where the node already does the work (a field increment each: cheap), the measured RTT of every
 * peer, and their persistence as snapshots in the kv object store `sync_metrics_snapshots` (store.ts).
 *
 * - Periodically (`metricsSnapshotMs` of the device's monotonic clock; 0 disables) and on a clean stop
 *   (`handle.stop()`), a snapshot `{timestamp, library, snapshot}` is written in its own small transaction
 *   over that store only: never in a data commit's transaction, never in the commit chain, so it neither
 *   delays nor fails sync. A failed write is traced (`peer.metrics.error`) and ignored; one in flight makes
 *   the next periodic one skip. At most `metricsSnapshotsKept` snapshots are kept: the write deletes the
 *   oldest in the same transaction.
 * - On start the latest snapshot is loaded (in parallel with the data, failures ignored) and the counters
 *   continue from it. What was counted after the last snapshot is lost on a crash (counters resume at the
 *   snapshot's values); RTTs are measurements of the running process and are not restored.
 * - `timestamp` (the key) is the device's wall clock in ms, raised above the previous snapshot's (and every
 *   stored key) when needed: the wall clock may step back, and the latest snapshot must be the last key.
 */
import type { Env, Value } from '../env.ts';
import type { PeerStore } from './store.ts';

/** Counters of one device (totals since its first start, as far as snapshots carried them). */
export interface MetricsCounters {
  /** Starts of the node (this one included). */
  starts: number;
  /** Own changes broadcast (once per change, whatever the number of peers). */
  changesSent: number;
  /** Own shared changes resent to a peer that left them unacknowledged for ackTimeoutMs. */
  changesResent: number;
  /** Changes received (live, catch-up and backfill) and not refused for clock drift. */
  changesReceived: number;
  /** Received changes that took effect (won the merge), once durable. */
  changesApplied: number;
  /** Live changes buffered during a backfill. */
  changesBuffered: number;
  /** AckSharedChanges sent. */
  acksSent: number;
  /** AckSharedChanges received that moved a peer's acknowledgement forward. */
  acksReceived: number;
  /** Own shared changes acknowledged by every peer (pruned from the log). */
  sharedChangesAcked: number;
  /** Catch-up sessions started. */
  catchupSessions: number;
  /** Records received by catch-up (relayed ones included). */
  catchupRecords: number;
  /** Records received by catch-up through a relay (from a peer other than their writer). */
  relayedRecords: number;
  /** Backfill batches made durable. */
  backfillBatches: number;
  /** Records received by backfill batches. */
  backfillRecords: number;
  /** Messages sent (connections and datagrams; a queued one when it is flushed). */
  messagesSent: number;
  /** Messages received (before validation). */
  messagesReceived: number;
  /** Error messages sent. */
  errorsSent: number;
  /** Error messages received. */
  errorsReceived: number;
  /** Snapshots written. */
  snapshotsSaved: number;
  /** Snapshot writes that failed (ignored). */
  snapshotErrors: number;
}

/** Why received changes or messages were refused: reason -> count. */
export type RejectCounts = Record<string, number>;

/** What `handle.metrics()` returns and a snapshot stores. */
export interface MetricsSnapshot {
  counters: MetricsCounters;
  /** Received changes not applied, by reason: 'superseded' (lost the merge), 'clock-drift'. */
  changesRejected: RejectCounts;
  /** Messages refused, by reason: the Error code sent back ('malformed', 'wrong-library', 'clock-drift', ...). */
  messagesRejected: RejectCounts;
  /** Smoothed RTT per peer as measured now, ms (null until measured; not restored after a restart). */
  rttMs: Record<string, number | null>;
}

/** A stored snapshot (the value under its timestamp in `sync_metrics_snapshots`). */
export interface StoredSnapshot {
  timestamp: number;
  library: string;
  snapshot: MetricsSnapshot;
}

/** The counter names, in a fixed order. */
export const COUNTER_NAMES = [
  'starts', 'changesSent', 'changesResent', 'changesReceived', 'changesApplied', 'changesBuffered',
  'acksSent', 'acksReceived', 'sharedChangesAcked', 'catchupSessions', 'catchupRecords', 'relayedRecords',
  'backfillBatches', 'backfillRecords', 'messagesSent', 'messagesReceived', 'errorsSent', 'errorsReceived',
  'snapshotsSaved', 'snapshotErrors',
] as const satisfies readonly (keyof MetricsCounters)[];

function zeroCounters(): MetricsCounters {
  const c = {} as Record<keyof MetricsCounters, number>;
  for (const n of COUNTER_NAMES) c[n] = 0;
  return c;
}

/** The metrics of one running node. */
export class SyncMetrics {
  /** Bump these directly (`metrics.c.changesSent += n`): the cheapest possible counting. */
  readonly c: MetricsCounters = zeroCounters();
  private readonly changesRejected: RejectCounts = {};
  private readonly messagesRejected: RejectCounts = {};

  /** Counts `n` received changes refused for `reason`. */
  rejectChanges(reason: string, n: number): void {
    if (n > 0) this.changesRejected[reason] = (this.changesRejected[reason] ?? 0) + n;
  }

  /** Counts a merge of `offered` changes of which `won` were applied; the others lost to newer ones. */
  applied(offered: number, won: number): void {
    this.c.changesApplied += won;
    this.rejectChanges('superseded', offered - won);
  }

  /** Counts a message refused for `reason`. */
  rejectMessage(reason: string): void {
    this.messagesRejected[reason] = (this.messagesRejected[reason] ?? 0) + 1;
  }

  /** A copy of everything, with the RTTs given. */
  snapshot(rttMs: Record<string, number | null>): MetricsSnapshot {
    return { counters: { ...this.c }, changesRejected: { ...this.changesRejected }, messagesRejected: { ...this.messagesRejected }, rttMs: { ...rttMs } };
  }

  /** Adds a restored snapshot's counts to the current ones (counting may have begun before it was loaded). */
  restore(s: MetricsSnapshot): void {
    for (const n of COUNTER_NAMES) this.c[n] += s.counters[n];
    for (const [k, v] of Object.entries(s.changesRejected)) this.changesRejected[k] = (this.changesRejected[k] ?? 0) + v;
    for (const [k, v] of Object.entries(s.messagesRejected)) this.messagesRejected[k] = (this.messagesRejected[k] ?? 0) + v;
  }
}

/** Encodes a stored snapshot as a kv value. */
export function snapshotValue(s: StoredSnapshot): Value {
  const { counters, changesRejected, messagesRejected, rttMs } = s.snapshot;
  return { timestamp: s.timestamp, library: s.library, snapshot: { counters: { ...counters }, changesRejected, messagesRejected, rttMs } };
}

function countMap(v: unknown): RejectCounts | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const out: RejectCounts = {};
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return null;
    out[k] = n;
  }
  return out;
}

/** Decodes a stored snapshot; null when it is malformed. */
export function parseSnapshot(v: Value | undefined): StoredSnapshot | null {
  const o = v as { timestamp?: unknown; library?: unknown; snapshot?: { counters?: unknown; changesRejected?: unknown; messagesRejected?: unknown; rttMs?: unknown } } | undefined;
  if (typeof o !== 'object' || o === null || typeof o.timestamp !== 'number' || typeof o.library !== 'string') return null;
  const s = o.snapshot;
  if (typeof s !== 'object' || s === null || typeof s.counters !== 'object' || s.counters === null) return null;
  const counters = zeroCounters();
  const raw = s.counters as Record<string, unknown>;
  for (const n of COUNTER_NAMES) {
    const x = raw[n] ?? 0; // a counter added later starts at 0
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) return null;
    counters[n] = x;
  }
  const changesRejected = countMap(s.changesRejected ?? {});
  const messagesRejected = countMap(s.messagesRejected ?? {});
  if (changesRejected === null || messagesRejected === null) return null;
  const rtt: Record<string, number | null> = {};
  if (typeof s.rttMs === 'object' && s.rttMs !== null) {
    for (const [k, x] of Object.entries(s.rttMs as Record<string, unknown>)) rtt[k] = typeof x === 'number' ? x : null;
  }
  return { timestamp: o.timestamp, library: o.library, snapshot: { counters, changesRejected, messagesRejected, rttMs: rtt } };
}

/** Why a snapshot is written. */
export type SnapshotReason = 'periodic' | 'stop';

/** Saves snapshots of `metrics` (periodically and on demand) and restores the latest one. */
export class MetricsRecorder {
  /** Timestamp of the last snapshot saved or restored (the next one is above it). */
  private saving: Promise<void> | null = null;

  constructor(
    private readonly env: Env,
    private readonly library: string,
    private readonly store: PeerStore,
    readonly metrics: SyncMetrics,
    private readonly rtts: () => Record<string, number | null>,
    private readonly keep: number,
  ) {}

  /** Adds the latest stored snapshot (if any, and of this library) to the counters. */
  restore(latest: StoredSnapshot | null): void {
    if (latest === null) return;
    if (latest.library !== this.library) {
      this.env.trace.emit('peer.metrics.error', { what: 'restore', error: `snapshot of library '${latest.library}'` });
      return;
    }
    this.metrics.restore(latest.snapshot);
    this.env.trace.emit('peer.metrics.restored', { timestamp: latest.timestamp, ...latest.snapshot.counters });
  }

  /** Saves a snapshot every `everyMs` of monotonic time (0: never). */
  startPeriodic(everyMs: number): void {
    if (everyMs <= 0) return;
    this.env.clock.setInterval(() => {
      if (this.saving === null) void this.save('periodic');
    }, everyMs);
  }

  /**
   * Writes a snapshot in its own transaction; resolves once it is durable or failed (never rejects: a
   * failure is counted, traced as `peer.metrics.error` and otherwise ignored).
   */
  save(reason: SnapshotReason): Promise<void> {
    const prev = this.saving ?? Promise.resolve();
    const run = async (): Promise<void> => {
      // The store raises the key above the latest one if the wall clock stepped back (PeerStore.saveMetrics).
      const wanted = Math.floor(this.env.clock.now());
      const snapshot = this.metrics.snapshot(this.rtts());
      snapshot.counters.snapshotsSaved++; // the snapshot counts itself: a restart resumes past it
      try {
        const build = (timestamp: number): Value => snapshotValue({ timestamp, library: this.library, snapshot });
        const { timestamp, deleted } = await this.store.saveMetrics(wanted, build, this.keep);
        this.metrics.c.snapshotsSaved++;
        const { counters, changesRejected, messagesRejected, rttMs } = snapshot;
        this.env.trace.emit('peer.metrics', { reason, timestamp, deleted, ...counters, changesRejected, messagesRejected, rttMs });
      } catch (e) {
        this.metrics.c.snapshotErrors++;
        this.env.trace.emit('peer.metrics.error', { what: 'save', reason, error: String((e as Error)?.message ?? e).slice(0, 120) });
      }
    };
    const p = prev.then(run);
    this.saving = p;
    void p.then(() => {
      if (this.saving === p) this.saving = null;
    });
    return p;
  }
}
