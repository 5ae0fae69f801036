/**
 * `FencedStore` over the issue-3 block store (src/impl/storage, kv backend): the store every tab of a
 * device shares and only the leader writes.
 *
 * Multi-tab protocol:
 * - fence(epoch): `BlockStore.fence` raises the durable epoch in one transaction (a metadata-only commit,
 *   its commit number is the fence's position); no instance, no recovery. The tab's instance is opened
 *   (recovered) only afterwards, at its first write of the term: recovery thus runs after every lower
 *   epoch is fenced, and it only deletes or adopts while the marker is the one it loaded.
 * - apply(write): one commit (forceSync) per write, carrying the epoch and the request id. The block store
 *   checks the durable epoch and records the request id inside the commit's transaction: a deposed tab's
 *   commit is refused (FencedError), a retried request id applies nothing (RequestAppliedError, reported
 *   as a dedup with the first commit's position). The commit number is the write's position.
 * - lookup(reqId) and read(key): read-only transactions, no instance, no recovery (followers use them).
 * After any failed commit this tab's instance is closed (its writes must not linger for a later commit)
 * and reopened at the next write. So a deposed tab refused once as stale (ESTALE: its view is behind the
 * medium) has a current view at its next write: only the epoch check stops it then. Without that check
 * (the 'election-no-fencing' variant, which disables it in the block store) its write lands.
 *
 * Key layout: block 0 is the key directory, JSON {"<key>": <block id>, ...}; each key gets the next free
 * block id (1, 2, ...) in the same commit as its first write. Block <id> holds the key's latest record,
 * JSON {key, value, epoch, writer, reqId}; both are zero-padded to the block size. The directory bounds
 * the number of keys (about blockSize / 12; the election workload writes keys k0..k7); a longer record
 * or a full directory is an error to the caller (EINVAL / ELIMIT).
 */
import type { Env } from '../env.ts';
import { BlockStore, FencedError, RequestAppliedError, StoreError, type StoreOptions } from '../storage/index.ts';
import { FENCED_TRACE, type ApplyResult, type FencedStore, type StoreWrite } from './fenced-store.ts';

/** Options of BlockFencedStore. */
export interface BlockFencedStoreOptions {
  /** Writer identity in traces (the node id). */
  writer: string;
  /** Block store options (backend must be 'kv', the default here). */
  store?: StoreOptions;
  /** Weakened variant: the block store checks no epochs ('storage-no-fencing'). */
  noFencing?: boolean;
  /** Weakened variant 'election-relaxed-commits': writes commit with relaxed durability (`sync`, not `forceSync`). */
  relaxed?: boolean;
  /** Weakened variant 'election-keep-failed-instance': the instance is kept after a failed commit. */
  keepFailedInstance?: boolean;
  /** Weakened variant 'election-key-in-directory-block': a new key's block id is off by one (the first key gets block 0). */
  keyIdOffByOne?: boolean;
  /** Weakened variant 'election-read-cache': reads are cached and never refreshed. */
  readCache?: boolean;
}

/** What a request id records (enough to re-report the write it committed). */
interface Applied {
  key: string;
  value: string;
  epoch: number;
  writer: string;
}

/** Block size of the election's store unless the options say otherwise. */
const BLOCK_SIZE = 1024;
const DIRECTORY = 0;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FencedStore over BlockStore (see the file comment). */
export class BlockFencedStore implements FencedStore {
  private readonly storeOptions: StoreOptions;
  private instance: BlockStore | null = null;
  /** Only in the weakened variant 'election-read-cache': key -> the first value read. */
  private readonly readCache = new Map<string, string | undefined>();
  /** Key directory as of this instance's last commit (or open). */
  private directory = new Map<string, number>();

  constructor(
    private readonly env: Env,
    private readonly options: BlockFencedStoreOptions,
  ) {
    const o = options.store ?? {};
    checkSharedBackend(o);
    this.storeOptions = { blockSize: BLOCK_SIZE, maxBlocks: 1024, ...o, backend: 'kv', variant: options.noFencing === true ? 'storage-no-fencing' : '' };
    if (options.relaxed === true) this.storeOptions.relaxedCommits = true;
  }

