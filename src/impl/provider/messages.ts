/**
 * The provider's wire protocol: requests a library sends over a connection to a cloud provider, and the
 * provider's replies (docs/provider-sync.md, Wire format). Every request carries a `reqId` its reply
 * repeats. Cursors and page tokens are opaque to the library.
 *
 *   ListFiles  {reqId, pageToken|null}     -> Files   {reqId, entries: FileMeta[], next: token|null, asOf: cursor}
 *   GetChanges {reqId, cursor|null}        -> Changes {reqId, entries: Change[], cursor, hasMore}
 *   Download   {reqId, fileId, rev}        -> Content {reqId, fileId, rev, data}
 *   any                                    -> Error   {reqId, status, retryAfterMs}
 *
 * - A full listing is a snapshot as of `asOf` (the same on every page): reading the change feed from
 *   `asOf` afterwards brings everything the listing may have missed. The listing is served from an index
 *   that trails the feed (eventual consistency): `asOf` may be behind the feed's head.
 * - `GetChanges` with a null cursor returns no entries and the feed's head cursor ("latest cursor").
 * - Error statuses: 404 the file is gone or at another revision; 410 the cursor or page token expired
 *   (the feed was trimmed past it or reset): only a full listing recovers; 429 rate limited, retry after
 *   `retryAfterMs`; 500 and 503 transient.
 */
import type { Value } from '../env.ts';

/** Metadata of a live file. `rev` is the feed sequence number of its latest change. */
export interface FileMeta {
  id: string;
  path: string;
  hash: string;
  size: number;
  rev: number;
}

/** What a change did. A move changes the path only (same content). */
export type ChangeOp = 'added' | 'modified' | 'deleted' | 'moved';

/** One entry of the change feed: the file's state after the change (`rev` = `seq`). */
export interface Change extends FileMeta {
  seq: number;
  op: ChangeOp;
}

/** A request without its id (the client numbers them). */
export type RequestBody =
  | { type: 'ListFiles'; pageToken: string | null }
  | { type: 'GetChanges'; cursor: string | null }
  | { type: 'Download'; fileId: string; rev: number };

/** A request to a provider. */
export type ProviderRequest = RequestBody & { reqId: number };

/** Error statuses a provider answers with. */
export type ErrorStatus = 404 | 410 | 429 | 500 | 503;

/** A provider's reply. */
export type ProviderReply =
  | { type: 'Files'; reqId: number; entries: FileMeta[]; next: string | null; asOf: string }
  | { type: 'Changes'; reqId: number; entries: Change[]; cursor: string; hasMore: boolean }
  | { type: 'Content'; reqId: number; fileId: string; rev: number; data: string }
  | { type: 'Error'; reqId: number; status: ErrorStatus; retryAfterMs: number | null };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => Number.isInteger(v);
const strOrNull = (v: unknown): boolean => v === null || isStr(v);

/** The request in `v`, or null when it is not a well-formed one. */
export function decodeRequest(v: Value): ProviderRequest | null {
  if (!isObj(v) || !isInt(v.reqId)) return null;
  switch (v.type) {
    case 'ListFiles':
      return strOrNull(v.pageToken) ? (v as unknown as ProviderRequest) : null;
    case 'GetChanges':
      return strOrNull(v.cursor) ? (v as unknown as ProviderRequest) : null;
    case 'Download':
      return isStr(v.fileId) && isInt(v.rev) ? (v as unknown as ProviderRequest) : null;
    default:
      return null;
  }
}

function isMeta(v: unknown): boolean {
  return isObj(v) && isStr(v.id) && isStr(v.path) && isStr(v.hash) && isInt(v.size) && isInt(v.rev);
}

/** The reply in `v`, or null when it is not a well-formed one. */
export function decodeReply(v: Value): ProviderReply | null {
  if (!isObj(v) || !isInt(v.reqId)) return null;
  switch (v.type) {
    case 'Files':
      return Array.isArray(v.entries) && v.entries.every(isMeta) && strOrNull(v.next) && isStr(v.asOf) ? (v as unknown as ProviderReply) : null;
    case 'Changes':
      return Array.isArray(v.entries) && v.entries.every((e) => isMeta(e) && isInt((e as Change).seq)) && isStr(v.cursor) && typeof v.hasMore === 'boolean' ? (v as unknown as ProviderReply) : null;
    case 'Content':
      return isStr(v.fileId) && isInt(v.rev) && isStr(v.data) ? (v as unknown as ProviderReply) : null;
    case 'Error':
      return isInt(v.status) ? (v as unknown as ProviderReply) : null;
    default:
      return null;
  }
}

/** A cursor: `<epoch>:<seq>` (everything up to and including `seq` of that feed epoch was seen). */
export function formatCursor(epoch: number, seq: number): string {
  return `${epoch}:${seq}`;
}

/** The epoch and seq of a cursor, or null when it does not parse. */
export function parseCursor(c: string): { epoch: number; seq: number } | null {
  const m = /^(\d+):(\d+)$/.exec(c);
  return m === null ? null : { epoch: Number(m[1]), seq: Number(m[2]) };
}
