/**
 * `fact.cs.server`: the sync server's durable change log and identity, decoded from the simulator's
 * durable image of the server's block store (what a power loss now would leave) by this recorder's own
 * code, never from the server's trace: the block store's durable commit point and its metadata are read
 * with the storage evidence decoders (store-blocks.ts: framed marker and metadata documents, block
 * versions, checksums), the log's blocks with the layout of docs/client-server.md ("Data and storage"),
 * read here independently of `src/impl`:
 *
 *   block 0: header, UTF-8 JSON {format: 'cs-log', v: 1, site, schema, generation, head, bytes} then zeros;
 *   blocks 1..P: the log's byte stream in pages of the block size, entry k (seq k) the line
 *   `JSON [table, pk, col, value, colVersion, site, dbVersion]\n`, `bytes` long in all.
 *
 *   fact.cs.server {device, site, schema, head, added, removed}   (node 'sim')
 *
 * - site, schema, head: the durable header's (null when there is no store);
 * - added: the log entries that became durable with this commit, `[seq, site, dbVersion, table, pk, col,
 *   value, colVersion]` (origin site and version preserved);
 * - removed: how many durable log entries this commit took away (a rebuild replaces the log; otherwise a
 *   loss: an entry gone, or rewritten with other content, which also counts as added).
 *
 * Emitted when the durable commit point of the store moves (a new commit's marker is durable, or a power
 * loss or recovery changed what is durable) and the log or header it holds differ from the last fact:
 * file backend after `disk.fsyncDir` / `disk.fsync` of the root or `blocks/` and `disk.powerloss`; kv
 * after a strict `kv.commit` touching `<root>:meta`, `kv.durable`, `kv.powerloss`. A durable image whose
 * header or pages cannot be read (missing, failing their checksum, not the format) keeps the last site
 * and reports every entry removed and head null: a loss, not a rebuild.
 *
 * Decoding reuses the entries of the last fact up to the first page whose block version changed (block
 * versions are never rewritten), and past it those whose bytes the new pages repeat unchanged (an
 * entry's decoding depends on its bytes only), so an append costs the pages it wrote and parses only the
 * entries it added. Every page from the one holding the first entry not reused by version is still
 * read and its checksum verified.
 */
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { blockChecksum } from './block-checksum.ts';
import { fileStoreReader, kvStoreReader, type DecodedMeta, type StoreReader } from './store-blocks.ts';
import type { StoreLocation } from './store.ts';
import { cachedJson, numJson } from './json-text.ts';
import type { EvidenceRecorder } from './types.ts';

/** A durable server log entry as the fact carries it. */
export type ServerEntry = [seq: number, site: string, dbVersion: number, table: string, pk: string, col: string, value: string | null, colVersion: number];

/** The fields of `fact.cs.server`. */
export interface CsServerFact {
  device: string;
  site: string | null;
  schema: number | null;
  head: number | null;
  added: ServerEntry[];
  removed: number;
}

/** Where the server's block store lives: file backend `/cs-server`, kv backend `cs-server` (both watched). */
export const CS_SERVER_STORES: readonly StoreLocation[] = [
  { backend: 'file', root: '/cs-server' },
  { backend: 'kv', root: 'cs-server' },
];

