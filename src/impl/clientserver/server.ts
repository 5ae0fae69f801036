/**
 * The sync server node: the authoritative change log (server-store.ts: a block store of the project's
 * storage layer, file backend by default, `ServerOptions.storage`), many client sessions over the
 * sync connection, and the relaying of every committed change to every live session with its origin site
 * preserved. Commits are serialised (one append at a time), and an `Ack` is sent only once the append is
 * durable. The protocol is in messages.ts and docs/client-server.md.
 *
 * Trace: cs.server.start {site, schema, head, rebuilt, migrated}; cs.server.hello {conn, client, cursor,
 * compatible}; cs.server.append {client, n, skipped, upTo, head}; cs.server.exec {n, head};
 * cs.server.invalid {conn}; cs.server.store-error {error}.
 */
import type { Connection, Env } from '../env.ts';
import { changeBytes, decodeMessage, encode, wins, type Change, type CsMessage, type Hello, type LoggedChange } from './messages.ts';
import { resolveServerOptions, type ServerConfig, type ServerOptions } from './options.ts';
import { digestCells } from './digest.ts';
import { retrying } from './retry.ts';
import { ServerStore } from './server-store.ts';

/** How often an idle server lets its block store finish a failed finalize (ServerStore.tidy). */
const TIDY_EVERY_MS = 1_000;

/** A row the operator writes on the server (the seed's `execOnRemote`). */
export interface ServerRow {
  table: string;
  pk: string;
  col: string;
  value: string | null;
}

/** What the workload and the checks may ask a running server. */
export interface ServerHandle {
  /** The server's site id. */
  site(): string;
  /** Its schema version. */
  schema(): number;
  /** The last seq of its log. */
  head(): number;
  /** Writes rows on the server; resolves once durable (and relayed). */
  exec(rows: readonly ServerRow[]): Promise<number>;
  /** Order-free digest of the database the log folds to (for liveness). */
  digest(): string;
}

/** One client connection. */
interface Session {
  conn: Connection;
  /** The client's site id once it said Hello. */
  client: string | null;
  /** Live: every entry up to `sent` was sent; later commits are relayed. */
  live: boolean;
  sent: number;
}

const cellKey = (c: { table: string; pk: string; col: string }): string => `${c.table}\u0000${c.pk}\u0000${c.col}`;

/** Starts a sync server; resolves with its handle once its storage is loaded (and rebuilt or migrated). */
export async function startServer(env: Env, options: ServerOptions): Promise<ServerHandle> {
  const cfg = resolveServerOptions(options);
  const store = new ServerStore(env, cfg.store);
  const meta = await retrying(env, () => store.loadMeta());
  const rebuilt = meta.site === null || meta.generation < cfg.generation;
  let site = meta.site ?? '';
  if (rebuilt) {
    site = env.random.uuid();
    await retrying(env, () => store.rebuild(site, cfg.schema, cfg.generation));
  }
  const migrated = !rebuilt && meta.schema !== cfg.schema;
  if (migrated) await retrying(env, () => store.migrate(cfg.schema));
  await retrying(env, () => publishIdentity(env, site, cfg.schema));
  const server = new Server(env, cfg, store, site);
  server.loadCells();
  env.trace.emit('cs.server.start', { site, schema: cfg.schema, head: server.headSeq, rebuilt, migrated });
  env.net.listen((conn) => server.accept(conn));
  env.clock.setInterval(() => server.tidy(), TIDY_EVERY_MS);
  return server.handle();
}

class Server {
  headSeq = 0;
  private readonly sessions = new Set<Session>();
  /** Cell -> the winning (colVersion, site, value), folded from the log: the database the log makes. */
  private readonly cells = new Map<string, { colVersion: number; site: string; value: string | null }>();
  /** Appends and operator writes run one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly env: Env,
    private readonly cfg: ServerConfig,
    private readonly store: ServerStore,
    private readonly site: string,
  ) {}

  loadCells(): void {
    const { head, entries } = this.store.readAfter(0, '');
    this.headSeq = head;
    for (const e of entries) this.fold(e);
  }

  /** Lets the store finish an earlier commit's leftovers, in the commit queue (nothing when there are none). */
  tidy(): void {
    void this.serial(() => this.store.tidy());
  }

