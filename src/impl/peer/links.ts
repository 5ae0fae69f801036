/**
 * Links to the other devices of the library: one reliable connection per pair (the lower device id dials,
 * and redials every `reconnectMs` while the link is down), heartbeats over datagrams (RTT measured from
 * echoed timestamps, stale and duplicated heartbeats ignored by sequence number), requests with timeouts,
 * a bounded retry queue per peer for sends that found no open connection, and a per-peer score used to
 * choose backfill peers.
 *
 * Everything received is validated first (messages.ts); a rejected message is answered with an Error
 * (never for an Error, so two peers cannot loop) and traced as `peer.msg.rejected`.
 */
import type { Connection, Value } from '../env.ts';
import { hlcNow, metaCursor, table, watermarkKey, type Core } from './core.ts';
import {
  encodeMessage,
  validateMessage,
  type ErrorCode,
  type HeartbeatMsg,
  type PeerMessage,
  type StateResponseMsg,
  type SharedChangeResponseMsg,
} from './messages.ts';
import type { Cursor } from './records.ts';

/** What the links tell the rest of the node. */
export interface LinkHandlers {
  /** A validated message (not a response to one of our requests). */
  onMessage(peer: string, msg: PeerMessage): void;
  /** A connection to `peer` opened. */
  onConnected(peer: string): void;
  /** The connection to `peer` closed or reset. */
  onDisconnected(peer: string): void;
}

/** A response to a request. */
export type ResponseMsg = StateResponseMsg | SharedChangeResponseMsg;

/** What the links know about one peer. */
export interface PeerLinkState {
  peer: string;
  connected: boolean;
  /** Smoothed RTT measured from heartbeat echoes, ms (null until measured). */
  rttMs: number | null;
  failures: number;
  /** Lower is better: RTT plus a penalty per failure. */
  score: number;
  /** Messages waiting in the retry queue. */
  retryQueued: number;
}

/** Per-peer link state. */
interface Link {
  readonly peer: string;
  conn: Connection | null;
  /** Smoothed round-trip time from heartbeats, ms (null until measured). */
  rttMs: number | null;
  /** Failed requests and send timeouts (lowers the score). */
  failures: number;
  /** The peer's process (boot id) as last heard; a new one means it restarted. */
  boot: string | null;
  /** The boot id the current connection's hello carried (null until it arrives). */
  connBoot: string | null;
  /** Highest heartbeat seq received from `boot` (older ones are stale: reordered or duplicated). */
  lastSeqIn: number;
  /**
   * The peer's latest heartbeat said it holds a complete library (it can serve a backfill). False until a
   * heartbeat of the current connection's process says so: reset on every new connection and boot.
   */
  ready: boolean;
  /** The last heartbeat received, to echo: its seq, its sender's timestamp, when we got it (monotonic ms). */
  echo: { boot: string; seq: number; sentMs: number; atMs: number } | null;
  /** Highest echo seq used for an RTT sample. */
  lastEchoSeq: number;
  /** Encoded messages waiting for a connection (bounded by retryQueueMax). */
  retry: Value[];
}

interface Pending {
  peer: string;
  resolve(m: ResponseMsg): void;
  reject(e: Error): void;
  timer: number;
}

/** RTT assumed for a peer never measured, ms (only used to rank; measured values replace it). */
const UNMEASURED_RTT_MS = 1_000;
/** Score penalty per failure, ms-equivalent. */
const FAILURE_PENALTY_MS = 500;
/** Weight of a new RTT sample in the moving average. */
const RTT_ALPHA = 0.3;

/** The links of one node. */
export class Links {
  private readonly links = new Map<string, Link>();
  private readonly pending = new Map<number, Pending>();
  private nextReqId = 1;
  private hbSeq = 0;
  /** Waiting for a connected peer that can serve a backfill. */
  private serverWaiters: (() => void)[] = [];
  /** This process's boot id (heartbeats carry it; echoes of another boot are ignored). */
  private readonly boot: string;

