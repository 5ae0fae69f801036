/**
 * The sync coordinator of a library: it owns the job lifecycle and runs jobs one provider at a time.
 *
 * Job lifecycle (persisted before it is traced, each step one strict commit):
 *   pending --start--> running --> completed | failed | cancelled
 * A job found `running` when the process starts was interrupted by a crash: it is marked failed and the
 * provider is synced again. At most one job per provider runs; jobs of different providers run at once.
 *
 * `executeSync` orchestrates the phases of one job (the seed's refactoring): start (choosing Full or
 * Incremental), discovery and processing running together (discovery.ts, processing.ts), the new cursor
 * persisted once discovery consumed the provider's stream, processing awaited until every item is
 * durable, conflict resolution (the duplicate marks, `resolveDuplicates`), then completion. Only a
 * completed job's cursor is ever used again, so a crash or cancellation at any await loses no change.
 *
 * Scheduling: each provider has a runner task and a `Notify`. `requestSync` persists a pending job (one
 * per provider at most: later requests join it) and calls `notifyOne`; the runner wakes, runs the pending
 * job to its end, and waits again. A request made while a job runs finds no waiter: the Notify stores the
 * permit, and the runner's next wait returns at once (tokio's Notify semantics), so it is never lost.
 */
import { CancellationToken, Notify, Semaphore, type BroadcastReceiver } from '../async/index.ts';
import { EnvError, type Env } from '../env.ts';
import { ProviderClient } from './client.ts';
import { discover } from './discovery.ts';
import { jobFields, type JobContext, type JobProgress } from './job-context.ts';
import type { JobRec, JobState, LibraryStore, SyncType, TrackRec } from './library-store.ts';
import type { LibraryConfig } from './options.ts';
import { processQueue } from './processing.ts';
import { JobEvents, type JobStatus } from './progress.ts';
import { WorkQueue } from './queue.ts';

/** Failed commits of one job-record write before it gives up. */
const STORE_ATTEMPTS = 20;
/** Duplicate marks written per strict commit by the conflict phase. */
const MARKS_PER_COMMIT = 64;

/** The coordinator of one library. */
export class Coordinator {
  readonly events: JobEvents;
  private readonly clients = new Map<string, ProviderClient>();
  private readonly semaphore: Semaphore;
  /** Provider -> the Notify its runner waits on. */
  private readonly wake = new Map<string, Notify>();
  /** Provider -> the token of its running job. */
  private readonly running = new Map<string, CancellationToken>();
  /** Provider -> a pending job being created (later requests join it). */
  private readonly creating = new Map<string, Promise<number>>();
  /** Weakened variant provider-dedup-volatile: job id -> its provider's tracks (by file id) when it started. */
  private readonly tracksAtStart = new Map<number, Map<string, TrackRec>>();

  constructor(
    private readonly env: Env,
    private readonly cfg: LibraryConfig,
    private readonly store: LibraryStore,
  ) {
    this.semaphore = new Semaphore(cfg.maxConcurrent, cfg.variant === 'provider-permit-leak' ? { weaken: 'leak-on-error' } : {});
    this.events = new JobEvents(cfg.progressCapacity, cfg.variant === 'provider-silent-lag');
    for (const p of cfg.providers) {
      this.clients.set(p, new ProviderClient(env, p, cfg.requestTimeoutMs, cfg.variant === 'provider-timer-not-cleared', cfg.variant === 'provider-timeout-seconds' ? 1_000 : 1));
      this.wake.set(p, new Notify(cfg.variant === 'provider-lost-wakeup' ? { weaken: 'lose-stored-permit' } : {}));
    }
  }