  handle(): ServerHandle {
    return {
      site: () => this.site,
      schema: () => this.cfg.schema,
      head: () => this.headSeq,
      exec: (rows) => this.serial(() => this.exec(rows)),
      digest: () => digestCells(this.cells),
    };
  }

  accept(conn: Connection): void {
    const s: Session = { conn, client: null, live: false, sent: 0 };
    this.sessions.add(s);
    conn.onClose(() => this.sessions.delete(s));
    conn.onMessage((raw) => {
      const m = decodeMessage(raw);
      if (m === null) {
        this.env.trace.emit('cs.server.invalid', { conn: conn.id });
        return;
      }
      this.onMessage(s, m);
    });
  }

  private onMessage(s: Session, m: CsMessage): void {
    switch (m.type) {
      case 'Hello':
        void this.hello(s, m).catch(() => s.conn.close());
        return;
      case 'Push':
        if (s.client !== null && s.live) {
          // Weakened variant cs-ack-before-durable: acknowledged on arrival, before the append is durable.
          if (this.cfg.variant === 'cs-ack-before-durable' && m.changes.length > 0) send(s.conn, { type: 'Ack', upTo: m.changes.at(-1)!.dbVersion });
          void this.serial(() => this.append(s, s.client!, m.changes)).catch((e: unknown) => {
            // Not stored, not acknowledged: the client resends after its next handshake.
            this.env.trace.emit('cs.server.store-error', { error: String((e as Error)?.message ?? e).slice(0, 120) });
            s.conn.close();
          });
        }
        return;
      case 'Ping':
        send(s.conn, { type: 'Pong', n: m.n });
        return;
      default:
        this.env.trace.emit('cs.server.invalid', { conn: s.conn.id });
    }
  }

  /** The handshake: identity, schema, the client's ACK; then the log after its cursor, then live relays. */
  private async hello(s: Session, h: Hello): Promise<void> {
    if (s.client !== null || h.db !== this.cfg.db) return s.conn.close();
    s.client = h.client;
    const { head, acked, entries } = this.store.readAfter(h.cursor, h.client);
    // A client of another lineage or schema is told who we are and nothing else: it must not merge.
    const compatible = h.schema === this.cfg.schema && (h.server === null || h.server === this.site) && h.cursor <= head;
    this.env.trace.emit('cs.server.hello', { conn: s.conn.id, client: h.client, cursor: h.cursor, compatible });
    const bytes = entries.reduce((n, e) => n + changeBytes(e), 0);
    send(s.conn, { type: 'Welcome', db: this.cfg.db, site: this.site, schema: this.cfg.schema, head, acked, total: compatible ? entries.length : 0, bytes: compatible ? bytes : 0 });
    if (!compatible) return;
    for (let i = 0; i < entries.length; i += this.cfg.chunk) send(s.conn, { type: 'Changes', changes: entries.slice(i, i + this.cfg.chunk) });
    s.sent = head;
    s.live = true;
    // Commits that completed while the log was read are relayed now.
    if (this.headSeq > head) await this.catchUp(s).catch(() => s.conn.close());
  }

  private async append(s: Session, client: string, changes: readonly Change[]): Promise<void> {
    if (this.cfg.appendGate !== null) await this.cfg.appendGate();
    this.committed(await this.store.ready());
    const { entries, upTo, skipped, gap } = await this.store.append(client, changes);
    if (skipped > 0) this.env.trace.probe('cs.push-duplicate');
    if (gap) this.env.trace.probe('cs.push-gap');
    this.env.trace.emit('cs.server.append', { client, n: entries.length, skipped, upTo, head: this.headSeq + entries.length });
    this.committed(entries);
    if (s.conn.open && this.cfg.variant !== 'cs-ack-before-durable') send(s.conn, { type: 'Ack', upTo });
  }

