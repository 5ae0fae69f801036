/**
 * Public surface of the election models and checkers (one per file, named after the check: docs/models.md,
 * Layout): the per-tab and per-request machines and their monitor specs, the global-view ledger and its
 * check, and the trace watches.
 */
export { tabElectionMachine, TAB_REASONS, TAB_HOT_STATES, monotonicAt, type TabContext, type TabModelEvent, type ClockSample } from './election-machine.ts';
export { electionModel, ELECTION_MODEL_KINDS, type ElectionModelOptions } from './election-model.ts';
export { requestMachine, REQUEST_REASONS, REQUEST_HOT_STATES, type RequestContext, type RequestModelEvent } from './request-machine.ts';
export { requestModel, REQUEST_MODEL_KINDS, issuerOf } from './request-model.ts';
export { ElectionLedger, LEDGER_KINDS, LEDGER_INVARIANTS, electionInvariants, lastPauses, type LedgerOptions, type Violation } from './election-invariants.ts';
export { LeaseBeliefs } from './lease-beliefs.ts';
export { stableLeadership, StabilityWatch } from './stable-leadership.ts';
export { promptWrites, PromptWrites } from './prompt-writes.ts';
export { strandedWrites, StrandedWrites, NO_STRANDED_WRITES } from './stranded-writes.ts';
export { pendingBound, PendingBoundWatch, PENDING_BOUND } from './pending-bound.ts';
export { failsForCause, FailsForCause, FAILS_FOR_CAUSE } from './fails-for-cause.ts';
export { FrozenLeaderWatch, FROZEN_LEADER_REPLACED, FROZEN_KINDS, frozenBoundMs } from './frozen-leader-replaced.ts';
export { writerChannels } from './writer-channels.ts';
export { stealAfterSilence, STEAL_AFTER_SILENCE, type SilenceTerms } from './steal-after-silence.ts';
export { watchCheck, type TraceWatch, type WatchViolation } from './trace-watch.ts';
export { apiAgrees, apiJudge, TAB_ROLES, type PendingWrite, type TabApi } from './api-agrees.ts';
export { readsSeeStore, READS_SEE_STORE } from './reads-see-store.ts';
export { recordsFollowRequests, RECORDS_FOLLOW_REQUESTS, REQUESTS_IN_STORE, decodeKeyRecord } from './records-follow-requests.ts';
