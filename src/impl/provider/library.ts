/**
 * A library node: its durable store, the sync coordinator and the progress view, started together. The
 * handle is what the workload (the user) and liveness see.
 */
import type { Env } from '../env.ts';
import { Coordinator } from './coordinator.ts';
import { LibraryStore, type JobRec, type SyncType, type TrackRec } from './library-store.ts';
import { resolveLibraryOptions, type LibraryOptions } from './options.ts';
import type { JobStatus } from './progress.ts';
import { ProgressView } from './progress-view.ts';

/** What the workload and the checks can do with a library. */
export interface LibraryHandle {
  /** Asks for a sync (incremental by default); resolves with the id of the job that will run it. */
  requestSync(provider: string, type?: SyncType): Promise<number>;
  /** Cancels the provider's running job; false when none runs. */
  cancel(provider: string): boolean;
  /** Live tracks of a provider. */
  tracks(provider: string): TrackRec[];
  /** Every job as persisted. */
  jobs(): JobRec[];
  /** What the progress view shows, by job. */
  view(): JobStatus[];
  /** True while the progress view is rendering an event (it has not caught up yet). */
  viewBusy(): boolean;
}

/**
 * Starts a library node; resolves with its handle once its state is loaded and the coordinator runs.
 * `store` is the built-in durable store unless given (a test composes the coordinator with another).
 */
export async function startLibrary(env: Env, options: LibraryOptions, store: LibraryStore = new LibraryStore(env)): Promise<LibraryHandle> {
  const cfg = resolveLibraryOptions(options);
  store.variant = cfg.variant;
  await store.load();
  const coordinator = new Coordinator(env, cfg, store);
  const view = new ProgressView(env, coordinator.subscribe(), coordinator.events.snapshot(), cfg.viewRenderMs);
  void view.run();
  await coordinator.start();
  return {
    requestSync: (provider, type) => coordinator.requestSync(provider, type),
    cancel: (provider) => coordinator.cancel(provider),
    tracks: (provider) => store.liveTracks(provider),
    jobs: () => [...store.jobs.values()].sort((a, b) => a.id - b.id),
    view: () => view.statuses(),
    viewBusy: () => view.rendering,
  };
}
