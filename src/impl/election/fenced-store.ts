/**
 * The protected store with fencing: every mutating call carries an epoch (fencing token); the store
 * durably records the highest epoch it has seen and rejects lower ones with FencedError (code 'EFENCED').
 * A rejected write is an error to its caller, never silently dropped.
 *
 * `FencedStore` is the interface the single writer needs; `KvFencedStore` implements it over the device's
 * kv store (object store 'data'). Writes are appended to a log and deduplicated by request id in the same
 * transaction, which is what makes forwarded writes exactly-once across leader changes.
 *
 * Layout of kv store 'data': 'fence' -> number (highest epoch), 'seq' -> number (last log position),
 * 'log/<seq>' -> {key, value, epoch, writer, reqId}, 'v/<key>' -> value,
 * 'req/<reqId>' -> {seq, key, value, epoch, writer}.
 *
 * Trace (emitted once the transaction committed; `pos` is the write's unique position in the store's
 * commit order, so records may arrive late or — when the tab crashes right after a commit — not at all):
 * 'fenced.fence' {pos, epoch, writer}, 'fenced.write' {pos, epoch, key, value, writer, reqId},
 * 'fenced.reject' {epoch, fence, value}, 'fenced.dedup' {reqId, pos}. A request id found applied (dedup
 * or lookup) re-reports its 'fenced.write' record, identical to the original, in case the original
 * never reached the trace.
 */
import { EnvError, type KvStore, type Tracer, type Value } from '../env.ts';

/** The store refused an epoch lower than the highest it has seen. */
export class FencedError extends Error {
  override name = 'FencedError';
  /** Error code, like EnvError's. */
  readonly code = 'EFENCED';
  constructor(
    readonly epoch: number,
    readonly fence: number,
  ) {
    super(`EFENCED: epoch ${epoch} is below the store's fence ${fence}`);
  }
}

/** One write. `reqId` null means no deduplication. */
export interface StoreWrite {
  key: string;
  value: string;
  epoch: number;
  reqId: string | null;
}

/** Where a write landed. `dedup` is true when the request id had already been applied (nothing written). */
export interface ApplyResult {
  seq: number;
  dedup: boolean;
}

/** A store that only accepts writes from the current epoch or later. */
export interface FencedStore {
  /** Raises the fence to `epoch`; throws FencedError if the store has seen a higher one. */
  fence(epoch: number): Promise<void>;
  /** Applies a write (once per reqId); throws FencedError for a stale epoch. */
  apply(write: StoreWrite): Promise<ApplyResult>;
  /** The result of an applied request id, or null if it was never applied. */
  lookup(reqId: string): Promise<ApplyResult | null>;
  /** The current value of `key`. */
  read(key: string): Promise<string | undefined>;
}

const STORE = 'data';

/** Options of KvFencedStore. */
export interface KvFencedStoreOptions {
  /** Writer identity in traces (the node id). */
  writer: string;
  /** Weakened variant: 'election-no-fencing' accepts any epoch. */
  noFencing?: boolean;
}

/** What the store keeps per applied request id (enough to re-report the write it committed). */
interface Applied {
  seq: number;
  key: string;
  value: string;
  epoch: number;
  writer: string;
}

type Decision = { kind: 'ok'; seq: number; dedup: Applied | null } | { kind: 'fenced'; fence: number };

/** The trace records every FencedStore emits (the election's global view reads them). */
export const FENCED_TRACE = {
  /** A fence committed at `pos`. */
  fence: 'fenced.fence',
  /** A write committed at `pos`. */
  write: 'fenced.write',
  /** A call refused as stale. */
  reject: 'fenced.reject',
  /** A request id found applied. */
  dedup: 'fenced.dedup',
} as const;

/** FencedStore over a kv store (strict durability: an acknowledged write survives power loss). */
export class KvFencedStore implements FencedStore {
  constructor(
    private readonly kv: KvStore,
    private readonly trace: Tracer,
    private readonly options: KvFencedStoreOptions,
  ) {}

  /** Raises the fence to `epoch` (recorded as a log position of its own). */
  async fence(epoch: number): Promise<void> {
    const d = await this.kv.transaction([STORE], 'readwrite', async (tx): Promise<Decision> => {
      const fence = num(await tx.get(STORE, 'fence'));
      if (epoch < fence && !this.options.noFencing) return { kind: 'fenced', fence };
      const seq = num(await tx.get(STORE, 'seq')) + 1;
      await tx.put(STORE, 'seq', seq);
      if (epoch > fence) await tx.put(STORE, 'fence', epoch);
      return { kind: 'ok', seq, dedup: null };
    });
    if (d.kind === 'fenced') {
      this.trace.emit(FENCED_TRACE.reject, { epoch, fence: d.fence, value: null });
      throw new FencedError(epoch, d.fence);
    }
    this.trace.emit(FENCED_TRACE.fence, { pos: d.seq, epoch, writer: this.options.writer });
  }

