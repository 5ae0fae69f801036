/**
 * The single writer: only the leader writes the store; every other tab forwards its writes to the leader
 * over the bus, with request ids, and every write's caller gets a result or an error — never a hang.
 *
 * Protocol (bus channels):
 * - 'election.req'   {type:'fwd', id, reqId, from, key, value}: a follower asks whoever leads to apply a
 *   write. `id` routes the reply; `reqId` (the same string, or null in the 'election-no-request-ids'
 *   variant) deduplicates it in the store. Only a tab that may write right now (`canWrite`) handles it.
 * - 'election.reply' {type:'reply', id, to, ok, seq?, dedup?, code?}: the leader's answer. `ok: false`
 *   means the write was definitely not applied (fenced, busy, store error); the follower retries.
 *
 * Exactly once: the store applies a request id at most once (in the same transaction as the write), so
 * re-sending after a lost reply, a leader crash or a leader change is safe. Before re-sending, the
 * follower asks the store itself whether the id was applied (tabs share the store; reads need no leader).
 *
 * Never a hang: every write has a deadline (`writeDeadlineMs`, monotonic); at the deadline it fails with
 * ETIMEDOUT, `definite: false` when an attempt may have been applied. When this tab becomes leader, its
 * pending writes are applied locally at once; when a new leader is announced, they are re-sent at once.
 *
 * Leader side: writes (local and forwarded) queue for one flush loop, the only code that writes the
 * store; it checks leadership once per batch and then writes the batch through (see `flushLoop`).
 *
 * Trace: 'writer.begin' {epoch, count} when a leader starts flushing a batch (right after `canWrite`),
 * and 'fwd.send' {id, attempt} for each forwarded attempt.
 */
import type { Bus, Clock, Tracer, Value } from '../env.ts';
import { FencedError, type FencedStore, type StoreWrite } from './fenced-store.ts';
import { tolerate } from './errors.ts';
import type { TabSettings } from './options.ts';
import type { Election } from './types.ts';

/** Channel of forwarded write requests. */
export const REQUEST_CHANNEL = 'election.req';
/** Channel of replies to forwarded writes. */
export const REPLY_CHANNEL = 'election.reply';

/** A write's result: its log position, and whether it had been applied before (a retried request). */
export interface WriteResult {
  seq: number;
  dedup: boolean;
}

/** Error codes of a failed write. */
export type WriteErrorCode = 'ETIMEDOUT' | 'EBUSY' | 'ECLOSED' | 'EFENCED';

