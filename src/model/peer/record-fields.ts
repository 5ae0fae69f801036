/**
 * Reading the fields of peer trace records (their `data` is untyped JSON), shared by the peer checks.
 */

/** A record's `data`. */
export type D = Record<string, unknown>;

/** A string field, or null. */
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
