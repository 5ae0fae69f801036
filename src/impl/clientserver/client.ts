/**
 * A sync client (the seed's browser sync worker, here a device with a kv store): local writes go to its
 * own change log (client-store.ts); a connection loop runs the meta check, the handshake on the sync
 * connection, the download to the server's head, pushes of everything the server has not acknowledged
 * and pings; the footer status (status.ts) is derived from that state. Nuke and Resync replaces the local
 * database with the server's, keeping and reporting what the server never acknowledged.
 *
 * Trace: cs.client.start {site, schema, version, acked, cursor, server, unsaved}; cs.status {status,
 * pending, unsaved, reason, failures}; cs.progress {download, done, total, bytes, totalBytes, etaMs};
 * cs.incompatible {reason}; cs.nuke {pushed, exported, unsaved, site}; cs.client.invalid {conn};
 * cs.client.store-error {error}.
 */
import type { Connection, Env } from '../env.ts';
import { ClientStore, cellKey, type Cell, type ClientMeta } from './client-store.ts';
import { fetchMeta } from './meta.ts';
import { changeBytes, decodeMessage, encode, type CsMessage, type Hello, type LoggedChange, type Welcome } from './messages.ts';
import { resolveClientOptions, type ClientConfig, type ClientOptions } from './options.ts';
import { ProgressTracker, type Progress } from './progress.ts';
import { digestCells } from './digest.ts';
import { retrying } from './retry.ts';
import { sameView, statusOf, type StatusView, type StuckReason } from './status.ts';

/** What the app (the workload) and the checks may ask a running client. */
export interface ClientHandle {
  /** This client's site id (a Nuke and Resync draws a new one). */
  site(): string;
  /** The footer's status now. */
  status(): StatusView;
  /** Subscribes to status changes (called at once with the current one). */
  onStatus(fn: (s: StatusView) => void): () => void;
  /** Download progress; a late subscriber gets the latest at once. */
  onProgress(fn: (p: Progress) => void): () => void;
  /** A local write; resolves with its version once durable locally. Rejects during Nuke and Resync. */
  write(table: string, pk: string, col: string, value: string | null): Promise<number>;
  /** A cell's value (undefined: never written). */
  get(table: string, pk: string, col: string): string | null | undefined;
  /** Order-free digest of the local database (compare with the server's). */
  digest(): string;
  /** Nuke and Resync: resolves once the local database is replaced (the download follows); a call during one joins it. */
  nuke(): Promise<{ pushed: number; exported: number }>;
}

/** One sync connection. */
interface Session {
  conn: Connection;
  welcome: Welcome | null;
  ready: boolean;
  /** Everything up to this version was sent on this connection (or acknowledged before it). */
  sentUpTo: number;
  pingN: number;
  /** Ping number -> monotonic ms it was sent. */
  pings: Map<number, number>;
  /** When the last ping the server answered was sent (green needs it recent). */
  answeredSentMs: number;
  /** Last handshake step, download batch or ACK. */
  progressMs: number;
  closed: Promise<void>;
}

/** Starts a client; resolves with its handle once its local database is loaded. */
export async function startClient(env: Env, options: ClientOptions): Promise<ClientHandle> {
  const cfg = resolveClientOptions(options);
  const store = new ClientStore(env.kv);
  const fresh = env.random.uuid();
  const loaded = await retrying(env, () => store.load(fresh, cfg.variant === 'cs-acked-not-reloaded', cfg.variant === 'cs-cells-unchecked', cfg.variant === 'cs-unsaved-not-reloaded'));
  const { cells, damaged } = loaded;
  let { meta } = loaded;
  if (damaged.length > 0) {
    // Cells damaged at rest: deleted, this site's own changes of them folded back, the whole log downloaded again.
    env.trace.probe('cs.cells-damaged');
    const repaired = await retrying(env, () => store.repair(meta.site, damaged, cfg.variant === 'cs-damage-keeps-cursor', cfg.variant === 'cs-repair-no-fold', cfg.variant === 'cs-repair-rechecks-damage'));
    for (const [k, cell] of repaired.cells) cells.set(k, cell);
    meta = { ...meta, cursor: repaired.cursor };
  }
  const c = new Client(env, cfg, store, meta, cells);
  env.trace.emit('cs.client.start', { site: meta.site, schema: cfg.schema, version: meta.version, acked: meta.acked, cursor: meta.cursor, server: meta.server, unsaved: meta.unsaved });
  c.start();
  return c.handle();
}

