/**
 * Options of a peer sync node: `PeerOptions` (what callers pass, mostly optional) resolved once into
 * `PeerConfig` (everything set and validated; a bad field throws a RangeError naming it).
 */
import type { HybridClockFactory } from './hlc.ts';
import type { ResourceKind } from './messages.ts';
import { PEER_VARIANTS, type PeerVariant } from './variants.ts';

/** What a caller passes. */
export interface PeerOptions {
  /** Library id: every message carries it; messages for another library are rejected. */
  library: string;
  /** Device ids (= addresses) of the other members of the library. */
  peers: string[];
  /** Synced resources and the kind of data each holds, e.g. { location: 'owned', tag: 'shared' }. */
  resources: Record<string, ResourceKind>;
  /** True for a founding device: it starts with an empty, complete library instead of backfilling. */
  founder?: boolean;
  /** Weakened variant ('' = correct). */
  variant?: string;
  /** Records per batch message, request and response (default 500). */
  batchSize?: number;
  /** Heartbeat period, ms (default 500). */
  heartbeatMs?: number;
  /** Delay between reconnection attempts, ms (default 300). */
  reconnectMs?: number;
  /** Timeout of a connection attempt, ms (default 1000). */
  connectTimeoutMs?: number;
  /** Timeout of a request (StateRequest, SharedChangeRequest), ms (default 3000). */
  requestTimeoutMs?: number;
  /** Time a sent shared change may stay unacknowledged by a connected peer before it is resent, ms (default 2000). */
  ackTimeoutMs?: number;
  /** Messages kept per peer for failed sends (default 256); overflow clears it (catch-up covers). */
  retryQueueMax?: number;
  /** Live updates buffered during backfill (default 10,000); overflow discards visibly and forces catch-up. */
  bufferMax?: number;
  /** A remote HLC further ahead than this is rejected, ms (default 60,000). */
  maxDriftMs?: number;
  /** Plugs in another hybrid logical clock (the HybridClock seam of hlc.ts); default the built-in HlcClock. */
  hlc?: HybridClockFactory;
  /** Own shared changes kept unacknowledged at most (default 100,000); a write beyond it is refused. */
  logMax?: number;
  /** Period of metrics snapshots, ms of the device's monotonic clock (default 5,000; 0 disables them). */
  metricsSnapshotMs?: number;
  /** Metrics snapshots kept in the store (default 10); a snapshot write deletes older ones. */
  metricsSnapshotsKept?: number;
}

/** Resolved options. */
export interface PeerConfig {
  library: string;
  peers: readonly string[];
  resources: ReadonlyMap<string, ResourceKind>;
  /** Resource names in a fixed order (catch-up and backfill walk them in this order). */
  resourceOrder: readonly string[];
  founder: boolean;
  variant: PeerVariant;
  batchSize: number;
  heartbeatMs: number;
  reconnectMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  ackTimeoutMs: number;
  retryQueueMax: number;
  bufferMax: number;
  maxDriftMs: number;
  /** The plugged-in clock's factory, or null for the built-in HlcClock. */
  hlc: HybridClockFactory | null;
  logMax: number;
  metricsSnapshotMs: number;
  metricsSnapshotsKept: number;
}

function hlcFactory(f: unknown): HybridClockFactory | null {
  if (f === undefined) return null;
  if (typeof f !== 'function') throw new TypeError(`peer options: hlc must be a function (device, wallMs, maxDriftMs) => HybridClock, got ${typeof f}`);
  return f as HybridClockFactory;
}

function positiveInt(field: string, v: number | undefined, dflt: number, max: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1 || x > max) throw new RangeError(`peer options: ${field} must be an integer in 1..${max}, got ${String(v)}`);
  return x;
}

function nonNegativeInt(field: string, v: number | undefined, dflt: number, max: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 0 || x > max) throw new RangeError(`peer options: ${field} must be an integer in 0..${max}, got ${String(v)}`);
  return x;
}

/** Validates and fills in defaults. */
export function resolvePeerOptions(o: PeerOptions): PeerConfig {
  if (typeof o.library !== 'string' || o.library === '') throw new RangeError('peer options: library must be a non-empty string');
  if (!Array.isArray(o.peers)) throw new RangeError('peer options: peers must be a list of device ids');
  const names = Object.keys(o.resources ?? {}).sort();
  if (names.length === 0) throw new RangeError('peer options: resources must name at least one resource');
  const resources = new Map<string, ResourceKind>();
  for (const n of names) {
    const k = o.resources[n];
    if (k !== 'owned' && k !== 'shared') throw new RangeError(`peer options: resources.${n} must be 'owned' or 'shared'`);
    if (!/^[a-z][a-z0-9_]*$/.test(n)) throw new RangeError(`peer options: resource name '${n}' must be lower-case letters, digits, _`);
    resources.set(n, k);
  }
  // Variants of other areas are ignored (the scenario passes whatever was selected); unknown peer ones throw.
  const variant = o.variant ?? '';
  const known = PEER_VARIANTS.some((v) => v.name === variant);
  if (!known && variant.startsWith('peer-')) throw new RangeError(`peer options: variant '${variant}' is not a peer variant`);
  return {
    library: o.library,
    peers: [...o.peers].sort(),
    resources,
    resourceOrder: names,
    founder: o.founder ?? false,
    variant: (known ? variant : '') as PeerVariant,
    batchSize: positiveInt('batchSize', o.batchSize, 500, 5_000),
    heartbeatMs: positiveInt('heartbeatMs', o.heartbeatMs, 500, 600_000),
    reconnectMs: positiveInt('reconnectMs', o.reconnectMs, 300, 600_000),
    connectTimeoutMs: positiveInt('connectTimeoutMs', o.connectTimeoutMs, 1_000, 600_000),
    requestTimeoutMs: positiveInt('requestTimeoutMs', o.requestTimeoutMs, 3_000, 600_000),
    ackTimeoutMs: positiveInt('ackTimeoutMs', o.ackTimeoutMs, 2_000, 600_000),
    retryQueueMax: positiveInt('retryQueueMax', o.retryQueueMax, 256, 1_000_000),
    bufferMax: positiveInt('bufferMax', o.bufferMax, 10_000, 10_000_000),
    maxDriftMs: positiveInt('maxDriftMs', o.maxDriftMs, 60_000, 86_400_000),
    hlc: hlcFactory(o.hlc),
    logMax: positiveInt('logMax', o.logMax, 100_000, 10_000_000),
    metricsSnapshotMs: nonNegativeInt('metricsSnapshotMs', o.metricsSnapshotMs, 5_000, 86_400_000),
    metricsSnapshotsKept: positiveInt('metricsSnapshotsKept', o.metricsSnapshotsKept, 10, 10_000),
  };
}
