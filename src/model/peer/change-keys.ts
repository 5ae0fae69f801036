/**
 * Record keys as the peer checks compare them: `(ts, uuid)`, ordered by the HLC string then the uuid
 * (docs/peer-sync.md, Data). A cursor of a shared resource names an HLC only (uuid '').
 */

/** A record key (or cursor). */
export interface Key {
  ts: string;
  uuid: string;
}

/** Compares two keys (null, the start, sorts first): negative, zero or positive. */
export function compareKey(a: Key | null, b: Key | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

/** A key for messages: 'ts/uuid', or 'the start'. */
export function showKey(k: Key | null): string {
  return k === null ? 'the start' : k.uuid === '' ? k.ts : `${k.ts}/${k.uuid}`;
}

/** The key of fact fields `ts` and `uuid` (uuid null: a shared cursor), or null. */
export function keyOf(ts: unknown, uuid: unknown): Key | null {
  return typeof ts === 'string' ? { ts, uuid: typeof uuid === 'string' ? uuid : '' } : null;
}
