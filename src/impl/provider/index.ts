/** Provider sync: a simulated cloud provider and a library syncing from several of them (docs/provider-sync.md). */
export { startProvider, type ProviderHandle } from './server.ts';
export { startLibrary, type LibraryHandle } from './library.ts';
export type { LibraryOptions, ProviderServerOptions, ErrorRates } from './options.ts';
export type { FileMeta, Change, ProviderRequest, ProviderReply } from './messages.ts';
export type { TrackRec, JobRec, JobState, SyncType } from './library-store.ts';
export type { JobStatus } from './progress.ts';
