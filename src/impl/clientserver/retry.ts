/** Retrying a storage step (an injected kv error is transient), for the start of the server and the client. */
import type { Env } from '../env.ts';

/** Attempts of a storage step before the start fails (200 ms apart: 20 s of errors). */
export const RETRY_ATTEMPTS_MAX = 100;

/** Runs a storage step until it succeeds, 200 ms apart; throws the last error after RETRY_ATTEMPTS_MAX attempts. */
export async function retrying<T>(env: Env, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= RETRY_ATTEMPTS_MAX) throw e;
      env.trace.emit('cs.store-retry', { error: String((e as Error)?.message ?? e).slice(0, 120) });
      await env.clock.sleep(200);
    }
  }
}
