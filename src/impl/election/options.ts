/**
 * Options of a tab running the election and the single writer: all optional (`TabOptions`), resolved and
 * validated once into `TabSettings` (every field set). A bad field throws a RangeError naming it.
 */
import type { StoreOptions } from '../storage/options.ts';
import { checkSharedBackend } from './block-fenced-store.ts';
import { ELECTION_VARIANTS } from './variants.ts';

/** How leadership is decided. */
export type ElectionMode = 'lease' | 'lock';

/** Options of an election tab (all optional). */
export interface TabOptions {
  /** 'lease' (lease record in the shared kv store + bus announcements) or 'lock' (Web-Locks). Default 'lease'. */
  mode?: ElectionMode;
  /** Lease length, ms of monotonic time. Default 1000. */
  leaseMs?: number;
  /** Leader renews (and followers poll) this often, ms. Default leaseMs / 4. */
  renewEveryMs?: number;
  /** Largest clock rate error assumed between any two tabs, ppm. Default 50,000 (5%). */
  clockDriftMaxPpm?: number;
  /** Extra safety margin on both sides of the lease, ms. Default 50. */
  safetyMarginMs?: number;
  /** A forwarded write is re-sent when no reply came within this, ms. Default 400. */
  forwardTimeoutMs?: number;
  /** A write gives up (ETIMEDOUT) after this, ms. Default 10,000. */
  writeDeadlineMs?: number;
  /** Writes waiting for a result per tab; more fail at once with EBUSY. Default 1000. */
  pendingWritesMax?: number;
  /**
   * Options of the shared block store the leader writes (src/impl/storage). The tabs of a device share
   * it, so `backend` must be 'kv' (the default here): the file backend is unsafe with two concurrent
   * writers. Default: kv, root 'store', 1 KiB blocks.
   */
  store?: StoreOptions;
  /** Weakened variant ('' for the correct implementation). */
  variant?: string;
}

/** Options with every field set. */
export type TabSettings = Readonly<Required<TabOptions>>;

function positive(field: string, v: number): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw new RangeError(`election option ${field} must be a positive number, got ${String(v)}`);
  }
}

/** Resolves and validates options; throws a RangeError naming the bad field. */
export function resolveTabOptions(o: TabOptions = {}): TabSettings {
  const leaseMs = o.leaseMs ?? 1000;
  const s: TabSettings = {
    mode: o.mode ?? 'lease',
    leaseMs,
    renewEveryMs: o.renewEveryMs ?? leaseMs / 4,
    clockDriftMaxPpm: o.clockDriftMaxPpm ?? 50_000,
    safetyMarginMs: o.safetyMarginMs ?? 50,
    forwardTimeoutMs: o.forwardTimeoutMs ?? 400,
    writeDeadlineMs: o.writeDeadlineMs ?? 10_000,
    pendingWritesMax: o.pendingWritesMax ?? 1000,
    store: o.store ?? {},
    variant: o.variant ?? '',
  };
  checkSharedBackend(s.store);
  if (s.mode !== 'lease' && s.mode !== 'lock') throw new RangeError(`election option mode must be 'lease' or 'lock', got '${String(s.mode)}'`);
  positive('leaseMs', s.leaseMs);
  positive('renewEveryMs', s.renewEveryMs);
  positive('forwardTimeoutMs', s.forwardTimeoutMs);
  positive('writeDeadlineMs', s.writeDeadlineMs);
  positive('pendingWritesMax', s.pendingWritesMax);
  if (!(s.clockDriftMaxPpm >= 0 && s.clockDriftMaxPpm < 500_000)) {
    throw new RangeError(`election option clockDriftMaxPpm must be in [0, 500000), got ${s.clockDriftMaxPpm}`);
  }
  if (!(s.safetyMarginMs >= 0)) throw new RangeError(`election option safetyMarginMs must be >= 0, got ${s.safetyMarginMs}`);
  if (leaseValidityMs(s) <= s.renewEveryMs) {
    throw new RangeError(
      `election option renewEveryMs (${s.renewEveryMs}) must be below the lease's validity (${leaseValidityMs(s)} ms: leaseMs minus drift and margin)`,
    );
  }
  if (s.variant !== '' && !ELECTION_VARIANTS.some((v) => v.name === s.variant) && !s.variant.startsWith('demo-')) {
    // Variants of other areas are ignored; an unknown election-* name is a typo.
    if (s.variant.startsWith('election-')) throw new RangeError(`election option variant: unknown '${s.variant}'`);
  }
  return s;
}

/** How long a leader trusts its lease after the renewal started, ms of its monotonic clock. */
export function leaseValidityMs(s: TabSettings): number {
  return s.leaseMs * (1 - s.clockDriftMaxPpm / 1e6) - s.safetyMarginMs;
}

/** How long a follower waits after the lease record last changed before taking it, ms of its monotonic clock. */
export function leaseTakeoverMs(s: TabSettings): number {
  return s.leaseMs * (1 + s.clockDriftMaxPpm / 1e6) + s.safetyMarginMs;
}
