/**
 * `fact.store-blocks`: the committed block versions of every block store and whether the durable medium
 * holds each of them intact, read from the simulator's durable image (what a power loss now would leave),
 * never from the store's trace.
 *
 *   fact.store-blocks {device, backend, root, commit, current, missing, damaged}   (node 'sim')
 *
 * - commit: the durable commit point, max(marker, committed metadata's commit); null: an empty store;
 * - current: `<id>.<v>` of every allocated block's current version in the metadata of that commit (the
 *   committed metadata, or the pending one once the marker reached it: file backend, before finalize),
 *   ascending id; null when no readable metadata has that commit (it is lost);
 * - missing: those versions with no durable entry;
 * - damaged: those whose durable entry is not exactly blockSize bytes matching the checksum the metadata
 *   records for it. Intact: current, neither missing nor damaged.
 *
 * Emitted at every `node.start` on the device (always: the state a recovery starts from) and, when it
 * changed, right after each durable change: `disk.fsyncDir` of the root or `blocks/` (the store replaces its
 * documents by renames and never rewrites a block file; an in-place rewrite would show at the next
 * directory fsync or power loss), `disk.powerloss`; a strict `kv.commit` touching `<root>:meta` or `<root>:blocks`,
 * `kv.durable`, `kv.powerloss`.
 *
 * Formats decoded here, independently of `src/impl` (docs/storage.md): framed documents (see store.ts),
 * metadata `{commit, blockSize, algorithm, blocks: [[id, v, sum, ...]...]}`, block entries
 * `<root>/blocks/<id>.<v>` (file) and `<root>:blocks` key `<id>.<v>` (kv), checksums block-checksum.ts.
 */
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { blockChecksum, type BlockAlgorithm } from './block-checksum.ts';
import { DEFAULT_STORES, durableDocument, framedBody, type StoreLocation } from './store.ts';
import { MetaTextParser } from './store-meta-text.ts';
import type { EvidenceRecorder } from './types.ts';

/** The fields of `fact.store-blocks` besides device, backend and root. */
export interface CommittedBlocks {
  commit: number | null;
  current: string[] | null;
  missing: string[];
  damaged: string[];
}

/** Decoded metadata: what the fact needs of it. */
export interface DecodedMeta {
  commit: number;
  blockSize: number;
  algorithm: BlockAlgorithm;
  /** The id of each allocated block, ascending (shared by every reader of this metadata: not mutated). */
  ids: readonly number[];
  /** The current version of each of them. */
  versions: readonly number[];
  /** `<id>.<v>` of each of them (shared by every fact of this metadata: not mutated). */
  names: string[];
  /** The checksum each of them records. */
  sums: number[];
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/**
 * Decoded metadata whose names are built on first use: the server log's evidence (cs-server.ts) reads a
 * few blocks of each commit's metadata by id and version and never needs the names of the others.
 */
class Meta implements DecodedMeta {
  private named: string[] | null = null;

  constructor(
    readonly commit: number,
    readonly blockSize: number,
    readonly algorithm: BlockAlgorithm,
    readonly ids: readonly number[],
    readonly versions: readonly number[],
    readonly sums: number[],
  ) {}