/** A write failed. `definite` is true when it was certainly not applied. */
export class WriteError extends Error {
  override name = 'WriteError';
  constructor(
    readonly code: WriteErrorCode,
    readonly definite: boolean,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** What the writer needs. */
export interface WriterDeps {
  nodeId: string;
  incarnation: number;
  clock: Clock;
  bus: Bus;
  trace: Tracer;
  store: FencedStore;
  election: Election;
  settings: TabSettings;
}

interface Pending {
  /** Request id (changed only by the weakened variant 'election-retry-new-id'). */
  id: string;
  reqId: string | null;
  readonly key: string;
  readonly value: string;
  readonly deadlineMono: number;
  readonly resolve: (r: WriteResult) => void;
  readonly reject: (e: WriteError) => void;
  attempts: number;
  timer: number;
  /** Fires at the deadline whatever the write is doing (a local apply may be stuck behind another tab). */
  deadlineTimer: number;
  /** Some attempt may have been applied (a forward without a definite answer). */
  maybeApplied: boolean;
  /** A local leader apply is running: no other attempt until it ends. */
  applying: boolean;
  lastCode: WriteErrorCode | null;
  done: boolean;
}

type LeaderOutcome =
  | { kind: 'ok'; seq: number; dedup: boolean }
  | { kind: 'not-leader' }
  | { kind: 'failed'; code: string };

const RETRY_BACKOFF_MS = 25;
/** Writes per flush batch (one leadership check per batch). */
const FLUSH_BATCH_MAX = 32;

interface FlushItem {
  write: StoreWrite;
  done: (o: LeaderOutcome) => void;
}

/** Single-writer layer of one tab (see the file comment). */
export class SingleWriter {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;
  private inflightCount = 0;
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  private readonly flushQueue: FlushItem[] = [];
  private flushing = false;
  private readonly unsubs: (() => void)[] = [];
  private readonly noReqIds: boolean;
  private readonly newIdOnRetry: boolean;
  private readonly forgetsForwards: boolean;

  constructor(private readonly d: WriterDeps) {
    this.noReqIds = d.settings.variant === 'election-no-request-ids';
    this.newIdOnRetry = d.settings.variant === 'election-retry-new-id';
    this.forgetsForwards = d.settings.variant === 'election-timeout-definite';
  }

  /** Subscribes to requests, replies and election events. */
  start(): void {
    this.unsubs.push(this.d.bus.subscribe(REQUEST_CHANNEL, (m) => void this.onRequest(m)));
    this.unsubs.push(this.d.bus.subscribe(REPLY_CHANNEL, (m) => this.onReply(m)));
    this.unsubs.push(
      this.d.election.subscribe((e) => {
        // Weakened variant 'election-lazy-redispatch': pending writes wait for their forward timeout instead.
        if (this.d.settings.variant === 'election-lazy-redispatch') return;
        if (e.type === 'leader' || e.type === 'leader-seen') this.redispatchAll();
      }),
    );
  }

  /** Writes `value` under `key` through the leader. */
  write(key: string, value: string): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new WriteError('ECLOSED', true, 'the tab is closing'));
    // Weakened variant 'election-pending-off-by-one': one write more than the bound is accepted.
    if (this.pending.size >= this.d.settings.pendingWritesMax + (this.d.settings.variant === 'election-pending-off-by-one' ? 1 : 0)) {
      return Promise.reject(new WriteError('EBUSY', true, `${this.pending.size} writes pending (pendingWritesMax)`));
    }
    const id = `${this.d.nodeId}.${this.d.incarnation}.${++this.counter}`;
    return new Promise<WriteResult>((resolve, reject) => {
      const p: Pending = {
        id,
        reqId: this.noReqIds ? null : id,
        key,
        value,
        deadlineMono: this.d.clock.monotonic() + this.d.settings.writeDeadlineMs,
        resolve,
        reject,
        attempts: 0,
        timer: 0,
        deadlineTimer: 0,
        maybeApplied: false,
        applying: false,
        lastCode: null,
        done: false,
      };
      this.pending.set(id, p);
      p.deadlineTimer = this.d.clock.setTimeout(() => this.expire(p), this.d.settings.writeDeadlineMs);
      this.dispatch(p);
    });
  }

  /** Writes waiting for a result. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Leader writes in flight (the election waits for 0 when stepping down). */
  inflight(): number {
    return this.inflightCount;
  }

