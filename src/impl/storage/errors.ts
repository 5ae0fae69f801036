/**
 * Errors of the block store. Every failure the caller can act on is a `StoreError` with a `code`;
 * fencing has its own class so callers (leader election) can catch it by type.
 */

/** Error codes of the block store. */
export type StoreErrorCode =
  | 'EFENCED' // a write or commit carried an epoch lower than the highest the store has recorded
  | 'ECHECKSUM' // committed data failed checksum verification (never returned to the caller)
  | 'ECORRUPT' // the durable state is inconsistent or a committed block is missing/invalid
  | 'ESTALE' // another writer committed to the same store since this instance loaded it
  | 'EAPPLIED' // a commit carried a request id that an earlier commit already recorded (nothing applied)
  | 'ECLOSED' // the store was shut down
  | 'EINVAL' // a bad argument (named in the message)
  | 'ELIMIT' // an explicit limit was exceeded (named in the message)
  | 'EIO' // the environment failed an I/O operation during a commit or read
  | 'ENOSPC'; // no space left during a commit

/** An error of the block store. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A write or commit from a stale epoch (lower fencing token) was rejected; nothing of it was applied. */
export class FencedError extends StoreError {
  override name = 'FencedError';
  constructor(
    /** The epoch the rejected call carried. */
    readonly epoch: number,
    /** The highest epoch the store has recorded. */
    readonly highestEpoch: number,
  ) {
    super('EFENCED', `epoch ${epoch} is lower than the store's highest epoch ${highestEpoch}`);
  }
}

/** What the store recorded for a request id, in the same transaction as the commit that carried it. */
export interface AppliedRequest {
  /** The commit that carried the request (its position in the store's commit order). */
  commit: number;
  /** The epoch of that commit. */
  epoch: number;
  /** What the caller attached to the request (JSON). */
  result: unknown;
}

/**
 * A commit carried a request id that is already recorded: nothing of the commit was applied and its
 * writes were discarded (they are a retry's). `applied` is what the first commit recorded.
 */
export class RequestAppliedError extends StoreError {
  override name = 'RequestAppliedError';
  constructor(
    readonly requestId: string,
    readonly applied: AppliedRequest,
  ) {
    super('EAPPLIED', `request '${requestId}' was applied by commit ${applied.commit}`);
  }
}

/** The code of an environment or store error, or 'EIO' for anything else. */
export function errorCode(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code;
  }
  return 'EIO';
}
