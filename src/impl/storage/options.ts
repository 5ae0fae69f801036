/**
 * Options of the block store: `StoreOptions` (all optional, what callers write) resolved once into
 * `StoreConfig` (all set, validated; a bad option throws naming the field).
 */
import type { ChecksumAlgorithm } from './checksum.ts';
import { CHECKSUM_ALGORITHMS } from './checksum.ts';
import type { CorruptionMode } from './recovery.ts';
import { STORAGE_VARIANTS } from './variants.ts';

/** Options of a block store. */
export interface StoreOptions {
  /** Durable medium: files on the disk (default) or the transactional kv store. */
  backend?: 'file' | 'kv';
  /** File backend: directory (default '/store'); kv backend: object-store name prefix (default 'store'). */
  root?: string;
  /** Bytes per block (default 4096; 16..1 MiB). Every write is exactly one block. */
  blockSize?: number;
  /** Block ids are 0..maxBlocks-1 (default 65536). */
  maxBlocks?: number;
  /** Checksum algorithm (default 'crc32'). Fixed for the life of a store. */
  algorithm?: ChecksumAlgorithm;
  /** What recovery does with blocks that fail their checksum (default 'repair'). */
  corruption?: CorruptionMode;
  /** Verify every committed block at startup (default true). */
  verifyOnOpen?: boolean;
  /** Dirty bytes above which writers are told to slow down (default 256 blocks). */
  backpressureBytes?: number;
  /** Dirty bytes above which writes are refused with ELIMIT (default 4x backpressureBytes). */
  maxDirtyBytes?: number;
  /** kv backend: commits that are not forced use relaxed durability (default false). */
  relaxedCommits?: boolean;
  /** A weakened variant (see variants.ts); '' or absent for the real implementation. */
  variant?: string;
}

/** Resolved options. */
export interface StoreConfig {
  backend: 'file' | 'kv';
  root: string;
  blockSize: number;
  maxBlocks: number;
  algorithm: ChecksumAlgorithm;
  corruption: CorruptionMode;
  verifyOnOpen: boolean;
  backpressureBytes: number;
  maxDirtyBytes: number;
  relaxedCommits: boolean;
  variant: string;
}

/** Limits of the options. */
export const STORE_LIMITS = { blockSizeMin: 16, blockSizeMax: 1 << 20, maxBlocksMax: 1 << 24 } as const;

function bad(field: string, message: string): never {
  throw new RangeError(`StoreOptions.${field}: ${message}`);
}

function intIn(field: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) bad(field, `expected an integer in ${lo}..${hi}, got ${String(v)}`);
  return v;
}

/** Validates and fills in defaults. */
export function resolveStoreOptions(o: StoreOptions = {}): StoreConfig {
  const backend = o.backend ?? 'file';
  if (backend !== 'file' && backend !== 'kv') bad('backend', `expected 'file' or 'kv', got '${String(backend)}'`);
  const root = o.root ?? (backend === 'file' ? '/store' : 'store');
  if (backend === 'file' && !/^(\/[A-Za-z0-9_.-]+)+$/.test(root)) bad('root', `'${root}' is not an absolute path like /store`);
  if (backend === 'kv' && !/^[A-Za-z0-9_.-]+$/.test(root)) bad('root', `'${root}' is not a simple name like store`);
  const blockSize = intIn('blockSize', o.blockSize ?? 4096, STORE_LIMITS.blockSizeMin, STORE_LIMITS.blockSizeMax);
  const maxBlocks = intIn('maxBlocks', o.maxBlocks ?? 65536, 1, STORE_LIMITS.maxBlocksMax);
  const algorithm = o.algorithm ?? 'crc32';
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) bad('algorithm', `expected one of ${CHECKSUM_ALGORITHMS.join(', ')}, got '${String(algorithm)}'`);
  const corruption = o.corruption ?? 'repair';
  if (corruption !== 'report' && corruption !== 'repair') bad('corruption', `expected 'report' or 'repair', got '${String(corruption)}'`);
  const backpressureBytes = intIn('backpressureBytes', o.backpressureBytes ?? 256 * blockSize, blockSize, Number.MAX_SAFE_INTEGER);
  const maxDirtyBytes = intIn('maxDirtyBytes', o.maxDirtyBytes ?? 4 * backpressureBytes, backpressureBytes, Number.MAX_SAFE_INTEGER);
  const variant = o.variant ?? '';
  if (variant !== '' && !variant.startsWith('storage-')) {
    // Variants of other areas do not concern the store.
  } else if (variant !== '' && !STORAGE_VARIANTS.some((v) => v.name === variant)) {
    bad('variant', `unknown storage variant '${variant}' (known: ${STORAGE_VARIANTS.map((v) => v.name).join(', ')})`);
  }
  return {
    backend,
    root,
    blockSize,
    maxBlocks,
    algorithm,
    corruption,
    verifyOnOpen: o.verifyOnOpen ?? true,
    backpressureBytes,
    maxDirtyBytes,
    relaxedCommits: o.relaxedCommits ?? false,
    variant,
  };
}