  get names(): string[] {
    if (this.named === null) {
      const names = new Array<string>(this.ids.length);
      for (let i = 0; i < names.length; i++) names[i] = `${this.ids[i]!}.${this.versions[i]!}`;
      this.named = names;
    }
    return this.named;
  }
}

/** Metadata from a decoded document, or null when it is not well-formed. Rows are ordered by id (a stable sort). */
export function decodeMeta(doc: unknown): DecodedMeta | null {
  const r = doc as { commit?: unknown; blockSize?: unknown; algorithm?: unknown; blocks?: unknown } | null;
  if (r === null || typeof r !== 'object' || !isCount(r.commit) || !isCount(r.blockSize)) return null;
  if ((r.algorithm !== 'crc32' && r.algorithm !== 'fast') || !Array.isArray(r.blocks)) return null;
  const blocks = r.blocks as unknown[];
  const n = blocks.length;
  let ids = new Array<number>(n);
  let versions = new Array<number>(n);
  let sums = new Array<number>(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const row = blocks[i];
    if (!Array.isArray(row) || !isCount(row[0]) || !isCount(row[1]) || typeof row[2] !== 'number') return null;
    ids[i] = row[0];
    versions[i] = row[1];
    sums[i] = row[2] >>> 0;
    if (i > 0 && row[0] < ids[i - 1]!) sorted = false;
  }
  if (!sorted) {
    // The writer lists rows by id: this order only for metadata written otherwise (ties keep their order).
    const order = Array.from(ids.keys()).sort((a, b) => ids[a]! - ids[b]! || a - b);
    [ids, versions, sums] = [order.map((i) => ids[i]!), order.map((i) => versions[i]!), order.map((i) => sums[i]!)];
  }
  return new Meta(r.commit, r.blockSize, r.algorithm, ids, versions, sums);
}

function markerOf(doc: unknown): number | null {
  const c = (doc as { commit?: unknown } | null)?.commit;
  return isCount(c) ? c : null;
}

/** The metadata of the durable commit point, and that point; `meta: null` when no readable metadata has it. */
function committedMeta(marker: number | null, meta: DecodedMeta | null, pending: DecodedMeta | null | (() => DecodedMeta | null)): { commit: number | null; meta: DecodedMeta | null } | null {
  const point = Math.max(marker ?? 0, meta?.commit ?? 0);
  if (meta !== null && meta.commit === point && marker !== null) return { commit: point, meta };
  const p = typeof pending === 'function' ? pending() : pending; // decoded only when it can matter
  if (marker === null && meta === null && p === null) return null;
  if (meta !== null && meta.commit === point) return { commit: point, meta };
  if (p !== null && p.commit === point) return { commit: point, meta: p };
  return { commit: marker === null && meta === null ? null : point, meta: null };
}

/** What the durable image holds for one committed version. */
type Verdict = 'intact' | 'missing' | 'damaged';

function verdictOf(meta: DecodedMeta, i: number, bytes: unknown): Verdict {
  if (!(bytes instanceof Uint8Array)) return 'missing';
  return bytes.length === meta.blockSize && blockChecksum(meta.algorithm, bytes) === meta.sums[i] ? 'intact' : 'damaged';
}

/** Sorts a block's durable bytes into the fact's lists. */
function classify(meta: DecodedMeta, i: number, bytes: unknown, missing: string[], damaged: string[]): void {
  const v = verdictOf(meta, i, bytes);
  if (v === 'missing') missing.push(meta.names[i]!);
  else if (v === 'damaged') damaged.push(meta.names[i]!);
}

/**
 * The fact for a store whose durable marker, committed and pending metadata are these, reading block
 * entries with `block(name)` (null: no durable entry). Null when the store holds nothing.
 */
export function committedBlocks(marker: number | null, meta: DecodedMeta | null, pending: DecodedMeta | null, block: (name: string) => unknown): CommittedBlocks | null {
  const c = committedMeta(marker, meta, pending);
  if (c === null) return null;
  const missing: string[] = [];
  const damaged: string[] = [];
  if (c.meta !== null) for (let i = 0; i < c.meta.names.length; i++) classify(c.meta, i, block(c.meta.names[i]!), missing, damaged);
  return { commit: c.commit, current: c.meta?.names ?? null, missing, damaged };
}

/**
 * Decoding memoized per stored value: the simulator's durable file contents and kv values are immutable
 * and shared, so an unchanged document is decoded once per run.
 */
const markers = new WeakMap<object, number | null>();
const metas = new WeakMap<object, DecodedMeta | null>();

function memo<T>(cache: WeakMap<object, T>, value: unknown, decode: (v: unknown) => T): T {
  if (typeof value !== 'object' || value === null) return decode(value);
  let out = cache.get(value);
  if (out === undefined && !cache.has(value)) cache.set(value, (out = decode(value)));
  return out as T;
}

/**
 * `memo` behind the last value one reader read at one place: the durable documents rarely change between
 * two fsyncs, and the same value decodes as it did (the cache above) without a WeakMap lookup.
 */
function memoLast<T>(cache: WeakMap<object, T>, decode: (v: unknown) => T): (value: unknown) => T {
  let last: unknown = memoLast; // no value read yet (a value is never this function)
  let out: T;
  return (value) => {
    if (value !== last) {
      out = memo(cache, value, decode);
      last = value;
    }
    return out;
  };
}

function unframedMarker(bytes: unknown): number | null {
  return markerOf(durableDocument(bytes as Uint8Array | null));
}

function unframedMeta(bytes: unknown): DecodedMeta | null {
  return decodeMeta(durableDocument(bytes as Uint8Array | null));
}

/** How one store's durable image is read (file or kv). */
export interface StoreReader {
  marker(): number | null;
  meta(): DecodedMeta | null;
  pending(): DecodedMeta | null;
  block(name: string): unknown;
}

/**
 * `unframedMeta` for the documents one reader reads, one after another: the body is decoded by a
 * `MetaTextParser`, which reuses the rows the previous document repeats (exact: the same fields, or it
 * declines and `unframedMeta` decodes the document).
 */
function framedMetas(): (bytes: unknown) => DecodedMeta | null {
  const text = new MetaTextParser();
  return (bytes) => {
    const body = framedBody(bytes as Uint8Array | null);
    if (body === null) return null;
    const f = text.parse(body);
    return f === undefined ? unframedMeta(bytes) : new Meta(f.commit, f.blockSize, f.algorithm, f.ids, f.versions, f.sums);
  };
}

/** The reader of a file-backend store whose durable files `read(path)` returns (null: no durable entry). */
export function fileStoreReader(read: (path: string) => Uint8Array | null, root: string): StoreReader {
  const [marker, meta, pending] = [`${root}/marker`, `${root}/meta.json`, `${root}/pending.json`];
  const paths = new Map<string, string>();
  const metaOfBytes = framedMetas(); // one parser: the pending document is the next committed one
  const [markerOf, metaOf, pendingOf] = [memoLast(markers, unframedMarker), memoLast(metas, metaOfBytes), memoLast(metas, metaOfBytes)];
  return {
    marker: () => markerOf(read(marker)),
    meta: () => metaOf(read(meta)),
    pending: () => pendingOf(read(pending)),
    block: (name) => {
      let path = paths.get(name);
      if (path === undefined) paths.set(name, (path = `${root}/blocks/${name}`));
      return read(path);
    },
  };
}

function fileReader(sim: Simulation, device: string, root: string): StoreReader {
  const disk = sim.device(device).disk;
  return fileStoreReader((path) => disk.durableFile(path), root);
}

/** `visible()`: read what is visible (a strict commit just made it durable). */
function kvReader(sim: Simulation, device: string, root: string, visible: () => boolean): StoreReader {
  const kv = sim.device(device).kv;
  return kvStoreReader((store, key) => (visible() ? kv.visibleGet(store, key) : kv.durableGet(store, key)), root);
}

/** The reader of a kv-backend store whose durable values `get(store, key)` returns (undefined: none). */
export function kvStoreReader(get: (store: string, key: string) => unknown, root: string): StoreReader {
  const [metaStore, blocks] = [`${root}:meta`, `${root}:blocks`];
  const [markerAt, metaAt] = [memoLast(markers, markerOf), memoLast(metas, decodeMeta)];
  return {
    marker: () => markerAt(get(metaStore, 'marker')),
    meta: () => metaAt(get(metaStore, 'meta')),
    pending: () => null,
    block: (name) => get(blocks, name),
  };
}

/**
 * What a durable change can have changed: 'docs' (the fsync of the root directory: the documents; block
 * entries only while one was missing, as blocks/ itself may just have become durable, since the root
 * holds no block entry and no directory is ever removed), 'blocks' (the fsync of blocks/), or 'all'.
 * Narrower scopes skip lookups that cannot differ.
 */
export type Scope = 'docs' | 'blocks' | 'all';

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One store on one device: its reader and what it last read and emitted. `next` gives the fact to write
 * (undefined: nothing changed since the last one, unless `always`); the real runtime's evidence uses it too.
 */
export class Watched {
  private committed: ReturnType<typeof committedMeta> = null;
  private blocks: unknown[] = [];
  private fact: CommittedBlocks | null = null;
  /** The verdict on each current version's bytes, by name, as last computed. */
  private verdicts = new Map<string, { bytes: unknown; sum: number; verdict: Verdict }>();
  private read = false;
  private emitted = false;