  constructor(
    private readonly core: Core,
    private readonly handlers: LinkHandlers,
  ) {
    this.boot = core.env.random.uuid();
    for (const p of core.cfg.peers) {
      this.links.set(p, { peer: p, conn: null, rttMs: null, failures: 0, boot: null, connBoot: null, lastSeqIn: -1, ready: false, echo: null, lastEchoSeq: -1, retry: [] });
    }
  }

  /** Starts listening, dialing, heartbeats and the datagram handler. */
  start(): void {
    const { env, cfg } = this.core;
    env.net.listen((c) => this.adopt(c));
    env.net.onDatagram((from, v) => this.onDatagram(from, v));
    for (const p of cfg.peers) if (env.deviceId < p) void this.dialLoop(p);
    env.clock.setInterval(() => this.heartbeatAll(), cfg.heartbeatMs);
  }

  /** Peers with an open connection, best score first (ties by id). */
  connectedByScore(): string[] {
    return [...this.links.values()]
      .filter((l) => l.conn !== null && l.conn.open)
      .sort((a, b) => this.score(a) - this.score(b) || (a.peer < b.peer ? -1 : 1))
      .map((l) => l.peer);
  }

  /**
   * Connected peers whose latest heartbeat says they hold a complete library, best score first: the peers a
   * backfill may use (a device still backfilling holds only part of the library).
   */
  servingByScore(): string[] {
    return this.connectedByScore().filter((p) => this.links.get(p)!.ready);
  }

  /** Resolves when some connected peer can serve a backfill (at once if one can). */
  waitForServer(): Promise<void> {
    if (this.servingByScore().length > 0) return Promise.resolve();
    return new Promise((resolve) => this.serverWaiters.push(resolve));
  }

  /** True when `peer` has an open connection. */
  isConnected(peer: string): boolean {
    const l = this.links.get(peer);
    return l !== undefined && l.conn !== null && l.conn.open;
  }

  /** The score of `peer` (lower is better) and its measured RTT. */
  scoreOf(peer: string): { score: number; rttMs: number | null } {
    const l = this.links.get(peer);
    if (l === undefined) return { score: Infinity, rttMs: null };
    return { score: this.score(l), rttMs: l.rttMs === null ? null : Math.round(l.rttMs * 10) / 10 };
  }

  /** Connection state of every peer (for the handle and diagnostics). */
  states(): PeerLinkState[] {
    return [...this.links.values()].map((l) => ({
      peer: l.peer,
      connected: l.conn !== null && l.conn.open,
      rttMs: l.rttMs === null ? null : Math.round(l.rttMs * 10) / 10,
      failures: l.failures,
      score: Math.round(this.score(l)),
      retryQueued: l.retry.length,
    }));
  }

