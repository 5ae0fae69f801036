/**
 * What the phases of one sync job share: the node's environment and config, the library's store, the
 * provider's client, the library-wide download semaphore, the job (as last persisted), its work queue,
 * its cancellation token and its progress.
 */
import type { CancellationToken, Semaphore } from '../async/index.ts';
import type { Env } from '../env.ts';
import type { ProviderClient } from './client.ts';
import type { JobRec, LibraryStore } from './library-store.ts';
import type { LibraryConfig } from './options.ts';
import type { WorkQueue } from './queue.ts';

/** Progress of a job in items and bytes; `total` grows as discovery finds work. */
export interface JobProgress {
  items: number;
  total: number;
  bytes: number;
}

/** The shared state of one running job. */
export interface JobContext {
  readonly env: Env;
  readonly cfg: LibraryConfig;
  readonly store: LibraryStore;
  readonly client: ProviderClient;
  readonly semaphore: Semaphore;
  readonly queue: WorkQueue;
  /** Fires when the job is cancelled or fails. */
  readonly token: CancellationToken;
  job: JobRec;
  readonly progress: JobProgress;
  /** Publishes the progress (broadcast and watch). */
  report(): void;
}

/** The trace fields naming a job. */
export function jobFields(ctx: JobContext): { job: number; provider: string } {
  return { job: ctx.job.id, provider: ctx.job.provider };
}