class Client {
  private phase: 'idle' | 'connecting' | 'ready' = 'idle';
  private incompatible: string | null = null;
  private stuck: StuckReason | null = null;
  private failures = 0;
  private session: Session | null = null;
  private nuking = false;
  /** The Nuke and Resync in progress (a second click joins it). */
  private nukeRun: Promise<{ pushed: number; exported: number }> | null = null;
  /** Variant cs-no-ack-replay only: the last version sent, kept across connections. */
  private lastSent = 0;
  private view: StatusView | null = null;
  private readonly statusSubscribers = new Set<(s: StatusView) => void>();
  private readonly progress: ProgressTracker;
  /** Storage mutations run one at a time (versions and cells stay consistent). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Wakes the connection loop (after a Nuke and Resync lifted an incompatible state). */
  private wake: (() => void) | null = null;
  /** The connection attempt in progress (a Nuke and Resync waits for it to end). */
  private attempting: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: Env,
    private readonly cfg: ClientConfig,
    private readonly store: ClientStore,
    private meta: ClientMeta,
    private cells: Map<string, Cell>,
  ) {
    this.progress = new ProgressTracker((p) => env.trace.emit('cs.progress', { ...p }), cfg.variant === 'cs-progress-chunks', 200, cfg.variant === 'cs-eta-seconds');
  }

  /**
   * The clock every timing of the client reads (ping ages, no-progress, Nuke's deadline): the monotonic one.
   * Weakened variant cs-wall-clock-timers: the wall clock, which jumps (a clock set back keeps a silent
   * connection green for as long as it went back).
   */
  private mono(): number {
    return this.cfg.variant === 'cs-wall-clock-timers' ? this.env.clock.now() : this.env.clock.monotonic();
  }

  start(): void {
    this.publish();
    this.env.clock.setInterval(() => this.tick(), this.cfg.pingEveryMs);
    void this.loop();
  }

  handle(): ClientHandle {
    return {
      site: () => this.meta.site,
      status: () => this.view!,
      onStatus: (fn) => {
        this.statusSubscribers.add(fn);
        fn(this.view!);
        return () => this.statusSubscribers.delete(fn);
      },
      onProgress: (fn) => this.progress.subscribe(fn),
      write: (table, pk, col, value) => this.write(table, pk, col, value),
      get: (table, pk, col) => this.cells.get(cellKey({ table, pk, col }))?.value,
      digest: () => digestCells(this.cells),
      nuke: () => this.nuke(),
    };
  }

  // ---------------------------------------------------------------- status

  private pending(): number {
    const base = this.cfg.variant === 'cs-pending-from-sent' ? Math.max(this.meta.acked, this.lastSent) : this.meta.acked;
    return Math.max(0, this.meta.version - base);
  }

  /** Traces and publishes the status when it changed. */
  private publish(): void {
    // A connection this client just closed (a stale one, a store error) ends 'ready' at once: the loop sets
    // the phase only once the close has been delivered, and a write committing meanwhile must not show
    // syncing on a connection that is gone (cs-slow-links seed 105, found on fresh seeds by the review).
    const phase = this.phase === 'ready' && this.session?.conn.open !== true ? 'idle' : this.phase;
    const v = statusOf({ phase, incompatible: this.incompatible, stuck: this.stuck, failures: this.failures, pending: this.pending(), unsaved: this.meta.unsaved });
    if (sameView(this.view, v)) return;
    this.view = v;
    this.env.trace.emit('cs.status', { ...v });
    for (const fn of this.statusSubscribers) fn(v);
  }

  // ---------------------------------------------------------------- connection loop

  private async loop(): Promise<void> {
    for (;;) {
      if (this.halted()) await new Promise<void>((r) => (this.wake = r));
      else await (this.attempting = this.attempt());
      // Weakened variant cs-reconnect-no-delay: the next attempt starts at once (a tight retry loop).
      if (!this.halted()) await this.env.clock.sleep(this.cfg.variant === 'cs-reconnect-no-delay' ? 0 : this.cfg.reconnectMs);
    }
  }

  /** No connection attempts while incompatible (until Nuke and Resync) or during a Nuke and Resync. */
  private halted(): boolean {
    return this.incompatible !== null || this.nuking;
  }

  /** One attempt: meta check, connect, handshake; returns when the connection closed. */
  private async attempt(): Promise<void> {
    this.phase = 'connecting';
    this.publish();
    if (this.cfg.meta !== null && !(await this.metaCheck())) return;
    let conn: Connection;
    try {
      conn = await this.env.net.connect(this.cfg.server, { timeoutMs: this.cfg.connectTimeoutMs });
      if (this.nuking) {
        conn.close();
        throw new Error('Nuke and Resync');
      }
    } catch {
      // An outage: disconnected, not stuck (the seed's false "stuck" counted these: cs-stuck-on-outage).
      if (this.cfg.variant === 'cs-stuck-on-outage') this.failed();
      this.phase = 'idle';
      this.publish();
      return;
    }
    const s = this.open(conn);
    await s.closed;
    if (this.session === s) this.session = null;
    if (!s.ready && this.incompatible === null) this.failed();
    this.phase = 'idle';
    this.publish();
  }

  /** The meta channel's early warning; false when it shows the server incompatible. */
  private async metaCheck(): Promise<boolean> {
    const m = await fetchMeta(this.env, this.cfg.meta!, this.cfg.db, this.cfg.metaTimeoutMs);
    if (m === null) {
      this.env.trace.probe('cs.meta-unreachable');
      return true;
    }
    const why = mismatch(this.known(), this.cfg.schema, m.site, m.schema);
    if (why === null) return true;
    this.env.trace.probe('cs.meta-mismatch');
    this.phase = 'idle';
    this.markIncompatible(`meta: ${why}`);
    return false;
  }

  /** A connection closed before its handshake completed: a rapid failure. */
  private failed(): void {
    this.failures++;
    // Weakened variant cs-stuck-late: one failure late.
    const late = this.cfg.variant === 'cs-stuck-late' ? 1 : 0;
    if (this.failures >= this.cfg.rapidFailuresMax + late) this.stuck = 'rapid-failures';
  }

  private open(conn: Connection): Session {
    let closed!: () => void;
    const now = this.mono();
    const s: Session = { conn, welcome: null, ready: false, sentUpTo: 0, pingN: 0, pings: new Map(), answeredSentMs: now, progressMs: now, closed: new Promise<void>((r) => (closed = r)) };
    this.session = s;
    let inbox: Promise<unknown> = Promise.resolve();
    conn.onClose(() => closed());
    conn.onMessage((raw) => {
      const m = decodeMessage(raw);
      if (m === null) return this.env.trace.emit('cs.client.invalid', { conn: conn.id });
      if (m.type === 'Pong') return this.pong(s, m.n);
      // Messages are handled one at a time, in order: a batch is applied before the next is looked at.
      inbox = inbox
        .then(() => (this.session === s && conn.open ? this.receive(s, m) : undefined))
        .catch((e: unknown) => {
          // A storage error: nothing of that message took effect. Start over from the durable state
          // (a later batch must never be applied past one that failed).
          this.env.trace.emit('cs.client.store-error', { error: String((e as Error)?.message ?? e).slice(0, 120) });
          conn.close();
        });
    });
    const hello: Hello = { type: 'Hello', db: this.cfg.db, schema: this.cfg.schema, client: this.meta.site, server: this.meta.server, cursor: this.meta.cursor };
    // Variant cs-meta-only-lineage (the seed as it is): the sync protocol carries no lineage.
    if (this.cfg.variant === 'cs-meta-only-lineage') hello.server = null;
    conn.send(encode(hello));
    // The seed before its handshake: "connection opens -> green light".
    if (this.cfg.variant === 'cs-green-on-open') this.maybeReady(s);
    return s;
  }

  private async receive(s: Session, m: CsMessage): Promise<void> {
    switch (m.type) {
      case 'Welcome':
        return this.welcome(s, m);
      case 'Changes':
        return this.pulled(s, m.changes);
      case 'Ack':
        return this.acked(s, m.upTo);
      default:
        this.env.trace.emit('cs.client.invalid', { conn: s.conn.id });
    }
  }

  private async welcome(s: Session, w: Welcome): Promise<void> {
    if (s.welcome !== null) return;
    let known = this.known();
    // Variant cs-meta-only-lineage (the seed as it is): the Welcome is checked for the schema only; the
    // lineage only by the meta channel (metaCheck), so a blocked meta channel lets a rebuilt server through.
    if (this.cfg.variant === 'cs-meta-only-lineage') known = null;
    const why = mismatch(known, this.cfg.schema, w.site, w.schema) ?? this.ahead(w.head);
    if (why !== null) {
      this.markIncompatible(why);
      s.conn.close();
      return;
    }
    s.welcome = w;
    s.progressMs = this.mono();
    if (w.acked < this.meta.acked) this.env.trace.probe('cs.ack-behind');
    // ACK replay: the handshake says what the server holds; everything after it is (re)sent.
    s.sentUpTo = this.cfg.variant === 'cs-no-ack-replay' ? Math.max(w.acked, this.lastSent) : w.acked;
    const first = this.meta.server === null;
    await this.serial(() => this.store.acknowledge(w.acked, first ? w.site : null));
    this.meta = { ...this.meta, acked: w.acked, server: w.site };
    if (w.total > 0) this.progress.start(w.total, w.bytes, this.mono());
    this.maybeReady(s);
  }

  private async pulled(s: Session, batch: readonly LoggedChange[]): Promise<void> {
    const fresh = batch.filter((c) => c.seq > this.meta.cursor);
    this.progressed(s);
    if (fresh.length === 0) return;
    // The cursor moves once the batch is durable: a failed commit leaves it where the database has it, so
    // the next handshake asks for the batch again. (Variant cs-cursor-before-durable moves it first.)
    const cursor = fresh[fresh.length - 1]!.seq;
    if (this.cfg.variant === 'cs-cursor-before-durable') this.meta = { ...this.meta, cursor };
    const changed = await this.serial(() => this.store.applyPulled(fresh, this.cells));
    for (const [k, cell] of changed) this.cells.set(k, cell);
    // Weakened variant cs-echo-pulled: the operator's changes just pulled are written again as this client's
    // own (an echo), so they go back to the server under this client's site id.
    if (this.cfg.variant === 'cs-echo-pulled') for (const c of fresh) if (c.site === this.meta.server) void this.write(c.table, c.pk, c.col, c.value);
    this.meta = { ...this.meta, cursor };
    this.progress.add(fresh.length, fresh.reduce((n, c) => n + changeBytes(c), 0), this.mono());
    this.maybeReady(s);
  }

  private async acked(s: Session, upTo: number): Promise<void> {
    this.progressed(s);
    await this.recordAck(upTo);
  }

  /** Durably records an acknowledgement above the one recorded, then shows the new pending count. */
  private async recordAck(upTo: number): Promise<void> {
    if (upTo <= this.meta.acked) return;
    await this.serial(() => this.store.acknowledge(upTo, null));
    this.meta = { ...this.meta, acked: Math.max(this.meta.acked, upTo) };
    this.publish();
  }

  /** A download batch or an ACK arrived: progress, which ends a no-progress stuck on a ready connection. */
  private progressed(s: Session): void {
    s.progressMs = this.mono();
    if (s.ready && this.stuck === 'no-progress') {
      this.stuck = null;
      this.publish();
    }
  }

  /** Green once welcomed, compatible and caught up with the server's head as of the handshake. */
  private maybeReady(s: Session): void {
    const early = this.cfg.variant === 'cs-green-on-open';
    if (s.ready || (!early && (s.welcome === null || this.meta.cursor < s.welcome.head))) return;
    s.ready = true;
    this.phase = 'ready';
    // Weakened variant cs-failures-not-reset: the count of failed handshakes is not reset here, so
    // failures that were not in a row add up to stuck.
    if (this.cfg.variant !== 'cs-failures-not-reset') this.failures = 0;
    this.stuck = null;
    this.publish();
    void this.push(s);
  }

  private pong(s: Session, n: number): void {
    const sent = s.pings.get(n);
    if (sent === undefined) return;
    for (const k of s.pings.keys()) if (k <= n) s.pings.delete(k);
    s.answeredSentMs = Math.max(s.answeredSentMs, sent);
    // Variant cs-fresh-on-pong: the connection counts as fresh from when an answer arrived, not from when
    // the answered ping was sent (a slowly growing latency keeps it green while ever further behind).
    if (this.cfg.variant === 'cs-fresh-on-pong') s.answeredSentMs = this.mono();
  }

  /** Every ping period: liveness of the connection, stuck detection, a ping. */
  private tick(): void {
    const s = this.session;
    if (s === null || !s.conn.open) return;
    const now = this.mono();
    if (now - s.answeredSentMs > this.cfg.staleAfterMs) {
      this.env.trace.probe('cs.stale-close');
      s.conn.close();
      return;
    }
    const outstanding = !s.ready || s.sentUpTo > this.meta.acked;
    // Weakened variant cs-no-progress-ignored: a connection without progress never makes the client stuck.
    const never = this.cfg.variant === 'cs-no-progress-ignored';
    if (outstanding && !never && now - s.progressMs >= this.cfg.stuckAfterMs && this.stuck === null) {
      this.stuck = 'no-progress';
      this.publish();
    }
    s.pings.set(++s.pingN, now);
    s.conn.send(encode({ type: 'Ping', n: s.pingN }));
  }

  // ---------------------------------------------------------------- pushing and local writes

  /** Sends every local change after what this connection already covers, in batches. */
  private async push(s: Session): Promise<void> {
    if (this.cfg.variant === 'cs-green-on-open' && s.welcome === null) return;
    try {
      await this.pushAll(s);
    } catch (e) {
      this.env.trace.emit('cs.client.store-error', { error: String((e as Error)?.message ?? e).slice(0, 120) });
      s.conn.close();
    }
  }

  private async pushAll(s: Session): Promise<void> {
    while (s.ready && s.conn.open && s.sentUpTo < this.meta.version) {
      const from = s.sentUpTo;
      const changes = await this.store.localAfter(this.meta.site, from, this.cfg.pushBatch);
      if (changes.length === 0 || s.sentUpTo !== from || !s.conn.open) return;
      // Work becomes outstanding now: "no progress for stuckAfterMs" counts from here, not from an ACK
      // of long ago (a write after a quiet spell is not stuck on its first ping period).
      if (from <= this.meta.acked) s.progressMs = this.mono();
      s.conn.send(encode({ type: 'Push', changes }));
      s.sentUpTo = changes[changes.length - 1]!.dbVersion;
      this.lastSent = Math.max(this.lastSent, s.sentUpTo);
      this.publish();
    }
  }

  private async write(table: string, pk: string, col: string, value: string | null): Promise<number> {
    if (this.nuking) throw new Error('ESTATE: Nuke and Resync in progress');
    const version = await this.serial(async () => {
      const k = cellKey({ table, pk, col });
      const v = this.meta.version + 1;
      const colVersion = (this.cells.get(k)?.colVersion ?? 0) + 1;
      await this.store.write(this.meta.site, v, { table, pk, col, value, colVersion });
      this.cells.set(k, { value, colVersion, site: this.meta.site });
      this.meta = { ...this.meta, version: v };
      return v;
    });
    this.publish();
    const s = this.session;
    // Variant cs-lost-wakeup: a write made while a push is unacknowledged starts no push (it waits for a
    // later write, which a quiet workload never makes).
    if (this.cfg.variant === 'cs-lost-wakeup' && s !== null && s.sentUpTo > this.meta.acked) return version;
    if (s !== null && s.ready) void this.push(s);
    return version;
  }

  // ---------------------------------------------------------------- incompatible, Nuke and Resync

  /**
   * The server site id this database synced with, as the handshake compares it. Weakened variant
   * 'cs-no-lineage-check': none (the handshake checks the schema only, so a rebuilt server is taken for the
   * one this database synced with).
   */
  private known(): string | null {
    return this.cfg.variant === 'cs-no-lineage-check' ? null : this.meta.server;
  }

  /**
   * A Welcome whose head is below this database's cursor: the server's log lacks changes this database
   * applied from it (the server treats such a Hello as incompatible and serves nothing: answering green
   * would show a session that never syncs). Weakened variant cs-no-lineage-check (the seed's handshake:
   * the schema only): not compared either.
   */
  private ahead(head: number): string | null {
    // The weakened variants that skip the lineage check skip this one too: it alone would catch the
    // rebuilt server in their scenarios (a fresh log shorter than the client's cursor).
    const skip = this.cfg.variant === 'cs-no-lineage-check' || this.cfg.variant === 'cs-meta-only-lineage';
    return this.meta.cursor > head && !skip ? `the server's log ends at ${head}, this database applied up to ${this.meta.cursor}` : null;
  }

  private markIncompatible(reason: string): void {
    // Weakened variant cs-incompatible-silent: the client closes and retries without telling the user.
    if (this.incompatible !== null || this.cfg.variant === 'cs-incompatible-silent') return;
    this.incompatible = reason;
    this.env.trace.emit('cs.incompatible', { reason });
    this.publish();
  }

  private async nuke(): Promise<{ pushed: number; exported: number }> {
    if (this.nukeRun !== null) return this.nukeRun;
    this.nuking = true;
    try {
      return await (this.nukeRun = this.nukeNow());
    } finally {
      this.nuking = false;
      this.nukeRun = null;
      this.wake?.();
      this.wake = null;
    }
  }

  private async nukeNow(): Promise<{ pushed: number; exported: number }> {
    const before = this.meta.acked;
    if (this.cfg.variant !== 'cs-nuke-no-push' && this.pending() > 0) await this.pushBeforeNuke();
    // Nothing may sync under the old identity from here on: end the attempt in progress first.
    this.session?.conn.close();
    await this.attempting;
    const pushed = this.meta.acked - before;
    if (pushed > 0) this.env.trace.probe('cs.nuke-pushed');
    const site = this.env.random.uuid();
    // After every earlier write (serial): what is not acknowledged now is kept, then the wipe.
    const { keep, unsaved } = await this.serial(async () => {
      const keep = this.cfg.variant === 'cs-nuke-drops-pending' ? [] : await this.store.localAfter(this.meta.site, this.meta.acked, Number.MAX_SAFE_INTEGER);
      return { keep, unsaved: await this.store.wipe(site, keep, this.cfg.variant === 'cs-nuke-forgets-export', this.cfg.variant === 'cs-nuke-keeps-log') };
    });
    if (keep.length > 0) this.env.trace.probe('cs.nuke-exported');
    this.meta = { site, version: 0, cursor: 0, acked: 0, server: null, unsaved };
    this.cells = new Map();
    this.lastSent = 0;
    this.incompatible = null;
    this.stuck = null;
    this.failures = 0;
    this.env.trace.emit('cs.nuke', { pushed, exported: keep.length, unsaved, site });
    this.publish();
    return { pushed, exported: keep.length };
  }

  /**
   * Pending changes are pushed first where the server takes them: on the ready connection, or else (stuck,
   * incompatible, between attempts) on a handshake of its own once the attempt in progress has ended. Waits
   * up to `nukePushTimeoutMs` for the ACKs; what is not acknowledged by then is kept and reported.
   */
  private async pushBeforeNuke(): Promise<void> {
    const deadline = this.mono() + this.cfg.nukePushTimeoutMs;
    const s = this.session;
    if (s !== null && s.ready && s.conn.open) {
      void this.push(s);
      await this.untilAcked(() => s.conn.open, deadline);
      return;
    }
    this.session?.conn.close();
    await this.attempting;
    await this.pushSession(deadline);
  }

  /** Waits until everything local is acknowledged, `open()` turns false or the deadline passes. */
  private async untilAcked(open: () => boolean, deadline: number): Promise<void> {
    const target = this.meta.version;
    while (this.meta.acked < target && open() && this.mono() < deadline) await this.env.clock.sleep(50);
  }

  /**
   * Nuke and Resync's own connection: a Hello; where the Welcome shows the server this database synced
   * with (lineage, schema, cursor), every change after its ACK is pushed and the ACKs recorded. The
   * server's Changes are not applied (the database is about to be replaced). The status is connecting
   * meanwhile (stuck and incompatible still show as such).
   */
  private async pushSession(deadline: number): Promise<void> {
    let conn: Connection;
    try {
      conn = await this.env.net.connect(this.cfg.server, { timeoutMs: this.cfg.connectTimeoutMs });
    } catch {
      return;
    }
    this.phase = 'connecting';
    this.publish();
    let welcome: Welcome | null = null;
    let inbox: Promise<unknown> = Promise.resolve();
    conn.onMessage((raw) => {
      const m = decodeMessage(raw);
      if (m?.type === 'Welcome' && welcome === null) welcome = m;
      else if (m?.type === 'Ack') inbox = inbox.then(() => (conn.open ? this.recordAck(m.upTo) : undefined)).catch(() => conn.close());
    });
    conn.send(encode({ type: 'Hello', db: this.cfg.db, schema: this.cfg.schema, client: this.meta.site, server: this.meta.server, cursor: this.meta.cursor }));
    while (welcome === null && conn.open && this.mono() < deadline) await this.env.clock.sleep(20);
    const w = welcome as Welcome | null;
    if (w !== null && conn.open && (mismatch(this.meta.server, this.cfg.schema, w.site, w.schema) ?? this.ahead(w.head)) === null) {
      try {
        await this.recordAck(w.acked);
        // Weakened variant cs-nuke-push-late: the push starts one version after the first one the server
        // lacks (the server refuses a change past a gap, and everything after it).
        const late = this.cfg.variant === 'cs-nuke-push-late' ? 1 : 0;
        for (let from = Math.max(w.acked, this.meta.acked) + late; from < this.meta.version && conn.open; ) {
          const changes = await this.store.localAfter(this.meta.site, from, this.cfg.pushBatch);
          if (changes.length === 0 || !conn.open) break;
          conn.send(encode({ type: 'Push', changes }));
          from = changes[changes.length - 1]!.dbVersion;
        }
        await this.untilAcked(() => conn.open, deadline);
        await inbox;
      } catch (e) {
        this.env.trace.emit('cs.client.store-error', { error: String((e as Error)?.message ?? e).slice(0, 120) });
      }
    }
    conn.close();
    this.phase = 'idle';
    this.publish();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Why a server (site, schema) is not the one a client remembering `known` with `schema` may sync with. */
function mismatch(known: string | null, schema: number, site: string | null, serverSchema: number | null): string | null {
  if (site === null) return 'the server has no such database';
  if (serverSchema !== schema) return `schema ${String(serverSchema)} on the server, ${schema} here`;
  if (known !== null && site !== known) return `the server was rebuilt: site id ${site.slice(0, 8)}, this database synced with ${known.slice(0, 8)}`;
  return null;
}
