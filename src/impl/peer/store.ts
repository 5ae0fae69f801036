/**
 * Durable state of a peer, kept in the device's transactional key-value store (env.kv).
 *
 * Stores:
 * - `rec`:  `${resource}/${uuid}` -> record `{u, w, t, d}` (device-owned and shared records alike)
 * - `log`:  `${resource}/${hlc}`  -> own shared change not yet acknowledged by every peer
 * - `meta`: watermarks (`wm/${peer}/${resource}`), backfill checkpoint (`checkpoint`), chain heads
 *           (`head/${resource}`), contiguous receive points (`contig/${writer}/${resource}`), acks received
 *           (`ack/${peer}/${resource}`) and `init` (the device holds a complete library).
 * - `sync_metrics_snapshots`: `timestamp` (number, ascending) -> `{timestamp, library, snapshot}`, the sync
 *           metrics snapshots (metrics.ts). Written and read only by `saveMetrics` / `loadMetrics`, in
 *           transactions of their own over this store alone: never with the data, never in the commit
 *           chain, so a snapshot neither waits for nor delays a data commit, and its failure fails nothing.
 *
 * Every change goes through `commit`, one all-or-nothing transaction with 'strict' durability (anything
 * acknowledged survives a crash). Commits are serialised: the caller's `prepare` runs when the previous
 * commit has finished, so it can compute merges against the in-memory state, which always equals the
 * durable state between commits.
 */
import type { KvStore, KvTx, Value } from '../env.ts';
import { parseSnapshot, type StoredSnapshot } from './metrics.ts';
import type { SyncRecord } from './records.ts';

const STORES = ['rec', 'log', 'meta'] as const;

/** The object store of metrics snapshots (seed 004's table `sync_metrics_snapshots`). */
export const METRICS_STORE = 'sync_metrics_snapshots';

/** Writes of one transaction. */
export interface WriteSet {
  records: { resource: string; record: SyncRecord }[];
  logPut: { resource: string; record: SyncRecord }[];
  logDelete: { resource: string; ts: string }[];
  meta: { key: string; value: Value | null }[];
}

/** An empty write set. */
export function emptyWrites(): WriteSet {
  return { records: [], logPut: [], logDelete: [], meta: [] };
}

/** Everything read back at start. */
export interface LoadedState {
  records: Map<string, SyncRecord[]>;
  log: Map<string, SyncRecord[]>;
  meta: Map<string, Value>;
}

function toRecord(v: Value | undefined, key: string): SyncRecord {
  const o = v as { u?: unknown; w?: unknown; t?: unknown; d?: unknown } | undefined;
  if (o === undefined || typeof o.u !== 'string' || typeof o.w !== 'string' || typeof o.t !== 'string' || (o.d !== null && typeof o.d !== 'string')) {
    throw new Error(`peer store: corrupt record under '${key}'`);
  }
  return { uuid: o.u, writer: o.w, ts: o.t, data: o.d };
}

function resourceOf(key: string): string {
  const i = key.indexOf('/');
  if (i <= 0) throw new Error(`peer store: bad key '${key}'`);
  return key.slice(0, i);
}

/** The durable store of one peer. */
export class PeerStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly kv: KvStore) {}

  /** Reads everything back (recovery). */
  async load(): Promise<LoadedState> {
    return this.kv.transaction(STORES, 'readonly', async (tx) => {
      const records = await readRecords(tx, 'rec');
      const log = await readRecords(tx, 'log');
      const meta = new Map<string, Value>();
      const keys = await tx.keys('meta');
      const values = await Promise.all(keys.map((k) => tx.get('meta', k)));
      keys.forEach((k, i) => {
        const v = values[i];
        if (v !== undefined) meta.set(String(k), v);
      });
      return { records, log, meta };
    });
  }

  /**
   * Runs `prepare` after every earlier commit finished, writes what it returns in one strict transaction,
   * then runs `applied` (update in-memory state there). Resolves with `applied`'s result.
   */
  commit<T>(prepare: () => WriteSet | null, applied: (w: WriteSet) => T): Promise<T | null> {
    const run = async (): Promise<T | null> => {
      const w = prepare();
      if (w === null) return null;
      await this.kv.transaction(STORES, 'readwrite', (tx) => write(tx, w), { durability: 'strict' });
      return applied(w);
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** The latest metrics snapshot (the last key), or null when there is none or it is malformed. */
  async loadMetrics(): Promise<StoredSnapshot | null> {
    return this.kv.transaction([METRICS_STORE], 'readonly', async (tx) => {
      const keys = await tx.keys(METRICS_STORE);
      const last = keys[keys.length - 1];
      return last === undefined ? null : parseSnapshot(await tx.get(METRICS_STORE, last));
    });
  }

  /**
   * Writes a metrics snapshot and deletes the oldest so that at most `keep` remain, in one strict
   * transaction over the metrics store only. Its key is `timestamp`, raised above every stored key if
   * needed (the last key is always the latest snapshot); `build` makes the value for the key chosen.
   * Resolves with the key and the number deleted.
   */
  async saveMetrics(timestamp: number, build: (timestamp: number) => Value, keep: number): Promise<{ timestamp: number; deleted: number }> {
    return this.kv.transaction(
      [METRICS_STORE],
      'readwrite',
      async (tx) => {
        const keys = await tx.keys(METRICS_STORE);
        const last = keys[keys.length - 1];
        const ts = typeof last === 'number' && last >= timestamp ? last + 1 : timestamp;
        const old = keys.slice(0, Math.max(0, keys.length + 1 - keep));
        await Promise.all([tx.put(METRICS_STORE, ts, build(ts)), ...old.map((k) => tx.delete(METRICS_STORE, k))]);
        return { timestamp: ts, deleted: old.length };
      },
      { durability: 'strict' },
    );
  }
}

async function readRecords(tx: KvTx, store: string): Promise<Map<string, SyncRecord[]>> {
  const out = new Map<string, SyncRecord[]>();
  const keys = await tx.keys(store);
  // Reads are issued together: one latency for the lot instead of one per record.
  const values = await Promise.all(keys.map((k) => tx.get(store, k)));
  for (let i = 0; i < keys.length; i++) {
    const key = String(keys[i]);
    const resource = resourceOf(key);
    const r = toRecord(values[i], key);
    let list = out.get(resource);
    if (list === undefined) out.set(resource, (list = []));
    list.push(r);
  }
  return out;
}

async function write(tx: KvTx, w: WriteSet): Promise<void> {
  const ops: Promise<void>[] = [];
  for (const { resource, record } of w.records) {
    ops.push(tx.put('rec', `${resource}/${record.uuid}`, { u: record.uuid, w: record.writer, t: record.ts, d: record.data }));
  }
  for (const { resource, record } of w.logPut) {
    ops.push(tx.put('log', `${resource}/${record.ts}`, { u: record.uuid, w: record.writer, t: record.ts, d: record.data }));
  }
  for (const { resource, ts } of w.logDelete) ops.push(tx.delete('log', `${resource}/${ts}`));
  for (const { key, value } of w.meta) ops.push(value === null ? tx.delete('meta', key) : tx.put('meta', key, value));
  await Promise.all(ops);
}
