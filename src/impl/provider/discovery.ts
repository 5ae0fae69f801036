/**
 * Discovery, the first phase of a sync job: reads what changed at the provider and turns it into work.
 *
 * - Incremental: the change feed from the job's cursor (the cursor of the provider's last completed job).
 *   Added, modified and moved entries become High-priority work items; deletions go to the conflict
 *   resolver at once (`resolveDeletion`: a tombstone at the deletion's revision). An expired cursor (410)
 *   escalates the job to Full, durably, with a warning (`provider.job.escalate`).
 * - Full: the paged listing (Normal priority), then reconciliation (tracks the listing's snapshot no
 *   longer holds are deleted), then the change feed from the listing's `asOf` cursor, which brings what
 *   the listing's trailing index missed.
 * - Returns the new cursor: the one the feed returned with its last page (`hasMore` false). Discovery
 *   never persists it: the orchestrator does, once this returns (the stream is consumed).
 */
import { Expired, SyncError, ask } from './requests.ts';
import { jobFields, type JobContext } from './job-context.ts';
import { parseCursor, type Change } from './messages.ts';

/** Runs discovery for the job and returns the cursor to persist once processing is durable. */
export async function discover(ctx: JobContext): Promise<string> {
  if (ctx.job.type === 'incremental') {
    try {
      return await readChanges(ctx, ctx.job.from!);
    } catch (e) {
      if (!(e instanceof Expired)) throw e;
      if (ctx.cfg.variant === 'provider-no-escalation') return readChanges(ctx, await latestCursor(ctx));
      ctx.env.trace.probe('provider.escalated-expired');
      if (ctx.progress.total > 0) ctx.env.trace.probe('provider.escalated-mid-stream');
      ctx.job = await ctx.store.updateJob(ctx.job.id, { type: 'full', from: null });
      ctx.env.trace.emit('provider.job.escalate', { ...jobFields(ctx), reason: 'expired' });
    }
  }
  const asOf = await readListing(ctx);
  return readChanges(ctx, asOf);
}

/** The feed's head cursor (weakened variant provider-no-escalation only). */
async function latestCursor(ctx: JobContext): Promise<string> {
  const reply = await ask(ctx.env, ctx.cfg, ctx.client, { type: 'GetChanges', cursor: null }, ctx.token);
  if (reply.type !== 'Changes') throw new SyncError(`latest cursor: unexpected ${reply.type}`);
  return reply.cursor;
}

/** Reads the feed from `cursor` to its end; returns the last page's cursor. */
async function readChanges(ctx: JobContext, cursor: string): Promise<string> {
  for (;;) {
    const reply = await ask(ctx.env, ctx.cfg, ctx.client, { type: 'GetChanges', cursor }, ctx.token);
    if (reply.type === 'Error' && reply.status === 410) throw new Expired(`cursor ${cursor} expired`);
    if (reply.type !== 'Changes') throw new SyncError(`GetChanges: unexpected ${reply.type}`);
    for (const change of reply.entries) await onChange(ctx, change);
    cursor = reply.cursor;
    if (ctx.cfg.variant === 'provider-cursor-early') {
      ctx.job = await ctx.store.updateJob(ctx.job.id, { cursor });
      ctx.env.trace.emit('provider.job.cursor', { ...jobFields(ctx), cursor });
    }
    if (!reply.hasMore) return cursor;
  }
}

async function onChange(ctx: JobContext, change: Change): Promise<void> {
  if (change.op !== 'deleted') {
    ctx.progress.total++;
    await ctx.queue.push({ meta: change, move: change.op === 'moved' }, 'high', ctx.token);
    return;
  }
  if (ctx.cfg.variant === 'provider-ignore-deletions' && ctx.job.type === 'incremental') return;
  await resolveDeletion(ctx, change.id, change.rev);
}

/** The conflict resolver's deletion: the track becomes a tombstone at `rev` (unless it is already newer). */
export async function resolveDeletion(ctx: JobContext, fileId: string, rev: number): Promise<void> {
  ctx.token.throwIfCancelled();
  if (await ctx.store.deleteTrack(ctx.job.provider, fileId, rev)) ctx.env.trace.emit('provider.item.deleted', { ...jobFields(ctx), id: fileId, rev });
}

/** Reads the whole listing into the queue, reconciles, and returns its `asOf` cursor. */
async function readListing(ctx: JobContext): Promise<string> {
  const listed = new Set<string>();
  let pageToken: string | null = null;
  let asOf = '';
  do {
    const reply = await ask(ctx.env, ctx.cfg, ctx.client, { type: 'ListFiles', pageToken }, ctx.token);
    if (reply.type === 'Error' && reply.status === 410) throw new Expired('listing token expired (feed reset)');
    if (reply.type !== 'Files') throw new SyncError(`ListFiles: unexpected ${reply.type}`);
    asOf = reply.asOf;
    for (const meta of reply.entries) {
      listed.add(meta.id);
      ctx.progress.total++;
      await ctx.queue.push({ meta, move: false }, 'normal', ctx.token);
    }
    pageToken = reply.next;
  } while (pageToken !== null);
  await reconcile(ctx, listed, asOf);
  return asOf;
}

/**
 * Tracks the listing left out: gone as of the listing's snapshot when their revision is not newer than
 * it (deleted at the snapshot), else changed after it (the feed from `asOf` brings them: kept).
 */
async function reconcile(ctx: JobContext, listed: ReadonlySet<string>, asOf: string): Promise<void> {
  const seq = parseCursor(asOf)?.seq;
  if (seq === undefined) throw new SyncError(`ListFiles: bad asOf ${asOf}`);
  for (const t of ctx.store.liveTracks(ctx.job.provider)) {
    if (listed.has(t.fileId)) continue;
    if (t.rev <= seq) await resolveDeletion(ctx, t.fileId, seq);
    else ctx.env.trace.probe('provider.stale-listing-kept');
  }
}
