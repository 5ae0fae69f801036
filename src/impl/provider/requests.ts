/**
 * Provider requests with the retry policy of a sync job: 429 waits for its retry-after; 5xx and an
 * unreachable provider back off exponentially (`backoffMs`, doubling) up to `retriesMax` retries, then the
 * job fails; waits end early with `Cancelled` when the job's token fires. Other replies (410, 404, data)
 * go back to the caller.
 */
import { sleep, type CancellationToken } from '../async/index.ts';
import type { Env } from '../env.ts';
import { Unavailable, type ProviderClient } from './client.ts';
import type { ProviderReply, RequestBody } from './messages.ts';
import type { LibraryConfig } from './options.ts';

/** The job failed: a request kept failing, or a reply made no sense. */
export class SyncError extends Error {
  override name = 'SyncError';
}

/** The cursor or page token expired (410): only a full listing recovers. */
export class Expired extends Error {
  override name = 'Expired';
}

/** 429s in a row a request waits through before the job fails. */
const RATE_LIMITED_MAX = 100;

/** True for a reply that asks to try again. */
export function isTransient(r: ProviderReply): boolean {
  return r.type === 'Error' && (r.status === 429 || r.status >= 500);
}

/** How long to wait before attempt `attempt + 1` after a transient failure (`reply` null: unreachable). */
export function retryDelayMs(cfg: LibraryConfig, attempt: number, reply: ProviderReply | null): number {
  if (reply?.type === 'Error' && reply.status === 429) return reply.retryAfterMs ?? cfg.backoffMs;
  return cfg.backoffMs * 2 ** Math.min(attempt, 10);
}

/** Sends `body` until it gets an answer that is not transient (see the file comment). */
export async function ask(env: Env, cfg: LibraryConfig, client: ProviderClient, body: RequestBody, token: CancellationToken): Promise<ProviderReply> {
  let failures = 0;
  let limited = 0;
  for (;;) {
    token.throwIfCancelled();
    let reply: ProviderReply | null = null;
    try {
      reply = await client.call(body);
      if (!isTransient(reply)) return reply;
    } catch (e) {
      if (!(e instanceof Unavailable)) throw e;
    }
    const rateLimited = reply?.type === 'Error' && reply.status === 429;
    env.trace.probe(rateLimited ? 'provider.rate-limited' : 'provider.server-error');
    if (rateLimited ? ++limited > RATE_LIMITED_MAX : ++failures > cfg.retriesMax) {
      throw new SyncError(`${body.type} to ${client.address} failed ${rateLimited ? limited : failures} times`);
    }
    await sleep(env, retryDelayMs(cfg, failures - 1, reply), token);
  }
}
