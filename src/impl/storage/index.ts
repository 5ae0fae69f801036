/**
 * The storage layer of the sync implementation: a crash-consistent block store (file or transactional
 * backend) with startup recovery, fencing by epoch, an AutoSync manager, metrics and events.
 * See docs/storage.md.
 */
export { AutoSync, type SyncPolicy } from './autosync.ts';
export { checksum, crc32, fastHash, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './checksum.ts';
export type { CommitRequest } from './backend.ts';
export { FencedError, RequestAppliedError, StoreError, type AppliedRequest, type StoreErrorCode } from './errors.ts';
export { stateDigest, type Marker } from './format.ts';
export type { StoreEvent, StoreListener, StoreMetrics } from './metrics.ts';
export { resolveStoreOptions, STORE_LIMITS, type StoreConfig, type StoreOptions } from './options.ts';
export type { CorruptionMode } from './recovery.ts';
export { BlockStore, type BlockInfo, type CommitInfo, type CommitOptions, type StoreSummary, type WriteAck, type WriteOptions } from './store.ts';
export { STORAGE_VARIANTS, type StorageVariant } from './variants.ts';
export { STORAGE_PROBES } from './probes.ts';
export { builtInStorage, checkBlockStorage, openBlockStorage, StorageSeamError, BLOCK_STORAGE_METHODS, type BlockStorage, type BlockStorageFactory } from './seam.ts';
