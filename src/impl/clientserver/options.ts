/**
 * Options of the client-server sync: two types each (all optional, then resolved with defaults and
 * validated once, failing with a message that names the field).
 */
import type { ServerStoreConfig } from './server-store.ts';
import type { CsVariant } from './variants.ts';

/** Where the server's block store lives on each backend (docs/client-server.md, "Data and storage"). */
export const SERVER_STORE_ROOTS = { file: '/cs-server', kv: 'cs-server' } as const;

/** Options of a sync server node. */
export interface ServerOptions {
  /** The database name clients ask for. */
  db: string;
  /** Schema version this server runs (a higher one than stored is a migration). */
  schema: number;
  /**
   * The operator's rebuild counter: a server started with a higher generation than its storage holds
   * rebuilds the database (a fresh one, or a restore: the log is replaced) and draws a new site id.
   */
  generation?: number;
  /** Changes per `Changes` message (default 200). */
  chunk?: number;
  /**
   * The backend of the server's block store (src/impl/storage): 'file' (default: the device's disk, so
   * disk faults reach it) or 'kv' (the device's transactional store).
   */
  storage?: 'file' | 'kv';
  /** Block size of the server's block store: its page of log bytes (default 4096). */
  blockSize?: number;
  /** Weakened variant ('' default). */
  variant?: string;
  /**
   * A scenario's slow storage (never set in production): awaited before each append of a client's push,
   * in the commit queue, so the server keeps answering pings while it stores (and acknowledges) nothing.
   */
  appendGate?: () => Promise<void>;
}

/** Resolved server options. */
export interface ServerConfig {
  db: string;
  schema: number;
  generation: number;
  chunk: number;
  store: ServerStoreConfig;
  variant: CsVariant;
  appendGate: (() => Promise<void>) | null;
}

/** Options of a client (a browser's sync worker). */
export interface ClientOptions {
  /** Address of the sync server. */
  server: string;
  /** Address of the meta endpoint (the seed's HTTP `/:db/meta`); null: no meta check. */
  meta?: string | null;
  db: string;
  /** The client's schema version. */
  schema: number;
  /** Ping period, ms (default 250). */
  pingEveryMs?: number;
  /** A connection whose last answered ping was sent longer ago than this is closed (default 1,250 ms). */
  staleAfterMs?: number;
  /** Stuck after this long without progress on an open connection with work outstanding (default 10 s). */
  stuckAfterMs?: number;
  /** Stuck after this many consecutive connections that closed before the handshake completed (default 3). */
  rapidFailuresMax?: number;
  /** Delay between connection attempts, ms (default 500). */
  reconnectMs?: number;
  /** Connect timeout of the sync and meta connections, ms (default 2,000). */
  connectTimeoutMs?: number;
  /** How long to wait for the meta answer, ms (default 1,000). */
  metaTimeoutMs?: number;
  /** Changes per Push (default 100). */
  pushBatch?: number;
  /** How long Nuke and Resync waits for its final push to be acknowledged, ms (default 3,000). */
  nukePushTimeoutMs?: number;
  variant?: string;
}

/** Resolved client options. */
export type ClientConfig = Required<Omit<ClientOptions, 'meta' | 'variant'>> & { meta: string | null; variant: CsVariant };

function positive(v: number | undefined, dflt: number, field: string): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x <= 0) throw new RangeError(`${field}: expected a positive number, got ${String(v)}`);
  return x;
}

function count(v: number | undefined, dflt: number, field: string): number {
  const x = positive(v, dflt, field);
  if (!Number.isInteger(x)) throw new RangeError(`${field}: expected a positive integer, got ${String(v)}`);
  return x;
}

function named(v: string, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new RangeError(`${field}: expected a non-empty string`);
  return v;
}

function schemaOf(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${field}: expected an integer >= 0, got ${String(v)}`);
  return v;
}

function storeOf(o: ServerOptions): ServerStoreConfig {
  const backend = o.storage ?? 'file';
  if (backend !== 'file' && backend !== 'kv') throw new RangeError(`storage: expected 'file' or 'kv', got ${String(o.storage)}`);
  const blockSize = count(o.blockSize, 4096, 'blockSize');
  // The header (a site id, numbers) must fit one block; the storage layer caps the size at 1 MiB.
  if (blockSize < 256 || blockSize > 1 << 20) throw new RangeError(`blockSize: expected an integer in 256..1048576, got ${String(o.blockSize)}`);
  return { backend, root: SERVER_STORE_ROOTS[backend], blockSize };
}

/** Resolves and validates server options. */
export function resolveServerOptions(o: ServerOptions): ServerConfig {
  const generation = o.generation ?? 0;
  if (!Number.isInteger(generation) || generation < 0) throw new RangeError(`generation: expected an integer >= 0, got ${String(o.generation)}`);
  return {
    db: named(o.db, 'db'),
    schema: schemaOf(o.schema, 'schema'),
    generation,
    chunk: count(o.chunk, 200, 'chunk'),
    store: storeOf(o),
    variant: (o.variant ?? '') as CsVariant,
    appendGate: o.appendGate ?? null,
  };
}

/** Resolves and validates client options. */
export function resolveClientOptions(o: ClientOptions): ClientConfig {
  const cfg: ClientConfig = {
    server: named(o.server, 'server'),
    meta: o.meta === undefined || o.meta === null ? null : named(o.meta, 'meta'),
    db: named(o.db, 'db'),
    schema: schemaOf(o.schema, 'schema'),
    pingEveryMs: positive(o.pingEveryMs, 250, 'pingEveryMs'),
    staleAfterMs: positive(o.staleAfterMs, 1_250, 'staleAfterMs'),
    stuckAfterMs: positive(o.stuckAfterMs, 10_000, 'stuckAfterMs'),
    rapidFailuresMax: count(o.rapidFailuresMax, 3, 'rapidFailuresMax'),
    reconnectMs: positive(o.reconnectMs, 500, 'reconnectMs'),
    connectTimeoutMs: positive(o.connectTimeoutMs, 2_000, 'connectTimeoutMs'),
    metaTimeoutMs: positive(o.metaTimeoutMs, 1_000, 'metaTimeoutMs'),
    pushBatch: count(o.pushBatch, 100, 'pushBatch'),
    nukePushTimeoutMs: positive(o.nukePushTimeoutMs, 3_000, 'nukePushTimeoutMs'),
    variant: (o.variant ?? '') as CsVariant,
  };
  if (cfg.staleAfterMs <= cfg.pingEveryMs) throw new RangeError(`staleAfterMs: must exceed pingEveryMs (${cfg.pingEveryMs}), got ${cfg.staleAfterMs}`);
  return cfg;
}
