/** Public surface of the election area: multi-tab leader election, fencing and the single writer. */
export type { Election, ElectionDeps, ElectionEvent, ElectionFactory, ElectionReporter, Role, StepDownReason } from './types.ts';
export { resolveTabOptions, leaseTakeoverMs, leaseValidityMs, type ElectionMode, type TabOptions, type TabSettings } from './options.ts';
export { FencedError, FENCED_TRACE, type ApplyResult, type FencedStore, type StoreWrite } from './fenced-store.ts';
export { BlockFencedStore, type BlockFencedStoreOptions } from './block-fenced-store.ts';
export { LeaseElection, ELECTION_CHANNEL } from './lease-election.ts';
export { LockElection, ELECTION_LOCK } from './lock-election.ts';
export { makeReporter } from './report.ts';
export { SingleWriter, WriteError, REQUEST_CHANNEL, REPLY_CHANNEL, type WriteResult, type WriteErrorCode } from './writer.ts';
export { startElectionTab, defaultElectionFactory, type ElectionTabHandle } from './tab.ts';
export { ELECTION_VARIANTS, type ElectionVariant } from './variants.ts';
export { ELECTION_PROBES } from './probes.ts';
