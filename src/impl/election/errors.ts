/**
 * Which errors the election tolerates: failures of the environment (EnvError: an injected kv error, an
 * aborted transaction) and refusals of the block store (StoreError: fencing, a stale view, a failed
 * recovery). Anything else — and a StoreError for a bad argument or limit (EINVAL, ELIMIT), which no
 * retry can fix — is a bug and must surface (the simulator turns it into a crash verdict), never be
 * swallowed by a retry loop.
 */
import { EnvError } from '../env.ts';
import { StoreError } from '../storage/errors.ts';

/** Rethrows `e` unless it is an environment failure or a store refusal a retry may get past. */
export function tolerate(e: unknown): EnvError | StoreError {
  if (e instanceof EnvError) return e;
  if (e instanceof StoreError && e.code !== 'EINVAL' && e.code !== 'ELIMIT') return e;
  throw e;
}
