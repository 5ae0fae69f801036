/**
 * The AutoSync manager: commits a block store in the background by policy.
 *
 * - `intervalMs`: every interval, commit if anything is dirty.
 * - `maxDirtyBlocks` / `maxDirtyBytes`: when a write takes dirty data to a threshold, commit soon:
 *   after `debounceMs` of quiet (each further write pushes it back), but never later than `intervalMs`
 *   after the threshold was first crossed.
 * - `forceSync()`: the xSync mapping, resolves when everything written before it is durable.
 * - `drainAndShutdown()`: stops the timers, commits what is dirty, closes the store.
 *
 * Background commit failures are counted and traced (the data stays dirty and is retried at the next
 * trigger); they never become unhandled rejections. Backpressure is the store's (see BlockStore.write).
 * It drives any `BlockStorage` (seam.ts), the built-in store or a plugged-in one.
 */
import type { Env, TimerId } from '../env.ts';
import { errorCode, StoreError } from './errors.ts';
import type { StoreEvent } from './metrics.ts';
import type { BlockStorage } from './seam.ts';
import type { CommitInfo } from './store.ts';

/** When the manager commits. */
export interface SyncPolicy {
  /** Commit every this many ms if dirty (default 1000; 0 disables the interval). */
  intervalMs?: number;
  /** Commit soon once this many blocks are dirty (default 64). */
  maxDirtyBlocks?: number;
  /** Commit soon once this many bytes are dirty (default 1 MiB). */
  maxDirtyBytes?: number;
  /** Quiet time before a threshold commit, ms (default 10). */
  debounceMs?: number;
}

type ResolvedPolicy = Required<SyncPolicy>;

function resolvePolicy(p: SyncPolicy): ResolvedPolicy {
  const out = { intervalMs: p.intervalMs ?? 1000, maxDirtyBlocks: p.maxDirtyBlocks ?? 64, maxDirtyBytes: p.maxDirtyBytes ?? 1 << 20, debounceMs: p.debounceMs ?? 10 };
  for (const [k, v] of Object.entries(out)) {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`SyncPolicy.${k}: expected a non-negative number, got ${String(v)}`);
  }
  if (out.maxDirtyBlocks < 1) throw new RangeError(`SyncPolicy.maxDirtyBlocks: expected at least 1, got ${out.maxDirtyBlocks}`);
  return out;
}

/** The AutoSync variants (weakened managers), read from the built-in store's options. */
const AUTOSYNC_VARIANTS: readonly string[] = ['storage-autosync-stops-after-failure', 'storage-drain-relaxed-commit', 'storage-autosync-threshold-both'];

/** The weakened AutoSync variant the store was opened with (the built-in store's options), else ''. */
function variantOf(store: BlockStorage): string {
  const v = (store as { options?: { variant?: unknown } }).options?.variant;
  return typeof v === 'string' && AUTOSYNC_VARIANTS.includes(v) ? v : '';
}

/** Background commits of one store. */
export class AutoSync {
  private readonly policy: ResolvedPolicy;
  private interval: TimerId | null = null;
  private debounce: TimerId | null = null;
  private firstCrossMs: number | null = null;
  private running = false;
  private stopped = false;
  private readonly unsubscribe: () => void;
  /** Background commits that failed (each also traced as autosync.failed). */
  failures = 0;

  constructor(
    private readonly env: Env,
    private readonly store: BlockStorage,
    policy: SyncPolicy = {},
  ) {
    this.policy = resolvePolicy(policy);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
    if (this.policy.intervalMs > 0) this.interval = env.clock.setInterval(() => this.trigger('interval'), this.policy.intervalMs);
  }

  private onEvent(e: StoreEvent): void {
    if (e.type !== 'write' || this.stopped) return;
    // Variant storage-autosync-threshold-both: a threshold commit only once both thresholds are reached.
    const below = variantOf(this.store) === 'storage-autosync-threshold-both'
      ? e.dirtyCount < this.policy.maxDirtyBlocks || e.dirtyBytes < this.policy.maxDirtyBytes
      : e.dirtyCount < this.policy.maxDirtyBlocks && e.dirtyBytes < this.policy.maxDirtyBytes;
    if (below) return;
    const now = this.env.clock.monotonic();
    this.firstCrossMs ??= now;
    if (this.debounce !== null) this.env.clock.clearTimer(this.debounce);
    const latest = this.firstCrossMs + Math.max(this.policy.intervalMs, this.policy.debounceMs);
    const delay = Math.max(0, Math.min(this.policy.debounceMs, latest - now));
    this.debounce = this.env.clock.setTimeout(() => this.trigger('threshold'), delay);
  }

  private trigger(reason: 'interval' | 'threshold'): void {
    if (reason === 'threshold') {
      this.debounce = null;
      this.firstCrossMs = null;
    }
    if (this.running || this.stopped || this.store.metrics().dirtyCount === 0) return;
    this.running = true;
    this.env.trace.emit('autosync.start', { reason });
    this.store.sync().then(
      (info) => this.done(info),
      (e: unknown) => this.failed(e),
    );
  }

  private done(info: CommitInfo): void {
    this.running = false;
    this.env.trace.emit('autosync.done', { commit: info.commit, blocks: info.blocks });
  }

  private failed(e: unknown): void {
    // Variant storage-autosync-stops-after-failure: the flag stays set, so no trigger commits again.
    if (variantOf(this.store) !== 'storage-autosync-stops-after-failure') this.running = false;
    this.failures++;
    this.env.trace.emit('autosync.failed', { code: errorCode(e) });
  }

  /** Resolves when everything written before the call is durable; rejects if it could not be made so. */
  forceSync(): Promise<CommitInfo> {
    if (this.stopped) return Promise.reject(new StoreError('ECLOSED', 'the AutoSync manager was shut down'));
    return this.store.forceSync();
  }

  /** Stops background commits, makes everything durable, and closes the store. */
  async drainAndShutdown(): Promise<CommitInfo> {
    this.stopTimers();
    // Variant storage-drain-relaxed-commit: the last commit is an ordinary one (sync), relaxed on kv: the
    // drain returns before it is durable.
    const info = await (variantOf(this.store) === 'storage-drain-relaxed-commit' ? this.store.sync() : this.store.forceSync());
    await this.store.close();
    this.env.trace.emit('autosync.shutdown', { commit: info.commit });
    return info;
  }

  /** Stops background commits without committing (the store stays open). */
  stopTimers(): void {
    this.stopped = true;
    if (this.interval !== null) this.env.clock.clearTimer(this.interval);
    if (this.debounce !== null) this.env.clock.clearTimer(this.debounce);
    this.interval = null;
    this.debounce = null;
    this.unsubscribe();
  }
}
