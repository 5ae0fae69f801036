/** Public surface of the election model: the per-tab machine, its monitor spec and the global view. */
export { tabElectionMachine, type TabModelEvent } from './machine.ts';
export { electionModel, ELECTION_MODEL_KINDS } from './spec.ts';
export { ElectionLedger, LEDGER_KINDS, type LedgerOptions, type Violation } from './ledger.ts';
