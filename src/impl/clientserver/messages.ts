/**
 * The client-server sync protocol: the messages on the sync connection and on the meta channel, and their
 * validation (a message that does not validate is dropped and traced, never half-applied). The layout of
 * every field is in docs/client-server.md ("Protocol"); the evidence recorders decode it on their own.
 *
 * Sync connection (client -> server `S`):
 *   Hello   -> Welcome                       the handshake: database, schema, lineage, first round trip
 *   Push    -> Ack                           local changes newer than the last acknowledged version
 *   Ping    -> Pong                          liveness: green needs a recent answered ping
 *   (server) Changes                         the server's log after the client's cursor, then live relays
 * Meta channel (client -> meta node `M`, the seed's HTTP `/:db/meta`): MetaRequest -> Meta.
 */
import type { Value } from '../env.ts';

/** One change of a row's column, as cr-sqlite's `crsql_changes` holds it. */
export interface Change {
  table: string;
  pk: string;
  col: string;
  /** The new value (null: cleared). */
  value: string | null;
  /** The column's version: higher wins; ties go to the larger origin site id. */
  colVersion: number;
  /** The origin's database version of this change (one change per version here). */
  dbVersion: number;
  /** The origin's site id. */
  site: string;
}

/** A change in the server's log: its position `seq` (the server's own db_version). */
export interface LoggedChange extends Change {
  seq: number;
}

export interface Hello {
  type: 'Hello';
  db: string;
  /** The client's schema version. */
  schema: number;
  /** The client's site id. */
  client: string;
  /** The server site id this client remembers for `db` (null: never synced). */
  server: string | null;
  /** The last server `seq` the client durably applied. */
  cursor: number;
}

export interface Welcome {
  type: 'Welcome';
  db: string;
  /** The server's site id (a rebuild gives a new one). */
  site: string;
  schema: number;
  /** The server's log head when it answered: the client is caught up once its cursor reaches it. */
  head: number;
  /** The highest of this client's versions in the server's durable log (the handshake's ACK). */
  acked: number;
  /** Records and bytes the server will send to bring the client from its cursor to `head` (progress). */
  total: number;
  bytes: number;
}

export interface Push {
  type: 'Push';
  /** The client's own changes, in version order (`site` is the client's). */
  changes: Change[];
}

export interface Ack {
  type: 'Ack';
  /** The highest of the client's versions now in the server's durable log. */
  upTo: number;
}

export interface Changes {
  type: 'Changes';
  /** Consecutive entries of the server's log, in seq order. */
  changes: LoggedChange[];
}

export interface Ping {
  type: 'Ping';
  n: number;
}

export interface Pong {
  type: 'Pong';
  n: number;
}

export interface MetaRequest {
  type: 'MetaRequest';
  db: string;
}

export interface Meta {
  type: 'Meta';
  db: string;
  /** null: the database does not exist (yet) on the server. */
  site: string | null;
  schema: number | null;
}

/** Every message of the protocol. */
export type CsMessage = Hello | Welcome | Push | Ack | Changes | Ping | Pong | MetaRequest | Meta;

type Obj = { readonly [k: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const strOrNull = (v: unknown): boolean => v === null || isStr(v);

function isChange(v: unknown): v is Change {
  return isObj(v) && isStr(v.table) && isStr(v.pk) && isStr(v.col) && strOrNull(v.value) && isNat(v.colVersion) && isNat(v.dbVersion) && isStr(v.site);
}

const isLogged = (v: unknown): v is LoggedChange => isChange(v) && isNat((v as unknown as Obj).seq);

/** Field checks per message type. */
const SHAPES: Record<CsMessage['type'], (m: Obj) => boolean> = {
  Hello: (m) => isStr(m.db) && isNat(m.schema) && isStr(m.client) && strOrNull(m.server) && isNat(m.cursor),
  Welcome: (m) => isStr(m.db) && isStr(m.site) && isNat(m.schema) && isNat(m.head) && isNat(m.acked) && isNat(m.total) && isNat(m.bytes),
  Push: (m) => Array.isArray(m.changes) && m.changes.every(isChange),
  Ack: (m) => isNat(m.upTo),
  Changes: (m) => Array.isArray(m.changes) && m.changes.every(isLogged),
  Ping: (m) => isNat(m.n),
  Pong: (m) => isNat(m.n),
  MetaRequest: (m) => isStr(m.db),
  Meta: (m) => isStr(m.db) && strOrNull(m.site) && (m.schema === null || isNat(m.schema)),
};

/** The message, or null when `v` is not a valid protocol message. */
export function decodeMessage(v: Value): CsMessage | null {
  if (!isObj(v) || !isStr(v.type) || !Object.hasOwn(SHAPES, v.type)) return null;
  return SHAPES[v.type as CsMessage['type']](v) ? (v as unknown as CsMessage) : null;
}

/** A message as a wire value. */
export const encode = (m: CsMessage): Value => m as unknown as Value;

/** The size of a change for progress, in bytes: the UTF-16 code units of its value (0 when null). */
export const changeBytes = (c: Change): number => (c.value === null ? 0 : c.value.length);

/** True when change `a` wins over a cell last written with (colVersion, site) `b` (cr-sqlite's rule). */
export function wins(a: { colVersion: number; site: string }, b: { colVersion: number; site: string } | undefined): boolean {
  if (b === undefined) return true;
  if (a.colVersion !== b.colVersion) return a.colVersion > b.colVersion;
  return a.site > b.site;
}
