/** Public surface of the election models: the per-tab and per-request machines, their monitor specs and the global view. */
export { tabElectionMachine, TAB_REASONS, TAB_HOT_STATES, monotonicAt, type TabContext, type TabModelEvent, type ClockSample } from './election-machine.ts';
export { electionModel, ELECTION_MODEL_KINDS, type ElectionModelOptions } from './election-model.ts';
export { requestMachine, REQUEST_REASONS, REQUEST_HOT_STATES, type RequestContext, type RequestModelEvent } from './request-machine.ts';
export { requestModel, REQUEST_MODEL_KINDS, issuerOf } from './request-model.ts';
export { ElectionLedger, LEDGER_KINDS, LEDGER_INVARIANTS, type LedgerOptions, type Violation } from './ledger.ts';
export { LeaseBeliefs } from './lease-beliefs.ts';
