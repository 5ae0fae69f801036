/**
 * A cancellable sleep on the node's own clock (`Env` timers: simulated time in a run, real time on the
 * Node runtime).
 */
import type { Env } from '../env.ts';
import { Cancelled, type CancellationToken } from './cancellation.ts';

/**
 * Resolves after `ms` of the node's monotonic time, or rejects with `Cancelled` as soon as `token` fires
 * (at once if it already has); the timer is cleared on cancellation and the token's listener removed when
 * the timer fires, so neither outlives the wait.
 */
export function sleep(env: Env, ms: number, token?: CancellationToken): Promise<void> {
  if (token?.cancelled) return Promise.reject(new Cancelled(token.reason));
  if (!token) return env.clock.sleep(ms);
  return new Promise<void>((resolve, reject) => {
    const timer = env.clock.setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
    const unsubscribe = token.onCancel((reason) => {
      env.clock.clearTimer(timer);
      reject(new Cancelled(reason));
    });
  });
}