  private async exec(rows: readonly { table: string; pk: string; col: string; value: string | null }[]): Promise<number> {
    this.committed(await this.store.ready());
    // Weakened variant cs-exec-unstored: the operator's rows are answered as written and never stored.
    // Each row supersedes the cell's current version, including an earlier row of this batch for the same
    // cell (the rows apply in order: the last one must win; versions taken from the database alone made two
    // rows of one cell tie, and the tie kept the first: found by invariant:operator-writes-win).
    // Weakened variant cs-exec-stale-version: a row of a cell already written keeps that cell's column
    // version (not bumped), so the merge may keep the old value. Weakened variant cs-exec-batch-tie: the
    // behaviour before that fix (versions from the database alone).
    const bump = this.cfg.variant === 'cs-exec-stale-version' ? 0 : 1;
    const inBatch = new Map<string, number>();
    const colVersionOf = (r: ServerRow): number => {
      const k = cellKey(r);
      const current = (this.cfg.variant === 'cs-exec-batch-tie' ? undefined : inBatch.get(k)) ?? this.cells.get(k)?.colVersion;
      const v = current === undefined ? 1 : current + bump;
      inBatch.set(k, v);
      return v;
    };
    const entries = this.cfg.variant === 'cs-exec-unstored' ? [] : await this.store.exec(this.site, rows, colVersionOf);
    this.env.trace.emit('cs.server.exec', { n: entries.length, head: this.headSeq + entries.length });
    this.committed(entries);
    return this.headSeq;
  }

  /** Durable entries: fold them into the database and relay them to every live session. */
  private committed(entries: readonly LoggedChange[]): void {
    for (const e of entries) this.fold(e);
    if (entries.length === 0) return;
    const first = entries[0]!.seq;
    this.headSeq = entries[entries.length - 1]!.seq;
    for (const s of this.sessions) {
      if (!s.live || !s.conn.open) continue;
      if (s.sent !== first - 1) {
        this.env.trace.probe('cs.relay-gap');
        void this.catchUp(s).catch(() => s.conn.close());
        continue;
      }
      for (let i = 0; i < entries.length; i += this.cfg.chunk) send(s.conn, { type: 'Changes', changes: entries.slice(i, i + this.cfg.chunk) });
      s.sent = this.headSeq;
    }
  }

  /** Sends a live session what the log holds after what it was sent. */
  private async catchUp(s: Session): Promise<void> {
    s.live = false;
    const from = s.sent;
    const { head, entries } = this.store.readAfter(from, '');
    for (let i = 0; i < entries.length; i += this.cfg.chunk) send(s.conn, { type: 'Changes', changes: entries.slice(i, i + this.cfg.chunk) });
    s.sent = Math.max(from, head);
    s.live = true;
  }

  private fold(e: LoggedChange): void {
    const k = cellKey(e);
    if (wins(e, this.cells.get(k))) this.cells.set(k, { colVersion: e.colVersion, site: e.site, value: e.value });
  }

  /** Runs `fn` after every earlier append or write (a failed one does not stop the queue). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * Publishes the server's identity for the meta endpoint (meta.ts reads the device's kv store `meta`, keys
 * `site` and `schema`): a copy of what the log's header holds, written after the header is durable.
 */
function publishIdentity(env: Env, site: string, schema: number): Promise<void> {
  return env.kv.transaction(
    ['meta'],
    'readwrite',
    async (tx) => {
      await tx.put('meta', 'site', site);
      await tx.put('meta', 'schema', schema);
    },
    { durability: 'strict' },
  );
}

/** Sends on an open connection (a closed one drops it: the client resends after its next handshake). */
function send(conn: Connection, m: CsMessage): void {
  if (conn.open) conn.send(encode(m));
}

