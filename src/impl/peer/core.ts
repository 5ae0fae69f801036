/**
 * The state one peer sync node shares between its parts (links, transactions, receive path, catch-up,
 * backfill). Plain data plus small helpers; the parts own the behaviour.
 */
import type { Env, Value } from '../env.ts';
import { formatHlc, HlcClock, parseHlc, type HybridClock, type HybridClockFactory } from './hlc.ts';
import { notAFactory, SeamError, withMethods } from '../seam/seam-error.ts';
import type { ResourceKind } from './messages.ts';
import { SyncMetrics } from './metrics.ts';
import type { PeerConfig } from './options.ts';
import { RecordTable, type Cursor, type SyncRecord } from './records.ts';
import type { LoadedState, PeerStore } from './store.ts';

/** Backfill / sync states (the backfill model's states). */
export type SyncState = 'uninitialized' | 'backfilling' | 'paused' | 'catching-up' | 'ready';

/** The shared state of one node. */
export interface Core {
  readonly env: Env;
  readonly cfg: PeerConfig;
  readonly store: PeerStore;
  readonly clock: HybridClock;
  /** Resource -> table. */
  readonly tables: Map<string, RecordTable>;
  /** Own shared changes not yet acknowledged by every peer: resource -> changes in HLC order. */
  readonly log: Map<string, SyncRecord[]>;
  /** Meta values mirrored from the store (watermarks, chain heads, contig, acks...). */
  readonly meta: Map<string, Value>;
  /** Counters (metrics.ts), bumped by the parts where they do the work. */
  readonly metrics: SyncMetrics;
  state: SyncState;
}

/** Meta keys (see store.ts). */
export const metaKey = {
  watermark: (peer: string, resource: string): string => `wm/${peer}/${resource}`,
  head: (resource: string): string => `head/${resource}`,
  stream: (resource: string): string => `stream/${resource}`,
  contig: (writer: string, resource: string): string => `contig/${writer}/${resource}`,
  ack: (peer: string, resource: string): string => `ack/${peer}/${resource}`,
  checkpoint: 'checkpoint',
  init: 'init',
} as const;

/** Builds the core from what was loaded (recovery): tables, log, meta and the HLC floor. */
export function buildCore(env: Env, cfg: PeerConfig, store: PeerStore, loaded: LoadedState): Core {
  const wall = (): number => env.clock.now();
  const clock = cfg.hlc === null ? new HlcClock(env.deviceId, wall, cfg.maxDriftMs, cfg.variant === 'peer-drift-own-hlc') : pluggedClock(cfg.hlc, env.deviceId, wall, cfg.maxDriftMs);
  const tables = new Map<string, RecordTable>();
  const log = new Map<string, SyncRecord[]>();
  let floor: string | null = null;
  // The weakened variant 'peer-partial-reload' reloads only the device's own writes and forgets its
  // watermarks, leaving the others' records to catch-up (they stay in the store and raise the HLC floor).
  const partial = cfg.variant === 'peer-partial-reload';
  for (const r of cfg.resourceOrder) {
    const t = new RecordTable(r, cfg.variant === 'peer-tie-device-inverted');
    for (const rec of loaded.records.get(r) ?? []) {
      if (!partial || rec.writer === env.deviceId) t.merge(rec);
      else if (floor === null || rec.ts > floor) floor = rec.ts;
    }
    tables.set(r, t);
    const entries = (loaded.log.get(r) ?? []).slice().sort((a, b) => (a.ts < b.ts ? -1 : 1));
    log.set(r, entries);
    const m = t.maxTs();
    if (m !== null && (floor === null || m > floor)) floor = m;
    const last = entries[entries.length - 1];
    if (last !== undefined && (floor === null || last.ts > floor)) floor = last.ts;
  }
  for (const [k, v] of loaded.meta) {
    if (k.startsWith('head/') && typeof v === 'string' && (floor === null || v > floor)) floor = v;
  }
  // Weakened variant 'peer-restart-no-hlc-floor': the clock restarts from the wall clock alone.
  if (floor !== null && cfg.variant !== 'peer-restart-no-hlc-floor') clock.restoreFloor(parseHlc(floor));
  return { env, cfg, store, clock, tables, log, meta: new Map(partial ? [...loaded.meta].filter(([k]) => !k.startsWith('wm/')) : loaded.meta), metrics: new SyncMetrics(), state: 'uninitialized' };
}

