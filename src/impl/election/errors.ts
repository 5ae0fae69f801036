/**
 * Which errors the election tolerates: failures of the environment (EnvError: an injected kv error, an
 * aborted transaction) and fencing (FencedError). Anything else is a bug and must surface (the simulator
 * turns it into a crash verdict), never be swallowed by a retry loop.
 */
import { EnvError } from '../env.ts';
import { FencedError } from './fenced-store.ts';

/** Rethrows `e` unless it is an environment failure or a fencing rejection. */
export function tolerate(e: unknown): EnvError | FencedError {
  if (e instanceof EnvError || e instanceof FencedError) return e;
  throw e;
}