  /** Measured RTT of every peer, ms (null until measured). */
  rtts(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const l of this.links.values()) out[l.peer] = l.rttMs === null ? null : Math.round(l.rttMs * 10) / 10;
    return out;
  }

  /** Notes a failure of `peer` (request timeout, lost stream): lowers its score. */
  noteFailure(peer: string): void {
    const l = this.links.get(peer);
    if (l !== undefined) l.failures++;
  }

  /** Sends to one peer if connected; returns false (and sends nothing) otherwise. */
  send(peer: string, msg: PeerMessage): boolean {
    const l = this.links.get(peer);
    if (l === undefined || l.conn === null || !l.conn.open) return false;
    try {
      l.conn.send(encodeMessage(msg));
      this.core.metrics.c.messagesSent++;
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends `msg` to every peer in parallel (each send is independent); peers without an open connection
   * get it queued in their bounded retry queue, flushed when they connect.
   */
  broadcast(msg: PeerMessage): void {
    const encoded = encodeMessage(msg);
    for (const l of this.links.values()) {
      if (l.conn !== null && l.conn.open) {
        try {
          l.conn.send(encoded);
          this.core.metrics.c.messagesSent++;
          continue;
        } catch {
          // closed under our feet: queue it
        }
      }
      this.enqueue(l, encoded);
    }
  }

  /** Sends a request and resolves with its response; rejects on timeout, on an Error reply or when the link drops. */
  request(peer: string, build: (reqId: number) => PeerMessage): Promise<ResponseMsg> {
    const reqId = this.nextReqId++;
    const msg = build(reqId);
    return new Promise<ResponseMsg>((resolve, reject) => {
      if (!this.send(peer, msg)) {
        reject(new Error(`peer ${peer} is not connected`));
        return;
      }
      const timer = this.core.env.clock.setTimeout(() => {
        if (!this.pending.delete(reqId)) return;
        this.noteFailure(peer);
        reject(new Error(`${msg.type} to ${peer} timed out after ${this.core.cfg.requestTimeoutMs} ms`));
      }, this.core.cfg.requestTimeoutMs);
      this.pending.set(reqId, { peer, resolve, reject, timer });
    });
  }

  /** Answers a rejected or unserviceable message with an Error. */
  sendError(peer: string, code: ErrorCode, message: string, ref: string | null, reqId: number | null, viaDatagram = false): void {
    const { cfg, env } = this.core;
    const m: PeerMessage = { type: 'Error', library: cfg.library, from: env.deviceId, code, message: message.slice(0, 1000), ref, reqId };
    this.core.metrics.c.errorsSent++;
    this.sendOn(peer, m, viaDatagram);
  }

  /** Sends as a datagram (counted here) or over the connection (`send` counts). */
  private sendOn(peer: string, m: PeerMessage, viaDatagram: boolean): void {
    if (!viaDatagram) {
      this.send(peer, m);
      return;
    }
    this.core.env.net.sendDatagram(peer, encodeMessage(m));
    this.core.metrics.c.messagesSent++;
  }

  // ------------------------------------------------------------------ connections

  private async dialLoop(peer: string): Promise<void> {
    const { env, cfg } = this.core;
    for (;;) {
      if (!this.isConnected(peer)) {
        try {
          this.adopt(await env.net.connect(peer, { timeoutMs: cfg.connectTimeoutMs }));
        } catch {
          // unreachable or down: the next round retries
        }
      }
      await env.clock.sleep(cfg.reconnectMs);
    }
  }

  private adopt(conn: Connection): void {
    const l = this.links.get(conn.peer);
    if (l === undefined) {
      conn.close(); // not a member of this library
      return;
    }
    if (l.conn !== null && l.conn !== conn && l.conn.open) l.conn.close();
    l.conn = conn;
    l.connBoot = null;
    l.ready = false; // until this connection's hello (or a later heartbeat) says so
    conn.onMessage((v) => this.onConnMessage(conn, v));
    conn.onClose((reason) => this.onClose(conn, reason));
    this.core.env.trace.emit('peer.link.up', { peer: conn.peer });
    this.sendHeartbeat(l, false);
    this.flush(l);
    this.handlers.onConnected(conn.peer);
  }

  private onClose(conn: Connection, reason: string): void {
    const l = this.links.get(conn.peer);
    if (l === undefined || l.conn !== conn) return;
    l.conn = null;
    this.core.env.trace.emit('peer.link.down', { peer: conn.peer, reason });
    for (const [id, p] of this.pending) {
      if (p.peer !== conn.peer) continue;
      this.pending.delete(id);
      this.core.env.clock.clearTimer(p.timer);
      p.reject(new Error(`connection to ${conn.peer} ${reason}`));
    }
    this.handlers.onDisconnected(conn.peer);
  }

  private enqueue(l: Link, encoded: Value): void {
    // Weakened variant 'peer-retry-queue-unbounded': the bound is never applied (the queue grows while the peer is away).
    if (l.retry.length >= this.core.cfg.retryQueueMax && this.core.cfg.variant !== 'peer-retry-queue-unbounded') {
      // Bounded: clear and say so. Nothing is lost for good: catch-up on reconnect fetches what is newer
      // than the watermarks, which never moved past these messages.
      this.core.env.trace.emit('peer.retry.overflow', { peer: l.peer, dropped: l.retry.length });
      this.core.env.trace.probe('peer.retry-overflow');
      l.retry = [];
    }
    l.retry.push(encoded);
  }

  private flush(l: Link): void {
    if (l.retry.length === 0 || l.conn === null) return;
    const queued = l.retry;
    l.retry = [];
    this.core.env.trace.emit('peer.retry.flush', { peer: l.peer, count: queued.length });
    for (const m of queued) l.conn.send(m);
    this.core.metrics.c.messagesSent += queued.length;
  }

  // ------------------------------------------------------------------ receiving

  private onConnMessage(conn: Connection, v: Value): void {
    this.core.metrics.c.messagesReceived++;
    const r = validateMessage(v, this.core.cfg, conn.peer);
    if (!r.ok) {
      this.reject(conn.peer, r.code, r.reason, r.type, r.reqId, false);
      return;
    }
    this.dispatch(conn.peer, r.msg, conn);
  }

  private onDatagram(from: string, v: Value): void {
    this.core.metrics.c.messagesReceived++;
    const r = validateMessage(v, this.core.cfg, from);
    if (!r.ok) {
      this.reject(from, r.code, r.reason, r.type, r.reqId, true);
      return;
    }
    // Only heartbeats and errors travel as datagrams.
    if (r.msg.type === 'Heartbeat' || r.msg.type === 'Error') this.dispatch(from, r.msg);
  }

  private reject(peer: string, code: ErrorCode, reason: string, type: string | null, reqId: number | null, viaDatagram: boolean): void {
    this.core.env.trace.emit('peer.msg.rejected', { from: peer, code, type, reason: reason.slice(0, 120) });
    this.core.metrics.rejectMessage(code);
    if (type !== 'Error') this.sendError(peer, code, reason, type, reqId, viaDatagram);
  }

  private dispatch(peer: string, msg: PeerMessage, conn: Connection | null = null): void {
    if (msg.type === 'StateResponse' || msg.type === 'SharedChangeResponse') {
      this.settle(peer, msg.reqId, msg, null);
      return;
    }
    if (msg.type === 'Error') {
      this.core.metrics.c.errorsReceived++;
      this.core.env.trace.emit('peer.error.recv', { from: peer, code: msg.code, ref: msg.ref });
      if (msg.reqId === null) return;
      if (this.core.cfg.variant === 'peer-error-as-empty-answer') {
        // Weakened: a refusal is taken as "nothing (more) to send", an empty last answer.
        const base = { library: msg.library, from: peer, reqId: msg.reqId, resource: '', hasMore: false, remaining: 0, totals: null };
        this.settle(peer, msg.reqId, msg.ref === 'StateRequest' ? { type: 'StateResponse', ...base, records: [] } : { type: 'SharedChangeResponse', ...base, changes: [], head: null }, null);
        return;
      }
      this.settle(peer, msg.reqId, null, new Error(`${peer} answered ${msg.code}: ${msg.message}`));
      return;
    }
    if (msg.type === 'Heartbeat' && !this.onHeartbeat(peer, msg, conn)) return;
    this.handlers.onMessage(peer, msg);
  }

  private settle(peer: string, reqId: number, msg: ResponseMsg | null, err: Error | null): void {
    const p = this.pending.get(reqId);
    // Late (timed out) or not ours: a response settles only a request sent to its sender. (Weakened variant
    // 'peer-response-any-sender': matched by request id alone, so any member can answer another's request.)
    if (p === undefined || (p.peer !== peer && this.core.cfg.variant !== 'peer-response-any-sender')) return;
    this.pending.delete(reqId);
    this.core.env.clock.clearTimer(p.timer);
    if (msg !== null) p.resolve(msg);
    else p.reject(err ?? new Error('request failed'));
  }

  // ------------------------------------------------------------------ heartbeats

  /** Returns false for a stale (reordered or duplicated) heartbeat, which is ignored. */
  private onHeartbeat(peer: string, hb: HeartbeatMsg, conn: Connection | null): boolean {
    const l = this.links.get(peer);
    if (l === undefined) return false;
    if (hb.boot !== l.boot) this.onNewBoot(l, hb.boot);
    if (conn !== null && conn === l.conn) l.connBoot = hb.boot;
    if (hb.seq <= l.lastSeqIn) return false;
    l.lastSeqIn = hb.seq;
    l.ready = hb.ready;
    if (hb.ready && l.conn !== null && l.conn.open && this.serverWaiters.length > 0) {
      const w = this.serverWaiters;
      this.serverWaiters = [];
      for (const resolve of w) resolve();
    }
    const now = this.core.env.clock.monotonic();
    l.echo = { boot: hb.boot, seq: hb.seq, sentMs: hb.sentMs, atMs: now };
    if (hb.echo !== null && hb.echo.boot === this.boot && hb.echo.seq > l.lastEchoSeq) {
      l.lastEchoSeq = hb.echo.seq;
      const sample = now - hb.echo.sentMs - hb.echo.heldMs;
      if (sample >= 0) l.rttMs = l.rttMs === null ? sample : l.rttMs + RTT_ALPHA * (sample - l.rttMs);
    }
    return true;
  }

  /**
   * The peer restarted: its heartbeat sequence starts over, and a connection opened to its previous
   * process is half-open (the other end is gone): close it so the dialer reconnects at once instead of
   * waiting for the network to time it out.
   */
  private onNewBoot(l: Link, boot: string): void {
    const previous = l.boot;
    l.boot = boot;
    // Weakened variant 'peer-boot-seq-kept': the previous life's sequence is kept, so the new boot's
    // heartbeats count as stale (ignored) until its count passes it.
    if (this.core.cfg.variant !== 'peer-boot-seq-kept') l.lastSeqIn = -1;
    l.ready = false;
    l.echo = null;
    if (previous === null || l.conn === null || l.connBoot === null || l.connBoot === boot) return;
    this.core.env.trace.emit('peer.link.stale', { peer: l.peer });
    this.core.env.trace.probe('peer.link-stale');
    const stale = l.conn;
    stale.close();
    this.onClose(stale, 'closed'); // our own close may not call our handler: settle its requests now
  }

  private heartbeatAll(): void {
    // What a heartbeat says of our data is the same for every peer: built once per round, not per link.
    const state = this.heartbeatState();
    for (const l of this.links.values()) this.sendHeartbeat(l, true, state);
  }

  /** Our side of a heartbeat: newest own key, own-stream digest and relay marks, per resource. */
  private heartbeatState(): Pick<HeartbeatMsg, 'latest' | 'digest' | 'marks'> {
    const { env, cfg } = this.core;
    const latest: Record<string, Cursor | null> = {};
    const digest: Record<string, string> = {};
    const marks: Record<string, Record<string, Cursor>> = {};
    for (const r of cfg.resourceOrder) {
      latest[r] = table(this.core, r).latestBy(env.deviceId);
      digest[r] = table(this.core, r).writerDigest(env.deviceId);
      // How far we hold each other writer's stream completely: what we can relay (catchup.ts).
      const m: Record<string, Cursor> = {};
      for (const w of cfg.peers) {
        const wm = metaCursor(this.core, watermarkKey(this.core, w, r));
        if (wm !== null) m[w] = wm;
      }
      marks[r] = m;
    }
    return { latest, digest, marks };
  }

  private sendHeartbeat(l: Link, viaDatagram: boolean, state = this.heartbeatState()): void {
    const { env, cfg } = this.core;
    const now = env.clock.monotonic();
    const hb: HeartbeatMsg = {
      type: 'Heartbeat',
      library: cfg.library,
      from: env.deviceId,
      boot: this.boot,
      seq: this.hbSeq++,
      // (Weakened variant 'peer-serve-while-backfilling': says ready as soon as its backfill has begun.)
      ready: this.core.cfg.variant === 'peer-serve-while-backfilling' ? this.core.state !== 'uninitialized' : this.core.state === 'ready',
      hlc: hlcNow(this.core),
      sentMs: now,
      echo: l.echo === null ? null : { boot: l.echo.boot, seq: l.echo.seq, sentMs: l.echo.sentMs, heldMs: now - l.echo.atMs },
      ...state,
    };
    this.sendOn(l.peer, hb, viaDatagram);
  }

  private score(l: Link): number {
    return (l.rttMs ?? UNMEASURED_RTT_MS) + l.failures * FAILURE_PENALTY_MS;
  }
}