  constructor(private readonly reader: StoreReader) {}

  /** The fact now, or undefined when it did not change since the last emitted one (unless `always`). */
  next(always: boolean, scope: Scope): CommittedBlocks | null | undefined {
    const r = this.reader;
    const before = this.committed;
    const docs = !this.read || scope !== 'blocks' || this.committed === null;
    const c = docs ? committedMeta(r.marker(), r.meta(), r.pending) : before;
    const blocksMayDiffer = !this.read || scope !== 'docs' || c?.meta !== before?.meta || this.blocks.includes(null);
    const blocks = blocksMayDiffer ? this.readBlocks(c?.meta ?? null) : this.blocks;
    const same = this.read && (c === null ? before === null : before !== null && before.commit === c.commit && before.meta === c.meta && sameItems(this.blocks, blocks));
    this.read = true;
    this.committed = c;
    this.blocks = blocks;
    if (c === null && !this.emitted) return undefined; // nothing there, never was
    if (same && this.emitted && !always) return undefined;
    if (!same || !this.emitted) this.fact = c === null ? null : this.factOf(c, blocks);
    this.emitted = true;
    return this.fact;
  }

  private readBlocks(meta: DecodedMeta | null): unknown[] {
    const out: unknown[] = [];
    if (meta !== null) for (const name of meta.names) out.push(this.reader.block(name) ?? null);
    return out;
  }

