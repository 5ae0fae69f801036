/**
 * Reading the fields of peer trace records (their `data` is untyped JSON), shared by the peer checks.
 */

/** A record's `data`. */
export type D = Record<string, unknown>;

/** A string field, or null. */
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A record as a peer's kv store `rec` holds it (`{u, w, t, d}`, docs/peer-sync.md; `dead`: d is null). */
export interface StoredRecord {
  u: string;
  w: string;
  t: string;
  d: string | null;
  dead: boolean;
}

/** A stored `rec` value as read, not copied (`isStored` tells whether it is one). */
export type Stored = { u: string; w: string; t: string; d: string | null } | undefined;

/** True when `v` is a stored record, exactly when `storedRecord(v)` is not undefined (without building one). */
export function isStored(v: unknown): v is NonNullable<Stored> {
  const o = v as { u?: unknown; w?: unknown; t?: unknown; d?: unknown } | undefined;
  return typeof o === 'object' && o !== null && typeof o.u === 'string' && typeof o.w === 'string' && typeof o.t === 'string' && (o.d === null || typeof o.d === 'string');
}

/** Decodes a stored `rec` value (undefined when absent or not a record). */
export function storedRecord(v: unknown): StoredRecord | undefined {
  const o = v as { u?: unknown; w?: unknown; t?: unknown; d?: unknown } | undefined;
  if (typeof o !== 'object' || o === null || typeof o.u !== 'string' || typeof o.w !== 'string' || typeof o.t !== 'string') return undefined;
  if (o.d !== null && typeof o.d !== 'string') return undefined;
  return { u: o.u, w: o.w, t: o.t, d: o.d, dead: o.d === null };
}

/**
 * True when version `held` of a record is the version of timestamp `t` (`dead`: a tombstone) or beats it
 * by the merge rule (docs/peer-sync.md, Data: a tombstone beats a live version, else the larger key; one
 * uuid, so the larger timestamp).
 */
export function atLeast(held: { t: string; dead: boolean } | undefined, t: string, dead: boolean): boolean {
  if (held === undefined) return false;
  if (held.t === t) return true;
  if (held.dead !== dead) return held.dead;
  return held.t > t;
}
