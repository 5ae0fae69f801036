/**
 * Settings of a virtual disk: what the user may pass (`DiskSpec`, all optional) and the resolved form the
 * disk runs with (`QualifiedDiskSpec`, all set), validated once at construction.
 */

/**
 * What survives a power loss of work that was never synced:
 * - strict: nothing (every unsynced write and directory operation is lost);
 * - ordered: a prefix, in issue order across the device, of the unsynced operations;
 * - weak: each unsynced operation independently lands, is lost, or (writes) is torn at sector granularity;
 *   an unsynced file rename may be non-atomic (ALICE-style).
 */
export type PersistenceProfile = 'strict' | 'ordered' | 'weak';

/** Every profile, in documentation order. */
export const PROFILES: readonly PersistenceProfile[] = ['strict', 'ordered', 'weak'];

/** Simulated latencies of disk operations, in microseconds of virtual time. */
export interface DiskLatencySpec {
  /** Base latency of read/readFile. Default 20. */
  readUs?: number;
  /** Extra read latency per KiB read. Default 1. */
  readPerKiBUs?: number;
  /** Base latency of write/writeFile/truncate. Default 30. */
  writeUs?: number;
  /** Extra write latency per KiB written. Default 4. */
  writePerKiBUs?: number;
  /** Latency of fsync(file). Default 500. */
  fsyncUs?: number;
  /** Latency of fsyncDir(dir). Default 300. */
  fsyncDirUs?: number;
  /** Latency of mkdir, rename and unlink. Default 30. */
  metaUs?: number;
  /** Latency of list and stat. Default 10. */
  lookupUs?: number;
  /** Relative jitter: each latency is scaled by a seeded factor in [1 - jitter, 1 + jitter]. Default 0.2. */
  jitter?: number;
}

/** A disk's contents: directories and files (path -> bytes). Used as an initial image and for previews. */
export interface DiskImage {
  /** Directory paths ('/' is implied). */
  readonly dirs: readonly string[];
  /** File path -> contents. The arrays are treated as immutable. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** Settings of a virtual disk (all optional). */
export interface DiskSpec {
  /** Persistence profile on power loss. Default 'strict'. */
  profile?: PersistenceProfile;
  /** Sector size in bytes, the unit of torn writes. Default 512. */
  sectorSize?: number;
  /** Total bytes of file contents (plus the device's kv store) the disk holds. Default: unlimited. */
  capacityBytes?: number;
  /** Most unsynced operations kept at once; beyond it operations fail with ENOSPC. Default 100,000. */
  pendingOpsMax?: number;
  /** Simulated latencies. */
  latency?: DiskLatencySpec;
  /** Contents the disk starts with (durable). Default: empty. */
  initialImage?: DiskImage;
}

/** Latencies with every field set. */
export type QualifiedLatency = Required<DiskLatencySpec>;

/** A validated DiskSpec with every field set. */
export interface QualifiedDiskSpec {
  profile: PersistenceProfile;
  sectorSize: number;
  capacityBytes: number;
  pendingOpsMax: number;
  latency: QualifiedLatency;
  initialImage: DiskImage | null;
}

const LATENCY_DEFAULTS: QualifiedLatency = {
  readUs: 20,
  readPerKiBUs: 1,
  writeUs: 30,
  writePerKiBUs: 4,
  fsyncUs: 500,
  fsyncDirUs: 300,
  metaUs: 30,
  lookupUs: 10,
  jitter: 0.2,
};

/** A setting of a disk is malformed; the message names the field. */
export class DiskSpecError extends Error {
  override name = 'DiskSpecError';
}

function nonNegative(device: string, field: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
    throw new DiskSpecError(`disk '${device}': ${field} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function positiveInt(device: string, field: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new DiskSpecError(`disk '${device}': ${field} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function resolveLatency(device: string, spec: DiskLatencySpec = {}): QualifiedLatency {
  const out = { ...LATENCY_DEFAULTS };
  for (const key of Object.keys(spec) as (keyof DiskLatencySpec)[]) {
    if (!(key in LATENCY_DEFAULTS)) throw new DiskSpecError(`disk '${device}': unknown field latency.${key}`);
    const v = spec[key];
    if (v !== undefined) out[key] = nonNegative(device, `latency.${key}`, v);
  }
  if (out.jitter >= 1) throw new DiskSpecError(`disk '${device}': latency.jitter must be < 1, got ${out.jitter}`);
  return out;
}

/** Validates `spec` and fills in defaults; throws DiskSpecError naming the bad field. */
export function qualifyDiskSpec(device: string, spec: DiskSpec): QualifiedDiskSpec {
  const profile = spec.profile ?? 'strict';
  if (!PROFILES.includes(profile)) {
    throw new DiskSpecError(`disk '${device}': profile must be one of ${PROFILES.join(', ')}, got '${String(profile)}'`);
  }
  const capacity = spec.capacityBytes ?? Infinity;
  if (capacity !== Infinity) nonNegative(device, 'capacityBytes', capacity);
  else if (typeof capacity !== 'number') throw new DiskSpecError(`disk '${device}': capacityBytes must be a number`);
  return {
    profile,
    sectorSize: positiveInt(device, 'sectorSize', spec.sectorSize ?? 512),
    capacityBytes: capacity,
    pendingOpsMax: positiveInt(device, 'pendingOpsMax', spec.pendingOpsMax ?? 100_000),
    latency: resolveLatency(device, spec.latency),
    initialImage: spec.initialImage ?? null,
  };
}