  /** The fact of `c` with these block bytes; verdicts of unchanged versions are reused, not rehashed. */
  private factOf(c: NonNullable<ReturnType<typeof committedMeta>>, blocks: readonly unknown[]): CommittedBlocks {
    const missing: string[] = [];
    const damaged: string[] = [];
    const meta = c.meta;
    if (meta !== null) {
      const verdicts = new Map<string, { bytes: unknown; sum: number; verdict: Verdict }>();
      for (let i = 0; i < blocks.length; i++) {
        const name = meta.names[i]!;
        const known = this.verdicts.get(name);
        const verdict = known !== undefined && known.bytes === blocks[i] && known.sum === meta.sums[i] ? known.verdict : verdictOf(meta, i, blocks[i]);
        verdicts.set(name, { bytes: blocks[i], sum: meta.sums[i]!, verdict });
        if (verdict === 'missing') missing.push(name);
        else if (verdict === 'damaged') damaged.push(name);
      }
      this.verdicts = verdicts;
    }
    return { commit: c.commit, current: meta?.names ?? null, missing, damaged };
  }
}

/** Records `fact.store-blocks` for the block stores at `stores` on every device. */
export function storeBlocksEvidence(stores: readonly StoreLocation[] = DEFAULT_STORES): EvidenceRecorder {
  return {
    name: 'store-blocks',
    produces: ['fact.store-blocks'],
    install(sim: Simulation) {
      const watched = new Map<string, Watched>();
      let visible = false;
      const isVisible = (): boolean => visible;
      const emit = (device: string, loc: StoreLocation, always: boolean, scope: Scope): void => {
        const key = `${device}\u0000${loc.backend}\u0000${loc.root}`;
        let w = watched.get(key);
        if (w === undefined) watched.set(key, (w = new Watched(loc.backend === 'file' ? fileReader(sim, device, loc.root) : kvReader(sim, device, loc.root, isVisible))));
        const fact = w.next(always, scope);
        if (fact === undefined) return;
        const body = fact ?? { commit: null, current: null, missing: [], damaged: [] };
        sim.trace.emit('sim', 'fact.store-blocks', { device, backend: loc.backend, root: loc.root, ...body });
      };
      const deviceOf = (rec: TraceRecord): string | null => (typeof rec.data.device === 'string' ? rec.data.device : (sim.nodes.get(rec.node)?.deviceId ?? null));
      const each = (rec: TraceRecord, backend: StoreLocation['backend'], always: boolean, scope: (loc: StoreLocation) => Scope | null): void => {
        const device = deviceOf(rec);
        if (device === null) return;
        for (const loc of stores) {
          const s = loc.backend === backend ? scope(loc) : null;
          if (s !== null) emit(device, loc, always, s);
        }
      };
      const all = (): Scope => 'all';
      sim.trace.on('node.start', (r) => {
        each(r, 'file', true, all);
        each(r, 'kv', true, all);
      });
      sim.trace.on('disk.fsyncDir', (r) => each(r, 'file', false, (loc) => (r.data.path === loc.root ? 'docs' : r.data.path === `${loc.root}/blocks` ? 'blocks' : null)));
      sim.trace.on('disk.powerloss', (r) => each(r, 'file', false, all));
      sim.trace.on('kv.commit', (r) => {
        if (r.data.durability !== 'strict') return;
        const touched = r.data.stores as string[];
        visible = true;
        each(r, 'kv', false, (loc) => (touched.includes(`${loc.root}:meta`) || touched.includes(`${loc.root}:blocks`) ? 'all' : null));
        visible = false;
      });
      sim.trace.on('kv.durable', (r) => each(r, 'kv', false, all));
      sim.trace.on('kv.powerloss', (r) => each(r, 'kv', false, all));
    },
  };
}