  /** Recovers the job table after a restart and starts the runners; every provider not in sync is requested. */
  async start(): Promise<void> {
    for (const job of [...this.store.jobs.values()].filter((j) => j.state === 'running')) {
      const failed = await this.persist(job.id, { state: 'failed', error: 'interrupted' });
      this.env.trace.probe('provider.job-interrupted');
      if (job.type === 'incremental') this.env.trace.probe('provider.job-interrupted-incremental');
      if (job.cursor !== null) this.env.trace.probe('provider.job-interrupted-with-cursor');
      this.env.trace.emit('provider.job.end', { job: job.id, provider: job.provider, state: 'failed', items: job.items, bytes: job.bytes, error: 'interrupted' });
      this.publish(failed, { items: job.items, total: job.items, bytes: job.bytes });
    }
    for (const p of this.cfg.providers) {
      void this.runner(p);
      const last = this.latestJob(p);
      const behind = last !== undefined && (last.state === 'failed' || last.state === 'cancelled') && this.cfg.variant !== 'provider-no-resume-at-start';
      if (last === undefined || behind) await this.requestSync(p, 'incremental');
      // Variant provider-pending-not-resumed: a pending job found at start waits for a request nobody makes.
      else if (last.state === 'pending' && this.cfg.variant !== 'provider-pending-not-resumed') this.wake.get(p)!.notifyOne();
    }
  }

  /** Asks for a sync of `provider`; resolves with the id of the pending job that will run it. */
  async requestSync(provider: string, type: SyncType = 'incremental'): Promise<number> {
    if (!this.clients.has(provider)) throw new RangeError(`library: unknown provider ${provider}`);
    // Variant provider-request-joins-running: a request also joins the provider's running job, which may
    // have read the feed already: the changes made since wait for some later request.
    const joinRunning = this.cfg.variant === 'provider-request-joins-running';
    const waiting = [...this.store.jobs.values()].find((j) => j.provider === provider && (j.state === 'pending' || (joinRunning && j.state === 'running')));
    // Join the job being created without yielding first: an `await` before `creating` is set lets every
    // request of the same instant find no job and create one of its own (two pending jobs).
    const joining = waiting === undefined ? this.creating.get(provider) : undefined;
    let id = waiting?.id ?? (joining === undefined ? undefined : await joining);
    if (id === undefined) {
      const creation = this.retryStore(() => this.store.createJob(provider, type)).then((job) => {
        this.env.trace.emit('provider.job.pending', { job: job.id, provider, requested: type });
        this.publish(job, { items: 0, total: 0, bytes: 0 });
        return job.id;
      });
      this.creating.set(provider, creation);
      try {
        id = await creation;
      } finally {
        this.creating.delete(provider);
      }
    }
    this.wake.get(provider)!.notifyOne();
    return id;
  }

  /** Cancels the running job of `provider`; false when none runs. */
  cancel(provider: string): boolean {
    const token = this.running.get(provider);
    if (token === undefined) return false;
    token.cancel('cancelled by the user');
    return true;
  }

  /** A subscriber to the job events. */
  subscribe(): BroadcastReceiver<JobStatus> {
    return this.events.subscribe();
  }

  private latestJob(provider: string): JobRec | undefined {
    let last: JobRec | undefined;
    for (const j of this.store.jobs.values()) if (j.provider === provider && (last === undefined || j.id > last.id)) last = j;
    return last;
  }

  /** The runner of one provider: one pending job per wake-up, run to its end. */
  private async runner(provider: string): Promise<void> {
    const wake = this.wake.get(provider)!;
    for (;;) {
      await wake.notified();
      const job = [...this.store.jobs.values()].find((j) => j.provider === provider && j.state === 'pending');
      if (job === undefined) continue;
      try {
        await this.executeSync(job);
      } catch (e) {
        // Its record could not be written (STORE_ATTEMPTS failed commits): it stays as durably recorded
        // (a pending or running job: liveness names it) until a restart or the next request.
        this.env.trace.emit('provider.job.error', { job: job.id, provider, error: String((e as Error)?.message ?? e).slice(0, 120) });
      }
    }
  }

  /** Persists changes to a job record, retrying failed commits (`retryStore`). */
  private persist(id: number, changes: Partial<JobRec>): Promise<JobRec> {
    return this.retryStore(() => this.store.updateJob(id, changes));
  }

