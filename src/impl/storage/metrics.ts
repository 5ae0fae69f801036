/** Observability of the block store: metrics and the events callers can subscribe to. */

/** Metrics of one store instance (since it was opened). */
export interface StoreMetrics {
  /** Blocks written or deallocated and not yet committed (in flight included). */
  dirtyCount: number;
  /** Bytes of those blocks. */
  dirtyBytes: number;
  /** Commits that took effect. */
  commits: number;
  /** Commits that failed (the caller got an error). */
  failedCommits: number;
  /** Block bytes committed. */
  bytesCommitted: number;
  /** bytesCommitted per second of the node's monotonic time since open. */
  throughputBytesPerSec: number;
  /** failedCommits / (commits + failedCommits), 0 when nothing was attempted. */
  errorRate: number;
  /**
   * Reads since open whose checksum did not match (ECHECKSUM to the caller). Blocks that startup
   * verification found corrupt are in `summary().corrupt` and `store.recover.done {corrupt}`.
   */
  checksumFailures: number;
}

/** Something a store reports to its subscribers. */
export type StoreEvent =
  | { type: 'sync-start'; commit: number; blocks: number }
  | { type: 'sync-success'; commit: number; blocks: number; bytes: number }
  | { type: 'sync-failure'; commit: number; code: string }
  | { type: 'backpressure'; on: boolean; dirtyBytes: number }
  | { type: 'write'; seq: number; dirtyCount: number; dirtyBytes: number };

/** A subscriber of store events. */
export type StoreListener = (event: StoreEvent) => void;
