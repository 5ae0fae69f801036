/**
 * Public surface of the device storage: the virtual disk (SimDisk) and the kv store (SimKv), their
 * settings, and the vocabulary of crash exploration (pending ops and their outcomes).
 */
export { SimDisk, type DiskCounters, type DiskMethod, type PowerLossRecord } from './disk.ts';
export { PROFILES, DiskSpecError, type DiskImage, type DiskLatencySpec, type DiskSpec, type PersistenceProfile } from './spec.ts';
export {
  allowedOutcomes,
  outcomeProblem,
  sectorsOf,
  type OutcomeChooser,
  type PendingOp,
  type PendingOutcome,
} from './pending.ts';
export { FILE_BYTES_MAX } from './state.ts';
export { SimKv, type KvSnapshot } from './kv.ts';
export { KvSpecError, type KvSpec } from './kv-spec.ts';
export { compareKeys } from '../../impl/seam/kv-table.ts';