  /**
   * Runs a job-record write, retrying a failed commit (EIO, ENOSPC...) up to STORE_ATTEMPTS times with
   * backoff: a job's lifecycle must reach the disk, or the job would be lost or run twice.
   */
  private async retryStore<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (e) {
        if (!(e instanceof EnvError) || attempt >= STORE_ATTEMPTS) throw e;
        this.env.trace.probe('provider.store-retried');
        await this.env.clock.sleep(Math.min(this.cfg.backoffMs * 2 ** attempt, 1_000));
      }
    }
  }

  private publish(job: JobRec, p: JobProgress, state: JobState = job.state): void {
    this.events.publish({ job: job.id, provider: job.provider, state, items: p.items, total: p.total, bytes: p.bytes });
  }

  /**
   * Runs one job through its phases (see the file comment): a failure or cancellation fails or cancels
   * the job. Rejects only when the job's own record cannot be written (see `retryStore`).
   */
  async executeSync(pending: JobRec): Promise<void> {
    const user = new CancellationToken();
    this.running.set(pending.provider, user);
    try {
      const ctx = await this.startJob(pending, user);
      try {
        await this.phases(ctx);
        await this.finish(ctx, 'completed', null);
      } catch (e) {
        ctx.token.cancel('job ended');
        if (user.cancelled) this.env.trace.probe('provider.job-cancelled');
        await this.finish(ctx, user.cancelled ? 'cancelled' : 'failed', user.cancelled ? (user.reason ?? 'cancelled') : String((e as Error)?.message ?? e));
      }
    } finally {
      this.running.delete(pending.provider);
    }
  }

  /** Marks the job running, deciding Full or Incremental: Incremental needs the last completed job's cursor. */
  private async startJob(pending: JobRec, user: CancellationToken): Promise<JobContext> {
    const from = pending.requested === 'incremental' ? this.store.lastCompletedCursor(pending.provider) : null;
    const type: SyncType = from === null ? 'full' : 'incremental';
    const escalated = pending.requested === 'incremental' && from === null ? 'no-cursor' : null;
    if (escalated !== null) this.env.trace.probe('provider.escalated-no-cursor');
    const job = await this.persist(pending.id, { state: 'running', type, from });
    if (this.cfg.variant === 'provider-dedup-volatile') this.tracksAtStart.set(job.id, new Map(this.store.tracksOf(job.provider).map((t) => [t.fileId, t])));
    this.env.trace.emit('provider.job.start', { job: job.id, provider: job.provider, requested: job.requested, type, from, escalated });
    const progress: JobProgress = { items: 0, total: 0, bytes: 0 };
    const token = user.child();
    const ctx: JobContext = {
      env: this.env, cfg: this.cfg, store: this.store, client: this.clients.get(job.provider)!, semaphore: this.semaphore,
      queue: new WorkQueue(this.env, job.id, this.cfg.queueMax, this.cfg.variant === 'provider-unbounded-queue'),
      token, job, progress,
      report: () => this.publish(ctx.job, progress),
    };
    ctx.report();
    return ctx;
  }

  /**
   * Discovery and processing together, the cursor, then conflict resolution. However the job ends, its
   * workers have finished (their items applied whole or not at all) before it is marked ended.
   */
  private async phases(ctx: JobContext): Promise<void> {
    const processing = processQueue(ctx);
    // A failed worker ends the job: discovery, maybe waiting for room in the queue, must stop too.
    processing.catch(() => ctx.token.cancel('processing failed'));
    try {
      let cursor: string;
      try {
        cursor = await discover(ctx);
      } finally {
        ctx.queue.close();
      }
      if (ctx.cfg.variant !== 'provider-cursor-early') {
        ctx.job = await this.persist(ctx.job.id, { cursor });
        this.env.trace.emit('provider.job.cursor', { ...jobFields(ctx), cursor });
      }
      if (ctx.cfg.variant === 'provider-complete-early') {
        await this.finish(ctx, 'completed', null);
        await processing;
        throw new EarlyCompletion();
      }
      await processing;
    } catch (e) {
      ctx.token.cancel('job failed');
      await processing.catch(() => undefined);
      throw e;
    }
    await this.resolveDuplicates(ctx);
  }

  /**
   * Conflict resolution after processing: duplicates are live tracks of the job's provider with one
   * content hash (the same song uploaded twice, under two paths). Each group's canonical member is its
   * smallest file id (string order); every other member is durably marked `dupOf: <canonical>`, and every
   * mark that no longer holds is cleared (its track or the canonical deleted, its content changed, the
   * group dissolved), in strict transactions of at most MARKS_PER_COMMIT tracks. It recomputes everything
   * from the provider's tracks, which are stable here (one job per provider, and its processing is over),
   * so it is idempotent: a crash or cancellation before completion leaves the next job to finish it.
   */
  private async resolveDuplicates(ctx: JobContext): Promise<void> {
    const provider = ctx.job.provider;
    const tracks = new Map(ctx.store.tracksOf(provider).map((t) => [t.fileId, t]));
    const want = this.cfg.variant === 'provider-no-dedup' ? null : duplicateMarks(tracks.values());
    const changed = this.changedHashes(ctx.job.id, tracks);
    const changes = want === null ? [] : [...tracks.values()].filter((t) => t.dupOf !== (want.get(t.fileId) ?? null) && (changed === null || changed.has(t.hash))).map((t) => t.fileId);
    // Variant provider-marks-batch-short: each commit's slice ends one early, so the last mark of every full batch is skipped.
    const short = this.cfg.variant === 'provider-marks-batch-short' ? 1 : 0;
    for (let i = 0; i < changes.length; i += MARKS_PER_COMMIT) {
      ctx.token.throwIfCancelled();
      const marks = new Map(changes.slice(i, i + MARKS_PER_COMMIT - short).map((id) => [id, want!.get(id) ?? null]));
      await this.retryStore(() => ctx.store.markDuplicates(provider, marks, tracks));
    }
    this.env.trace.emit('provider.job.resolved', { ...jobFields(ctx), duplicates: want?.size ?? 0 });
  }

  /**
   * Weakened variant provider-dedup-volatile: the hashes of the tracks the job wrote (before and after),
   * from what it held in memory when it started; null (every hash) otherwise. A job stopped before its
   * conflict phase (a crash, a cancellation, a failure) leaves its marks undone for good: the next job
   * does not see its writes as its own.
   */
  private changedHashes(job: number, tracks: ReadonlyMap<string, TrackRec>): Set<string> | null {
    const before = this.tracksAtStart.get(job);
    if (before === undefined) return null;
    this.tracksAtStart.delete(job);
    const changed = new Set<string>();
    for (const [id, t] of tracks) {
      const was = before.get(id);
      if (was === t) continue;
      changed.add(t.hash);
      if (was !== undefined) changed.add(was.hash);
    }
    return changed;
  }

  private async finish(ctx: JobContext, state: JobState, error: string | null): Promise<void> {
    if (ctx.job.state === 'completed') return; // weakened variant provider-complete-early: already done
    const { items, bytes } = ctx.progress;
    // Variant provider-status-before-durable: the end is published before its record is written.
    const early = this.cfg.variant === 'provider-status-before-durable';
    if (early) this.publish({ ...ctx.job, state }, ctx.progress);
    ctx.job = await this.persist(ctx.job.id, { state, items, bytes, error });
    this.env.trace.emit('provider.job.end', { ...jobFields(ctx), state, items, bytes, error });
    if (!early) this.publish(ctx.job, ctx.progress);
    // Only a failed job is requested again by itself (variant provider-retry-cancelled: a cancelled one too).
    const retried = state === 'failed' || (state === 'cancelled' && this.cfg.variant === 'provider-retry-cancelled');
    if (retried && this.cfg.variant !== 'provider-no-job-retry') this.env.clock.setTimeout(() => void this.requestSync(ctx.job.provider).catch(() => undefined), this.cfg.retryJobMs);
  }
}

/**
 * The duplicate marks `tracks` must carry: non-canonical member's file id -> its group's canonical (the
 * smallest file id of the live tracks with one content hash, two or more of them). Tracks not named carry
 * no mark.
 */
export function duplicateMarks(tracks: Iterable<TrackRec>): Map<string, string> {
  const canonical = new Map<string, string>();
  const live = [...tracks].filter((t) => !t.deleted).sort((a, b) => (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0));
  const marks = new Map<string, string>();
  for (const t of live) {
    const first = canonical.get(t.hash);
    if (first === undefined) canonical.set(t.hash, t.fileId);
    else marks.set(t.fileId, first);
  }
  return marks;
}

/** Weakened variant provider-complete-early: the job was completed before its work was durable. */
class EarlyCompletion extends Error {}