/** The table of `resource` (it exists: resources are validated at the edge). */
export function table(core: Core, resource: string): RecordTable {
  const t = core.tables.get(resource);
  if (t === undefined) throw new Error(`peer: unknown resource '${resource}'`);
  return t;
}

/** The kind of `resource`. */
export function kindOf(core: Core, resource: string): ResourceKind {
  const k = core.cfg.resources.get(resource);
  if (k === undefined) throw new Error(`peer: unknown resource '${resource}'`);
  return k;
}

/** A cursor stored in meta, or null. */
export function metaCursor(core: Core, key: string): Cursor | null {
  const v = core.meta.get(key) as { ts?: unknown; uuid?: unknown } | undefined;
  if (v === undefined || typeof v.ts !== 'string' || typeof v.uuid !== 'string') return null;
  return { ts: v.ts, uuid: v.uuid };
}

/** A string (HLC) stored in meta, or null. */
export function metaString(core: Core, key: string): string | null {
  const v = core.meta.get(key);
  return typeof v === 'string' ? v : null;
}

/** The watermark key for (peer, resource); the global-watermark variant uses one per peer. */
export function watermarkKey(core: Core, peer: string, resource: string): string {
  return core.cfg.variant === 'peer-global-watermark' ? metaKey.watermark(peer, '*') : metaKey.watermark(peer, resource);
}

/** The current HLC as a string (for traces). */
export function hlcNow(core: Core): string {
  return formatHlc(core.clock.peek());
}

/** The larger of two nullable HLC strings. */
export function maxHlc(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** Attempts of a storage operation before giving up (then the error propagates: a visible failure). */
export const STORE_ATTEMPTS_MAX = 50;

/**
 * Runs `fn` until it succeeds (a storage error such as EIO or ENOSPC is retried after `delayMs`, traced as
 * `peer.store.error`), at most STORE_ATTEMPTS_MAX times.
 */
export async function retrying<T>(env: Env, what: string, delayMs: number, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      env.trace.emit('peer.store.error', { what, attempt, error: String((e as Error).message ?? e).slice(0, 120) });
      if (attempt >= STORE_ATTEMPTS_MAX) throw e;
      await env.clock.sleep(delayMs);
    }
  }
}

/** Reports a failed background task (never an unhandled rejection): traced as `peer.store.error`. */
export function reportFailure(env: Env, what: string): (e: unknown) => void {
  return (e) => env.trace.emit('peer.store.error', { what, attempt: 1, error: String((e as Error)?.message ?? e).slice(0, 120) });
}

/** The methods a plugged-in `HybridClock` must have. */
const CLOCK_METHODS = ['peek', 'tick', 'observe', 'restoreFloor'] as const satisfies readonly (keyof HybridClock)[];

/** A plugged-in HLC (PeerOptions.hlc), checked: a class or a result without the methods is a SeamError naming the seam. */
function pluggedClock(factory: HybridClockFactory, device: string, wall: () => number, maxDriftMs: number): HybridClock {
  const why = notAFactory(factory, 'a HybridClockFactory (device, wallMs, maxDriftMs) => HybridClock', (name) => `(device, wallMs, maxDriftMs) => new ${name}(device, wallMs, maxDriftMs)`);
  if (why !== null) throw new SeamError('hlc', why);
  return withMethods<HybridClock>('hlc', 'a HybridClock', factory(device, wall, maxDriftMs), CLOCK_METHODS);
}