  /** Appends the write to the log unless its request id was applied before. */
  async apply(w: StoreWrite): Promise<ApplyResult> {
    const d = await this.kv.transaction([STORE], 'readwrite', (tx) => this.decide(tx, w));
    if (d.kind === 'fenced') {
      this.trace.emit(FENCED_TRACE.reject, { epoch: w.epoch, fence: d.fence, value: w.value });
      throw new FencedError(w.epoch, d.fence);
    }
    if (d.dedup !== null) {
      this.trace.probe('election.store-dedup');
      this.trace.emit(FENCED_TRACE.dedup, { reqId: w.reqId, pos: d.seq });
      this.reportApplied(d.dedup, w.reqId);
      return { seq: d.seq, dedup: true };
    }
    const { key, value, epoch, reqId } = w;
    this.trace.emit(FENCED_TRACE.write, { pos: d.seq, epoch, key, value, writer: this.options.writer, reqId });
    return { seq: d.seq, dedup: false };
  }

  /**
   * Re-reports a write found applied: its own record may never have reached the trace (its tab crashed
   * right after the commit). The record is identical to the original, so seeing both is harmless.
   */
  private reportApplied(a: Applied, reqId: string | null): void {
    this.trace.emit(FENCED_TRACE.write, { pos: a.seq, epoch: a.epoch, key: a.key, value: a.value, writer: a.writer, reqId });
  }

  private async decide(tx: Parameters<Parameters<KvStore['transaction']>[2]>[0], w: StoreWrite): Promise<Decision> {
    const fence = num(await tx.get(STORE, 'fence'));
    if (w.epoch < fence && !this.options.noFencing) return { kind: 'fenced', fence };
    if (w.reqId !== null) {
      const prev = await tx.get(STORE, `req/${w.reqId}`);
      if (prev !== undefined) {
        const applied = asApplied(prev);
        return { kind: 'ok', seq: applied.seq, dedup: applied };
      }
    }
    const seq = num(await tx.get(STORE, 'seq')) + 1;
    await tx.put(STORE, 'seq', seq);
    await tx.put(STORE, `log/${seq}`, { key: w.key, value: w.value, epoch: w.epoch, writer: this.options.writer, reqId: w.reqId });
    await tx.put(STORE, `v/${w.key}`, w.value);
    if (w.reqId !== null) {
      const applied: Applied = { seq, key: w.key, value: w.value, epoch: w.epoch, writer: this.options.writer };
      await tx.put(STORE, `req/${w.reqId}`, applied as unknown as Value);
    }
    if (w.epoch > fence) await tx.put(STORE, 'fence', w.epoch);
    return { kind: 'ok', seq, dedup: null };
  }

  /** The log position of an applied request id, or null. */
  async lookup(reqId: string): Promise<ApplyResult | null> {
    const prev = await this.kv.transaction([STORE], 'readonly', (tx) => tx.get(STORE, `req/${reqId}`));
    if (prev === undefined) return null;
    const applied = asApplied(prev);
    this.reportApplied(applied, reqId);
    return { seq: applied.seq, dedup: true };
  }

  /** The current value of `key`. */
  async read(key: string): Promise<string | undefined> {
    const v = await this.kv.transaction([STORE], 'readonly', (tx) => tx.get(STORE, `v/${key}`));
    return typeof v === 'string' ? v : undefined;
  }
}

/** A stored request record; anything malformed is corruption. */
function asApplied(v: Value): Applied {
  const r = v as Partial<Applied> | null;
  if (r === null || typeof r !== 'object' || typeof r.value !== 'string' || typeof r.key !== 'string' || typeof r.writer !== 'string') {
    throw new EnvError('ESTATE', `store 'data' holds a malformed request record`);
  }
  return { seq: num(r.seq), key: r.key, value: r.value, epoch: num(r.epoch), writer: r.writer };
}

/** A stored number, 0 when absent; anything else is corruption. */
function num(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new EnvError('ESTATE', `store 'data' holds a non-number where a number belongs: ${String(v)}`);
  return v;
}