  /**
   * Fences the store at `epoch` and closes this tab's instance of an earlier term: the next write opens a
   * fresh one, so its recovery runs behind the fence.
   */
  async fence(epoch: number): Promise<void> {
    const marker = await BlockStore.fence(this.env, this.storeOptions, epoch).catch((e: unknown) => this.rejected(e, epoch, null));
    this.env.trace.emit(FENCED_TRACE.fence, { pos: marker.commit, epoch, writer: this.options.writer });
    await this.drop();
  }

  /** Commits the write unless its request id was applied before. */
  async apply(w: StoreWrite): Promise<ApplyResult> {
    const store = this.instance ?? (await this.open());
    try {
      return await this.commit(store, w);
    } catch (e) {
      if (e instanceof RequestAppliedError) return this.deduplicated(e, w.reqId);
      // Variant election-keep-failed-instance: the failed write's blocks stay dirty in the instance and ride
      // on the next commit, without the request record they were written for.
      if (this.options.keepFailedInstance !== true) await this.drop();
      return this.rejected(e, w.epoch, w.value);
    }
  }

  private async commit(store: BlockStore, w: StoreWrite): Promise<ApplyResult> {
    let id = this.directory.get(w.key);
    let directory = this.directory;
    if (id === undefined) {
      // Block 0 is the directory: keys take 1, 2, ... (the weakened variant forgets the + 1).
      id = directory.size + (this.options.keyIdOffByOne === true ? 0 : 1);
      directory = new Map(directory).set(w.key, id);
      store.write(DIRECTORY, this.encode(Object.fromEntries(directory), 'ELIMIT', 'the key directory'), { epoch: w.epoch });
    }
    const applied: Applied = { key: w.key, value: w.value, epoch: w.epoch, writer: this.options.writer };
    store.write(id, this.encode({ ...applied, reqId: w.reqId }, 'EINVAL', `the record of key '${w.key}'`), { epoch: w.epoch });
    const requests = w.reqId === null ? [] : [{ id: w.reqId, result: applied }];
    const info = await (this.options.relaxed === true ? store.sync({ epoch: w.epoch, requests }) : store.forceSync({ epoch: w.epoch, requests }));
    this.directory = directory;
    this.reportApplied(info.commit, applied, w.reqId);
    return { seq: info.commit, dedup: false };
  }

  /** The request id was applied by an earlier commit: report that commit (nothing was written now). */
  private deduplicated(e: RequestAppliedError, reqId: string | null): ApplyResult {
    this.env.trace.probe('election.store-dedup');
    this.env.trace.emit(FENCED_TRACE.dedup, { reqId, pos: e.applied.commit });
    this.reportApplied(e.applied.commit, e.applied.result, reqId);
    return { seq: e.applied.commit, dedup: true };
  }

  /** Traces a fencing rejection; rethrows `e` in every case. */
  private rejected(e: unknown, epoch: number, value: string | null): never {
    if (e instanceof FencedError) this.env.trace.emit(FENCED_TRACE.reject, { epoch, fence: e.highestEpoch, value });
    throw e;
  }

  /**
   * Reports a committed write; also re-reports one found applied, whose own record may never have reached
   * the trace (its tab crashed right after the commit): identical to the original, so both are harmless.
   */
  private reportApplied(pos: number, result: unknown, reqId: string | null): void {
    const a = asApplied(result);
    this.env.trace.emit(FENCED_TRACE.write, { pos, epoch: a.epoch, key: a.key, value: a.value, writer: a.writer, reqId });
  }

  /** The position of an applied request id, or null (read-only; no leader or instance needed). */
  async lookup(reqId: string): Promise<ApplyResult | null> {
    const found = await BlockStore.lookupRequest(this.env, this.storeOptions, reqId);
    if (found === null) return null;
    this.reportApplied(found.commit, found.result, reqId);
    return { seq: found.commit, dedup: true };
  }

