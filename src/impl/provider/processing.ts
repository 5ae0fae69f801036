/**
 * Processing, the second phase of a sync job: `maxConcurrent` workers take items from the job's queue and
 * download, tag and persist each one, while discovery still fills the queue.
 *
 * - Concurrency: a download holds a permit of the library-wide `Semaphore` (`maxConcurrent` permits
 *   shared by the jobs of every provider), taken with `withPermit`, which returns it however the download
 *   ends. A failed attempt throws out of `withPermit` and is retried after its delay without a permit.
 * - An item is applied in one transaction (track and content together) and only if the library does not
 *   hold that revision or a newer one; a download answered 404 means the file changed or went away since
 *   it was listed: the newer change is in the feed (`provider.item.superseded`).
 * - Cooperative cancellation: a worker checks the job's token only between items and while waiting (for
 *   an item, a permit, a retry delay): an item whose download started is finished and applied whole.
 */
import { sleep } from '../async/index.ts';
import { EnvError } from '../env.ts';
import { Unavailable } from './client.ts';
import { contentHash } from './hash.ts';
import { jobFields, type JobContext } from './job-context.ts';
import type { ProviderReply } from './messages.ts';
import type { WorkItem } from './queue.ts';
import { SyncError, isTransient, retryDelayMs } from './requests.ts';

/** A failed attempt to process an item that may succeed later. */
class Retry extends Error {
  constructor(readonly reply: ProviderReply | null) {
    super('retry');
  }
}

/** Runs the workers until the queue is closed and drained; rejects with the first item that failed for good. */
export async function processQueue(ctx: JobContext): Promise<void> {
  const workers = Array.from({ length: ctx.cfg.maxConcurrent }, () => worker(ctx));
  const results = await Promise.allSettled(workers);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

async function worker(ctx: JobContext): Promise<void> {
  for (;;) {
    const item = await ctx.queue.take(ctx.token);
    if (item === null) return;
    await processItem(ctx, item);
    ctx.token.throwIfCancelled();
  }
}

async function processItem(ctx: JobContext, item: WorkItem): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.semaphore.withPermit(() => processOnce(ctx, item), ctx.token);
      return;
    } catch (e) {
      if (!(e instanceof Retry)) throw e;
      const rateLimited = e.reply?.type === 'Error' && e.reply.status === 429;
      ctx.env.trace.probe(rateLimited ? 'provider.rate-limited' : 'provider.server-error');
      if (attempt >= ctx.cfg.retriesMax) throw new SyncError(`download of ${item.meta.id} failed ${attempt + 1} times`);
      await sleep(ctx.env, retryDelayMs(ctx.cfg, attempt, e.reply), ctx.token);
    }
  }
}

/** One attempt: skip, move, or download and apply. Throws `Retry` on a transient failure. */
async function processOnce(ctx: JobContext, item: WorkItem): Promise<void> {
  const { store, job } = ctx;
  const { meta } = item;
  const held = store.track(job.provider, meta.id);
  // Variant provider-redownload-held: only a newer revision counts as held (the same one is fetched again).
  const sameIsHeld = ctx.cfg.variant !== 'provider-redownload-held';
  if (held !== undefined && (held.rev > meta.rev || (sameIsHeld && held.rev === meta.rev))) return skipped(ctx, item, 'held');
  // Variant provider-move-downloads: a move is fetched again instead of moving the content the library holds.
  const movesHeld = ctx.cfg.variant !== 'provider-move-downloads';
  if (movesHeld && item.move && held !== undefined && !held.deleted && held.hash === meta.hash) {
    if (await store.moveTrack(job.provider, meta)) return applied(ctx, item, 0, 'move');
    return skipped(ctx, item, 'held');
  }
  let reply: ProviderReply;
  try {
    reply = await ctx.client.call({ type: 'Download', fileId: meta.id, rev: meta.rev });
  } catch (e) {
    if (e instanceof Unavailable) throw new Retry(null);
    throw e;
  }
  // Variant provider-transient-download-final: a transient reply (429, 5xx) to a download fails the item, and with
  // it the job, instead of being retried with backoff.
  if (isTransient(reply) && ctx.cfg.variant === 'provider-transient-download-final') throw new SyncError(`download of ${meta.id}: the provider answered ${reply.type === 'Error' ? reply.status : reply.type}`);
  if (isTransient(reply)) throw new Retry(reply);
  if (reply.type === 'Error' && reply.status === 404) {
    ctx.env.trace.probe('provider.item-superseded');
    return skipped(ctx, item, 'superseded');
  }
  if (reply.type !== 'Content' || reply.rev !== meta.rev || contentHash(reply.data) !== meta.hash) {
    throw new SyncError(`download of ${meta.id}@${meta.rev}: the provider sent ${reply.type === 'Content' ? `rev ${reply.rev} hashing to ${contentHash(reply.data)}, not ${meta.hash}` : reply.type}`);
  }
  let written: boolean;
  try {
    written = await store.applyItem(job.provider, meta, reply.data, titleOf(reply.data, ctx.cfg.variant === 'provider-title-last-line'));
  } catch (e) {
    if (e instanceof EnvError) throw new Retry(null); // a failed commit applied nothing: try the item again
    throw e;
  }
  return written ? applied(ctx, item, meta.size, 'download') : skipped(ctx, item, 'held');
}

/** The "tags": the content's first line, at most 64 characters (variant provider-title-last-line: its last line). */
function titleOf(data: string, lastLine: boolean): string {
  return (lastLine ? data.split('\n').at(-1)! : data.split('\n', 1)[0]!).slice(0, 64);
}

function applied(ctx: JobContext, item: WorkItem, bytes: number, how: 'download' | 'move'): void {
  ctx.env.trace.emit('provider.item.applied', { ...jobFields(ctx), id: item.meta.id, rev: item.meta.rev, how });
  count(ctx, bytes);
}

function skipped(ctx: JobContext, item: WorkItem, why: 'held' | 'superseded'): void {
  ctx.env.trace.emit('provider.item.skipped', { ...jobFields(ctx), id: item.meta.id, rev: item.meta.rev, why });
  count(ctx, 0);
}

function count(ctx: JobContext, bytes: number): void {
  ctx.progress.items++;
  ctx.progress.bytes += bytes;
  ctx.report();
}
