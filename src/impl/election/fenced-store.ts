/**
 * The protected store's contract: every mutating call carries an epoch (fencing token); the store durably
 * records the highest epoch it has seen and rejects lower ones with FencedError (code 'EFENCED'). A
 * rejected write is an error to its caller, never silently dropped.
 *
 * `FencedStore` is the interface the single writer needs; `BlockFencedStore` (block-fenced-store.ts)
 * implements it over the issue-3 block store. `FencedError` is the block store's own class.
 *
 * Trace (the election's global view reads it; emitted once the call committed; `pos` is the call's unique
 * position in the store's commit order, so records may arrive late or — when the tab crashes right after
 * a commit — not at all): 'fenced.fence' {pos, epoch, writer}, 'fenced.write' {pos, epoch, key, value,
 * writer, reqId}, 'fenced.reject' {epoch, fence, value}, 'fenced.dedup' {reqId, pos}. A request id found
 * applied (dedup or lookup) re-reports its 'fenced.write' record, identical to the original, in case the
 * original never reached the trace.
 */
export { FencedError } from '../storage/errors.ts';

/** One write. `reqId` null means no deduplication. */
export interface StoreWrite {
  key: string;
  value: string;
  epoch: number;
  reqId: string | null;
}

/** Where a write landed. `dedup` is true when the request id had already been applied (nothing written). */
export interface ApplyResult {
  seq: number;
  dedup: boolean;
}

/** A store that only accepts writes from the current epoch or later. */
export interface FencedStore {
  /** Raises the fence to `epoch`; throws FencedError if the store has seen a higher one. */
  fence(epoch: number): Promise<void>;
  /** Applies a write (once per reqId); throws FencedError for a stale epoch. */
  apply(write: StoreWrite): Promise<ApplyResult>;
  /** The result of an applied request id, or null if it was never applied. */
  lookup(reqId: string): Promise<ApplyResult | null>;
  /** The current value of `key`. */
  read(key: string): Promise<string | undefined>;
}

/** The trace records every FencedStore emits (the election's global view reads them). */
export const FENCED_TRACE = {
  /** A fence committed at `pos`. */
  fence: 'fenced.fence',
  /** A write committed at `pos`. */
  write: 'fenced.write',
  /** A call refused as stale. */
  reject: 'fenced.reject',
  /** A request id found applied. */
  dedup: 'fenced.dedup',
} as const;