  /** The committed value of `key` (read-only; no leader or instance needed). */
  async read(key: string): Promise<string | undefined> {
    // Weakened variant 'election-read-cache': the first value read of a key is kept and returned ever after.
    if (this.options.readCache === true) {
      if (!this.readCache.has(key)) this.readCache.set(key, await this.readDurable(key));
      return this.readCache.get(key);
    }
    return this.readDurable(key);
  }

  private async readDurable(key: string): Promise<string | undefined> {
    const directory = decode(await BlockStore.readCommitted(this.env, this.storeOptions, DIRECTORY)) as Record<string, number> | null;
    const id = directory?.[key];
    if (typeof id !== 'number') return undefined;
    const record = decode(await BlockStore.readCommitted(this.env, this.storeOptions, id)) as { value?: unknown } | null;
    return typeof record?.value === 'string' ? record.value : undefined;
  }

  /** Opens this tab's instance (startup recovery) and loads the key directory. */
  private async open(): Promise<BlockStore> {
    const store = await BlockStore.open(this.env, this.storeOptions);
    let directory: Record<string, number> | null;
    try {
      directory = decode(await store.read(DIRECTORY)) as Record<string, number> | null;
    } catch (e) {
      // An instance that failed to load its directory is closed, not leaked: the next write opens a new
      // one, and two open instances in one tab could commit each other's leftovers (election-swarm-lock
      // seed 5027: an EIO on this read left the first open, and model:recovery saw a second open over it).
      await store.close().catch(() => undefined);
      throw e;
    }
    this.directory = new Map(Object.entries(directory ?? {}));
    this.instance = store;
    return store;
  }

  /**
   * The tab's term ended and its writes are drained: its instance is closed. A commit whose finalize failed
   * is finalized at the instance's next commit, and a follower makes none; the next term reopens behind its
   * fence (reads do not use the instance).
   */
  async release(): Promise<void> {
    await this.drop();
  }

  /** Closes this tab's instance (a failed or refused one must not commit its leftovers later). */
  private async drop(): Promise<void> {
    const store = this.instance;
    this.instance = null;
    if (store !== null) await store.close();
  }

  /**
   * JSON zero-padded to the block size; a StoreError with `code` when it does not fit (ELIMIT: the key
   * directory is full; EINVAL: one record is too long).
   */
  private encode(doc: unknown, code: 'ELIMIT' | 'EINVAL', what: string): Uint8Array {
    const bytes = encoder.encode(JSON.stringify(doc));
    const size = this.storeOptions.blockSize!;
    if (bytes.length > size) throw new StoreError(code, `${what} takes ${bytes.length} bytes, more than a block (${size})`);
    const out = new Uint8Array(size);
    out.set(bytes);
    return out;
  }
}

/** Throws a RangeError naming the option unless `store.backend` is 'kv' (or unset: kv). */
export function checkSharedBackend(store: StoreOptions): void {
  if (store.backend === undefined || store.backend === 'kv') return;
  throw new RangeError(
    `election option store.backend must be 'kv' (the tabs of a device share the store, and the file backend is unsafe with two concurrent writers), got '${String(store.backend)}'`,
  );
}

/** The JSON document in a zero-padded block, or null for an absent block. */
function decode(block: Uint8Array | null): unknown {
  if (block === null) return null;
  const end = block.indexOf(0);
  return JSON.parse(decoder.decode(end < 0 ? block : block.subarray(0, end))) as unknown;
}

/** A recorded request result; anything malformed is corruption. */
function asApplied(v: unknown): Applied {
  const r = v as Partial<Applied> | null;
  if (r === null || typeof r !== 'object' || typeof r.key !== 'string' || typeof r.value !== 'string' || typeof r.writer !== 'string' || typeof r.epoch !== 'number') {
    throw new StoreError('ECORRUPT', 'a request record of the election store is malformed');
  }
  return { key: r.key, value: r.value, epoch: r.epoch, writer: r.writer };
}