  /** Resolves when no leader write is in flight. */
  drained(): Promise<void> {
    if (this.inflightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Fails every pending write with ECLOSED and stops handling requests. */
  close(): void {
    this.closed = true;
    for (const u of this.unsubs) u();
    for (const p of [...this.pending.values()]) {
      // A write being applied locally right now may still commit: not definite.
      this.fail(p, new WriteError('ECLOSED', !p.maybeApplied && !p.applying, `tab closed with write ${p.id} pending`));
    }
  }

  // ---------------------------------------------------------------- client side

  /** Applies locally when leading, forwards otherwise; fails at the deadline. */
  private dispatch(p: Pending): void {
    if (p.done || p.applying) return;
    this.d.clock.clearTimer(p.timer);
    if (this.d.clock.monotonic() >= p.deadlineMono) return this.expire(p);
    if (this.d.election.canWrite()) void this.applyLocally(p);
    else this.forward(p);
  }

  /** The deadline passed: ETIMEDOUT, definite only when no attempt can still be applied. */
  private expire(p: Pending): void {
    if (p.done) return;
    this.d.trace.probe('election.write-deadline');
    // Weakened variant 'election-timeout-definite': forgets that a forwarded attempt may have landed.
    // Weakened variant 'election-deadline-ignores-apply': forgets that a local apply still running may commit.
    const applying = p.applying && this.d.settings.variant !== 'election-deadline-ignores-apply';
    const definite = (this.forgetsForwards || !p.maybeApplied) && !applying;
    const code = definite && p.lastCode !== null ? p.lastCode : 'ETIMEDOUT';
    this.fail(p, new WriteError(code, definite, `write ${p.id} got no result within ${this.d.settings.writeDeadlineMs} ms`));
  }

  private async applyLocally(p: Pending): Promise<void> {
    p.applying = true;
    const r = await this.leaderApply(p.key, p.value, p.reqId);
    p.applying = false;
    if (p.done) return;
    if (r.kind === 'ok') return this.succeed(p, { seq: r.seq, dedup: r.dedup });
    // Weakened variant 'election-store-error-final': a failed apply (a store error, a fenced batch) fails the
    // write at once instead of retrying it until its deadline.
    if (r.kind === 'failed' && this.d.settings.variant === 'election-store-error-final') {
      return this.fail(p, new WriteError(r.code === 'EFENCED' ? 'EFENCED' : 'EBUSY', true, `write ${p.id}: the store refused it (${r.code})`));
    }
    if (r.kind === 'failed') p.lastCode = r.code === 'EFENCED' ? 'EFENCED' : p.lastCode;
    this.retryLater(p, r.kind === 'not-leader' ? 0 : RETRY_BACKOFF_MS);
  }

  private forward(p: Pending): void {
    p.attempts++;
    p.maybeApplied = true;
    this.d.trace.emit('fwd.send', { id: p.id, attempt: p.attempts });
    this.d.bus.post(REQUEST_CHANNEL, { type: 'fwd', id: p.id, reqId: p.reqId, from: this.d.nodeId, key: p.key, value: p.value });
    p.timer = this.d.clock.setTimeout(() => void this.onTimeout(p), this.d.settings.forwardTimeoutMs);
  }

  /** No reply in time: ask the store whether the request was applied, else send it again. */
  private async onTimeout(p: Pending): Promise<void> {
    if (p.done || p.applying) return;
    if (this.newIdOnRetry) return this.dispatch(this.renamed(p));
    if (p.reqId !== null) {
      const found = await this.d.store.lookup(p.reqId).catch((e: unknown): WriteResult | null => {
        tolerate(e);
        // Weakened variant 'election-lookup-error-applied': a failed lookup is taken as 'applied'.
        return this.d.settings.variant === 'election-lookup-error-applied' ? { seq: 0, dedup: true } : null;
      });
      if (p.done) return;
      if (found !== null) {
        this.d.trace.probe('election.forward-found-applied');
        return this.succeed(p, found);
      }
    }
    this.dispatch(p);
  }

  /** Weakened variant 'election-retry-new-id': the retry goes out under a fresh request id, without a lookup. */
  private renamed(p: Pending): Pending {
    this.pending.delete(p.id);
    p.id = `${this.d.nodeId}.${this.d.incarnation}.${++this.counter}`;
    p.reqId = p.id;
    this.pending.set(p.id, p);
    return p;
  }

  private retryLater(p: Pending, delayMs: number): void {
    this.d.clock.clearTimer(p.timer);
    p.timer = this.d.clock.setTimeout(() => this.dispatch(p), delayMs);
  }

  private onReply(m: Value): void {
    const msg = m as { type?: unknown; id?: unknown; to?: unknown; ok?: unknown; seq?: unknown; dedup?: unknown; code?: unknown };
    if (msg.type !== 'reply' || msg.to !== this.d.nodeId || typeof msg.id !== 'string') return;
    const p = this.pending.get(msg.id);
    if (p === undefined || p.done) return;
    if (msg.ok === true && typeof msg.seq === 'number') return this.succeed(p, { seq: msg.seq, dedup: msg.dedup === true });
    if (msg.code === 'EFENCED') p.lastCode = 'EFENCED';
    // Weakened variant 'election-refusal-clears-maybe-applied': a refusal (EBUSY, a store error) is taken to
    // mean no attempt was applied, though an earlier one may still be, or wait in the leader's queue.
    if (this.d.settings.variant === 'election-refusal-clears-maybe-applied') p.maybeApplied = false;
    this.retryLater(p, RETRY_BACKOFF_MS);
  }

  /** A leader appeared (maybe this tab): send every waiting write now instead of at its timeout. */
  private redispatchAll(): void {
    for (const p of [...this.pending.values()]) {
      if (!p.applying) this.retryLater(p, 0);
    }
  }

  private succeed(p: Pending, r: WriteResult): void {
    p.done = true;
    this.d.clock.clearTimer(p.timer);
    this.d.clock.clearTimer(p.deadlineTimer);
    this.pending.delete(p.id);
    p.resolve(r);
  }

  private fail(p: Pending, e: WriteError): void {
    p.done = true;
    this.d.clock.clearTimer(p.timer);
    this.d.clock.clearTimer(p.deadlineTimer);
    this.pending.delete(p.id);
    p.reject(e);
  }

  // ---------------------------------------------------------------- leader side

  /** Queues one write for the leader's flush loop, if this tab may write now. */
  private leaderApply(key: string, value: string, reqId: string | null): Promise<LeaderOutcome> {
    if (!this.d.election.canWrite()) return Promise.resolve({ kind: 'not-leader' });
    return new Promise<LeaderOutcome>((done) => {
      this.flushQueue.push({ write: { key, value, epoch: 0, reqId }, done });
      if (!this.flushing) void this.flushLoop();
    });
  }

  /**
   * The leader's flush loop (the only code that writes the store): takes up to `flushBatchMax` queued
   * writes, checks leadership once (`canWrite`, traced as 'writer.begin'), then applies them one by one
   * without re-checking — as a sync job runs to completion. If leadership is lost meanwhile, the store's
   * fencing rejects the rest of the batch, and each rejected write is an error to its caller.
   */
  private async flushLoop(): Promise<void> {
    this.flushing = true;
    this.inflightCount++;
    try {
      await Promise.resolve(); // writes submitted in the same turn join the first batch

      while (this.flushQueue.length > 0) {
        const batch = this.flushQueue.splice(0, FLUSH_BATCH_MAX);
        if (!this.d.election.canWrite()) {
          // Weakened variant 'election-stepdown-drops-queue': the batch is dropped, its writes never hear back.
          if (this.d.settings.variant !== 'election-stepdown-drops-queue') for (const item of batch) item.done({ kind: 'not-leader' });
          continue;
        }
        const epoch = this.d.election.epoch();
        this.d.trace.emit('writer.begin', { epoch, count: batch.length });
        await this.flushBatch(batch, epoch);
      }
    } finally {
      this.flushing = false;
      if (--this.inflightCount === 0) this.wakeDrainWaiters();
    }
  }

  private async flushBatch(batch: FlushItem[], epoch: number): Promise<void> {
    let fenced = false;
    for (const item of batch) {
      if (fenced) {
        item.done({ kind: 'failed', code: 'EFENCED' });
        continue;
      }
      try {
        const r = await this.d.store.apply({ ...item.write, epoch });
        item.done({ kind: 'ok', seq: r.seq, dedup: r.dedup });
      } catch (e) {
        if (e instanceof FencedError) {
          this.d.trace.probe('election.flush-fenced');
          fenced = true;
          // Weakened variant 'election-ignore-fenced': the refusal fails the batch but the election never hears of it.
          if (this.d.settings.variant !== 'election-ignore-fenced') this.d.election.fenced(epoch);
          item.done({ kind: 'failed', code: 'EFENCED' });
        } else {
          item.done({ kind: 'failed', code: tolerate(e).code });
        }
      }
    }
  }

  private wakeDrainWaiters(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  /** A forwarded write from another tab: apply it if leading, and reply. Non-leaders stay silent. */
  private async onRequest(m: Value): Promise<void> {
    const msg = m as { type?: unknown; id?: unknown; reqId?: unknown; from?: unknown; key?: unknown; value?: unknown };
    if (msg.type !== 'fwd' || typeof msg.id !== 'string' || typeof msg.from !== 'string') return;
    if (typeof msg.key !== 'string' || typeof msg.value !== 'string') return;
    if (this.closed || !this.d.election.canWrite()) return;
    const reply = { type: 'reply', id: msg.id, to: msg.from };
    if (this.flushQueue.length >= this.d.settings.pendingWritesMax) {
      this.d.bus.post(REPLY_CHANNEL, { ...reply, ok: false, code: 'EBUSY' });
      return;
    }
    const reqId = typeof msg.reqId === 'string' ? msg.reqId : null;
    const r = await this.leaderApply(msg.key, msg.value, reqId);
    if (r.kind === 'not-leader') return;
    // Weakened variant 'election-dedup-false': every ok reply says this request applied the write.
    if (r.kind === 'ok') this.d.bus.post(REPLY_CHANNEL, { ...reply, ok: true, seq: r.seq, dedup: this.d.settings.variant === 'election-dedup-false' ? false : r.dedup });
    else this.d.bus.post(REPLY_CHANNEL, { ...reply, ok: false, code: r.code });
  }
}