/** Decodes a stored log entry `[table, pk, col, value, colVersion, site, dbVersion]` (null: not one). */
export function decodeServerEntry(seq: number, v: unknown): ServerEntry | null {
  if (!Array.isArray(v) || v.length !== 7) return null;
  const [table, pk, col, value, colVersion, site, dbVersion] = v as unknown[];
  if (typeof table !== 'string' || typeof pk !== 'string' || typeof col !== 'string' || typeof site !== 'string') return null;
  if ((value !== null && typeof value !== 'string') || typeof colVersion !== 'number' || typeof dbVersion !== 'number') return null;
  return [seq, site, dbVersion, table, pk, col, value, colVersion];
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const decoder = new TextDecoder();

/** The decoded durable log of one store. */
interface Log {
  commit: number;
  site: string | null;
  schema: number | null;
  head: number | null;
  /** The metadata it was decoded from (its block ids and versions); null: none (a loss). */
  meta: DecodedMeta | null;
  /** The header block's bytes and what they decoded to. */
  headerBytes: Uint8Array | null;
  header: Header | null;
  entries: ServerEntry[];
  /** Stream offset just past each entry's newline. */
  ends: number[];
  /** The log's byte stream: its first `bytes` bytes are those of the pages `names` holds (whole pages kept). */
  stream: Uint8Array;
  bytes: number;
}

/** The metadata of the durable commit point (the committed one, or the pending one the marker reached). */
function pointMeta(r: StoreReader): DecodedMeta | null | undefined {
  const marker = r.marker();
  const meta = r.meta();
  const point = Math.max(marker ?? 0, meta?.commit ?? 0);
  if (marker === null && meta === null) return undefined; // nothing committed yet (a pending commit is not)
  if (meta !== null && meta.commit === point) return meta;
  const pending = r.pending();
  return pending !== null && pending.commit === point ? pending : null;
}

/**
 * Block checksums of one run, by block id: the bytes last summed for the id, their algorithm and sum. The
 * simulator's durable contents are immutable (a write lands as new bytes), so the checksum of the bytes
 * summed last is looked up, not recomputed: the unchanged page an append reads again is verified against
 * its metadata's sum all the same. (Per id, not a WeakMap by bytes: a lookup per block read cost more.)
 */
interface Sums {
  bytes: (Uint8Array | undefined)[];
  algorithm: string[];
  sum: number[];
}

function checksumOf(sums: Sums, id: number, algorithm: DecodedMeta['algorithm'], bytes: Uint8Array): number {
  if (sums.bytes[id] === bytes && sums.algorithm[id] === algorithm) return sums.sum[id]!;
  const sum = blockChecksum(algorithm, bytes);
  sums.bytes[id] = bytes;
  sums.algorithm[id] = algorithm;
  sums.sum[id] = sum;
  return sum;
}

/**
 * The row of block `id` in metadata ids `ids` (ascending; the last of equal ids, as a map built in row
 * order would keep); -1 when it has none. The log's blocks are ids 0..P, usually each at its own index.
 */
function rowOf(ids: readonly number[], id: number): number {
  if (ids[id] === id && ids[id + 1] !== id) return id;
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && ids[lo - 1] === id ? lo - 1 : -1;
}

/** The intact bytes of block `id` in `meta` (null: not allocated, missing or damaged). */
function blockOf(r: StoreReader, sums: Sums, meta: DecodedMeta, id: number): Uint8Array | null {
  const i = rowOf(meta.ids, id);
  if (i < 0) return null;
  const bytes = r.block(`${meta.ids[i]!}.${meta.versions[i]!}`);
  if (!(bytes instanceof Uint8Array) || bytes.length !== meta.blockSize || checksumOf(sums, id, meta.algorithm, bytes) !== meta.sums[i]) return null;
  return bytes;
}

interface Header {
  site: string;
  schema: number;
  head: number;
  bytes: number;
}

function parseHeader(block: Uint8Array): Header | null {
  const end = block.indexOf(0);
  try {
    const d = JSON.parse(decoder.decode(end < 0 ? block : block.subarray(0, end))) as Record<string, unknown> | null;
    if (d === null || d.format !== 'cs-log' || d.v !== 1 || typeof d.site !== 'string' || !isCount(d.schema) || !isCount(d.head) || !isCount(d.bytes)) return null;
    return { site: d.site, schema: d.schema, head: d.head, bytes: d.bytes };
  } catch {
    return null;
  }
}

/** The log of a durable image: `last`'s first `keep` entries (unchanged), then `tail`, decoded anew. */
interface Decoded {
  commit: number;
  site: string;
  schema: number;
  head: number;
  headerBytes: Uint8Array;
  header: Header;
  bytes: number;
  keep: number;
  tail: ServerEntry[];
  tailEnds: number[];
  /** The byte stream holding the log (`last`'s, written over from the first page read). */
  stream: Uint8Array;
}

/**
 * The log of the durable image `meta`: `last`'s entries below the first page whose version changed are
 * kept, and so are those after them whose bytes the pages read now hold unchanged (not copied: the
 * caller splices `tail` onto them); the rest is decoded from the pages. Null: unreadable (a header or
 * page missing or damaged, or not the format).
 */
function decodeLog(r: StoreReader, sums: Sums, meta: DecodedMeta, last: Log | null): Decoded | null {
  const headerBlock = blockOf(r, sums, meta, 0);
  // The same (immutable) bytes decode as they did.
  const h = headerBlock === null ? null : headerBlock === last?.headerBytes ? last.header : parseHeader(headerBlock);
  if (h === null) return null;
  const B = meta.blockSize;
  const pages = Math.ceil(h.bytes / B);
  let same = 0; // pages 1..same are the versions `last` decoded
  const was = last?.meta ?? null;
  if (was !== null) {
    for (; same < pages; same++) {
      const a = rowOf(was.ids, same + 1);
      const b = a < 0 ? -1 : rowOf(meta.ids, same + 1);
      if (b < 0 || was.versions[a] !== meta.versions[b]) break;
    }
  }
  const ends = last === null ? [] : last.ends;
  const byVersion = countBelow(ends, Math.min(same * B, h.bytes));
  const from0 = byVersion === 0 ? 0 : ends[byVersion - 1]!;
  const first = Math.floor(from0 / B);
  const read: Uint8Array[] = [];
  for (let p = first; p < pages; p++) {
    const page = blockOf(r, sums, meta, p + 1);
    if (page === null) return null;
    read.push(page);
  }
  // Past `from0`, the entries whose bytes are unchanged decode as they did: find the first changed byte.
  const old = last === null ? null : last.stream;
  const upTo = old === null ? 0 : Math.min(last!.bytes, h.bytes);
  let unchanged = from0;
  if (old !== null) {
    for (let k = 0; k < read.length && unchanged < upTo; k++) {
      const page = read[k]!;
      const base = (first + k) * B;
      const stop = Math.min(upTo, base + B);
      unchanged = firstChange(page, base, old, unchanged, stop);
      if (unchanged < stop) break;
    }
  }
  const keep = countBelow(ends, unchanged);
  const from = keep === 0 ? 0 : ends[keep - 1]!;
  let stream = old ?? new Uint8Array(0);
  if (stream.length < pages * B) {
    const grown = new Uint8Array(Math.max(pages * B, 2 * stream.length));
    grown.set(stream.subarray(0, first * B));
    stream = grown;
  }
  for (let k = 0; k < read.length; k++) stream.set(read[k]!, (first + k) * B);
  const tail: ServerEntry[] = [];
  const tailEnds: number[] = [];
  if (from < h.bytes) {
    const text = decoder.decode(stream.subarray(from, h.bytes));
    if (!text.endsWith('\n')) return null;
    let offset = from;
    for (const line of text.slice(0, -1).split('\n')) {
      let e: ServerEntry | null;
      try {
        e = decodeServerEntry(keep + tail.length + 1, JSON.parse(line));
      } catch {
        e = null;
      }
      if (e === null) return null;
      offset += Buffer.byteLength(line) + 1;
      tail.push(e);
      tailEnds.push(offset);
    }
  }
  return { commit: meta.commit, site: h.site, schema: h.schema, head: h.head, headerBytes: headerBlock!, header: h, bytes: h.bytes, keep, tail, tailEnds, stream };
}

/** The first stream offset in [from, to) where `page` (stream offsets from `base` on) differs from `old`; `to` if none. */
function firstChange(page: Uint8Array, base: number, old: Uint8Array, from: number, to: number): number {
  // Buffer.compare is native: the common case (an append left the old bytes as they were) needs no JS loop.
  if (from >= to) return from;
  if (Buffer.compare(page.subarray(from - base, to - base), old.subarray(from, to)) === 0) return to;
  let i = from;
  while (i < to && page[i - base] === old[i]) i++;
  return i;
}

/** How many of the ascending `ends` are <= limit (searched from the end: an append keeps all but the last few). */
function countBelow(ends: readonly number[], limit: number): number {
  let n = ends.length;
  while (n > 0 && ends[n - 1]! > limit) n--;
  return n;
}

const sameEntry = (a: ServerEntry, b: ServerEntry): boolean => a.every((x, i) => x === b[i]);

/**
 * `JSON.stringify(fact)` for the trace, built faster: the same text, field by field in the fact's key
 * order, with the JSON of the strings that repeat (device, site ids, tables, row keys, columns) cached.
 */
export function serverFactJson(): (fact: CsServerFact) => string {
  const str = cachedJson();
  return (f) => {
    let out = `{"device":${str(f.device)},"site":${str(f.site)},"schema":${numJson(f.schema)},"head":${numJson(f.head)},"added":[`;
    for (let i = 0; i < f.added.length; i++) {
      const [seq, site, dbVersion, table, pk, col, value, colVersion] = f.added[i]!;
      out += `${i > 0 ? ',' : ''}[${numJson(seq)},${str(site)},${numJson(dbVersion)},${str(table)},${str(pk)},${str(col)},${value === null ? 'null' : JSON.stringify(value)},${numJson(colVersion)}]`;
    }
    return `${out}],"removed":${numJson(f.removed)}}`;
  };
}

/** Records `fact.cs.server` for the server device `device` (its block store at either location). */
export function csServerEvidence(device: string, stores: readonly StoreLocation[] = CS_SERVER_STORES): EvidenceRecorder {
  return {
    name: 'cs-server-durable',
    produces: ['fact.cs.server'],
    install(sim: Simulation) {
      const d = sim.device(device);
      const json = serverFactJson();
      let visible = false;
      const readers = new Map<StoreLocation, StoreReader>();
      const readerOf = (loc: StoreLocation): StoreReader => {
        let r = readers.get(loc);
        if (r === undefined) {
          r = loc.backend === 'file' ? fileStoreReader((path) => d.disk.durableFile(path), loc.root) : kvStoreReader((store, key) => (visible ? d.kv.visibleGet(store, key) : d.kv.durableGet(store, key)), loc.root);
          readers.set(loc, r);
        }
        return r;
      };
      const sums: Sums = { bytes: [], algorithm: [], sum: [] };
      /**
       * Per location: the log of its last fact and the commit it was decoded from; for the file backend,
       * the disk's change counter of the three documents `pointMeta` reads (marker, meta.json,
       * pending.json), its value when they were last read, and whether reading the same documents again
       * would do nothing (`quiet`).
       */
      const state = new Map<StoreLocation, { last: Log | null; commit: number | null | undefined; docs: (() => number) | null; seen: number; quiet: boolean }>();
      const update = (loc: StoreLocation): void => {
        const r = readerOf(loc);
        let st = state.get(loc);
        if (st === undefined) {
          const docs = loc.backend === 'file' ? d.disk.watchDurable(['marker', 'meta.json', 'pending.json'].map((n) => `${loc.root}/${n}`)) : null;
          state.set(loc, (st = { last: null, commit: undefined, docs, seen: -1, quiet: false }));
        }
        // Exact skip: the documents are the same arrays as at the last update, which ended quiet, so
        // `pointMeta` would return the same (memoized) point and this update would return below again
        // (about 6,400 of the 11,200 watched fsyncs of a bench run: four of the seven of a commit). Blocks
        // are read only when the point moves.
        if (st.docs !== null) {
          const seen = st.docs();
          if (st.quiet && seen === st.seen) return;
          st.seen = seen;
        }
        st.quiet = true;
        const last = st.last;
        const point = pointMeta(r);
        if (point === undefined && last === null) return; // no store here (yet)
        const meta = point ?? null; // a store that had commits and now has none lost them
        if (meta !== null && meta.commit === st.commit) return; // the durable point did not move
        // Unreadable: the same documents again would not return above (and may write another fact).
        st.quiet = meta !== null;
        st.commit = meta?.commit ?? null;
        const dec = meta === null ? null : decodeLog(r, sums, meta, last);
        const added: ServerEntry[] = [];
        let removed = 0;
        const before = last?.entries ?? [];
        // The entries below `keep` are `before`'s own (the same arrays): only the tail can differ.
        if (dec === null) {
          removed = before.length;
        } else if (dec.site !== (last?.site ?? null)) {
          removed = before.length;
          for (let i = 0; i < dec.keep; i++) added.push(before[i]!);
          for (const e of dec.tail) added.push(e);
        } else {
          for (let i = 0; i < dec.tail.length; i++) {
            const old = before[dec.keep + i];
            if (old !== undefined && sameEntry(old, dec.tail[i]!)) continue;
            if (old !== undefined) removed++;
            added.push(dec.tail[i]!);
          }
          removed += Math.max(0, before.length - (dec.keep + dec.tail.length));
        }
        let log: Log | null = null;
        if (dec !== null) {
          // Take over `last`'s arrays: its entries past `keep` were compared above and are not needed again.
          const entries = last === null ? [] : last.entries;
          const ends = last === null ? [] : last.ends;
          entries.length = dec.keep;
          ends.length = dec.keep;
          for (let i = 0; i < dec.tail.length; i++) {
            entries.push(dec.tail[i]!);
            ends.push(dec.tailEnds[i]!);
          }
          log = { commit: dec.commit, site: dec.site, schema: dec.schema, head: dec.head, meta: meta!, headerBytes: dec.headerBytes, header: dec.header, entries, ends, stream: dec.stream, bytes: dec.bytes };
        }
        const fact: CsServerFact = {
          device,
          site: log?.site ?? last?.site ?? null,
          schema: log === null ? (last?.schema ?? null) : log.schema,
          head: log?.head ?? null,
          added,
          removed,
        };
        const changed = last === null || (log === null ? last.head !== null : fact.site !== last.site || fact.schema !== last.schema || fact.head !== last.head || added.length > 0 || removed > 0);
        st.last = log ?? (last === null ? null : { ...last, head: null, entries: [], ends: [], meta: null, headerBytes: null, header: null, stream: new Uint8Array(0), bytes: 0 });
        if (changed) sim.trace.emit('sim', 'fact.cs.server', fact as unknown as Record<string, unknown>, json(fact));
      };
      const ours = (rec: TraceRecord): boolean => (typeof rec.data.device === 'string' ? rec.data.device : sim.nodes.get(rec.node)?.deviceId) === device;
      const files = stores.filter((s) => s.backend === 'file');
      const kvs = stores.filter((s) => s.backend === 'kv');
      // The root, its blocks/ directory and the files directly in the root (built once: every fsync asks).
      const dirs = files.map((loc) => ({ loc, blocks: `${loc.root}/blocks`, prefix: `${loc.root}/` }));
      const inRoot = (root: string, blocks: string, prefix: string, path: unknown): boolean =>
        typeof path === 'string' && (path === root || path === blocks || (path.startsWith(prefix) && path.indexOf('/', prefix.length) < 0));
      const onFile = (r: TraceRecord): void => {
        if (ours(r)) for (const f of dirs) if (inRoot(f.loc.root, f.blocks, f.prefix, r.data.path)) update(f.loc);
      };
      sim.trace.on('disk.fsyncDir', onFile);
      sim.trace.on('disk.fsync', onFile);
      sim.trace.on('disk.powerloss', (r) => {
        if (ours(r)) for (const loc of files) update(loc);
      });
      // Every client's commit is one too: the stores it touched are looked at first (names built once).
      const kvMeta = kvs.map((loc) => ({ loc, meta: `${loc.root}:meta` }));
      sim.trace.on('kv.commit', (r) => {
        if (r.data.durability !== 'strict') return;
        const touched = r.data.stores as string[];
        if (!kvMeta.some((k) => touched.includes(k.meta)) || !ours(r)) return;
        visible = true;
        for (const k of kvMeta) if (touched.includes(k.meta)) update(k.loc);
        visible = false;
      });
      const kvSettled = (r: TraceRecord): void => {
        if (ours(r)) for (const loc of kvs) update(loc);
      };
      sim.trace.on('kv.durable', kvSettled);
      sim.trace.on('kv.powerloss', kvSettled);
    },
  };
}
