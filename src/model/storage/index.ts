/**
 * The storage area's models and checkers, one per file (docs/models.md, Layout): the recovery model, the
 * storage oracle (one checker over the invariants of docs/storage.md), and one file per other invariant,
 * named after it.
 */
export { recoveryModel, RECOVERY_KINDS } from './recovery-model.ts';
export { recoveryMachine } from './recovery-machine.ts';
export { StorageOracle, ORACLE_INVARIANTS, type ExpectedBlock, type OracleOptions } from './storage-oracle.ts';
export { lastCopyCheck, LAST_COPY } from './last-copy-kept.ts';
export { noFalseCorruption } from './no-false-corruption.ts';
export { concurrentRecoveryKeepsCommits, type CommitLedger } from './concurrent-recovery-keeps-commits.ts';
export { staleEpochNeverAccepted, type FencingResult } from './stale-epoch-never-accepted.ts';
export { epochSurvivesRecovery } from './epoch-survives-recovery.ts';
export { judgeAutosync, judgeOwnRead, judgeWriteAnswer, AUTOSYNC_KEEPS_UP, DIRTY_LIMITS_HONEST, READ_YOUR_WRITES, type DirtyLimits, type Outstanding } from './write-pressure.ts';
export { requestAppliedOnce, REQUEST_APPLIED_ONCE, type RequestAttempt, type RequestLedger } from './request-applied-once.ts';
