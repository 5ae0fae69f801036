/**
 * The durable formats of the block store, shared by both backends.
 *
 * Metadata and the commit marker are JSON documents framed as `<crc32 hex>\n<json>`: a torn or rotten
 * document fails its frame check and is treated as absent, never half-read. Block data is raw bytes of
 * exactly `blockSize`.
 *
 * A block's *version* is the number of the commit that wrote it; the commit marker holds the number of the
 * last commit that took effect. A block whose version is above the marker is not visible.
 */
import type { ChecksumAlgorithm } from './checksum.ts';
import { crc32 } from './checksum.ts';

/** One committed version of a block. */
export interface BlockVersion {
  /** Commit number that wrote it. */
  v: number;
  /** Checksum of its bytes (store's algorithm). */
  sum: number;
  /** Wall-clock ms (node clock) of the commit that wrote it. */
  mtime: number;
}

/** Metadata of an allocated block: its current version and the previous one, kept for repair. */
export interface BlockMeta extends BlockVersion {
  /** The version before (its data is kept until the block is written again), if any. */
  prev: BlockVersion | null;
}

/** The store's metadata as of one commit. */
export interface StoreMeta {
  /** Commit number this metadata belongs to (0: empty store). */
  commit: number;
  /** Highest fencing epoch recorded (0: none). */
  epoch: number;
  /** Block size in bytes. */
  blockSize: number;
  /** Checksum algorithm of every block. */
  algorithm: ChecksumAlgorithm;
  /** Allocated blocks by id. */
  blocks: Map<number, BlockMeta>;
  /** Deallocated blocks: id -> commit number of the deallocation. */
  tombstones: Map<number, number>;
}

/** The commit marker: the last commit that took effect and its epoch. */
export interface Marker {
  commit: number;
  epoch: number;
}

/** An empty store's metadata. */
export function emptyMeta(blockSize: number, algorithm: ChecksumAlgorithm): StoreMeta {
  return { commit: 0, epoch: 0, blockSize, algorithm, blocks: new Map(), tombstones: new Map() };
}

/** A copy of `meta` whose maps can be changed without touching the original (entries are immutable). */
export function cloneMeta(meta: StoreMeta): StoreMeta {
  return { ...meta, blocks: new Map(meta.blocks), tombstones: new Map(meta.tombstones) };
}

type BlockRow = [number, number, number, number, number, number, number]; // id v sum mtime pv psum pmtime

/** Metadata as a JSON-compatible object (rows sorted by block id, so equal metadata encodes equally). */
export function metaToJson(meta: StoreMeta): Record<string, unknown> {
  const rows: BlockRow[] = [];
  for (const id of [...meta.blocks.keys()].sort((a, b) => a - b)) {
    const b = meta.blocks.get(id)!;
    const p = b.prev;
    rows.push([id, b.v, b.sum, b.mtime, p?.v ?? -1, p?.sum ?? 0, p?.mtime ?? 0]);
  }
  const tombs = [...meta.tombstones.entries()].sort((a, b) => a[0] - b[0]);
  return { commit: meta.commit, epoch: meta.epoch, blockSize: meta.blockSize, algorithm: meta.algorithm, blocks: rows, tombstones: tombs };
}

/** Parses what `metaToJson` produced; null if it is not well-formed. */
export function metaFromJson(o: unknown): StoreMeta | null {
  if (typeof o !== 'object' || o === null) return null;
  const r = o as Record<string, unknown>;
  if (typeof r.commit !== 'number' || typeof r.epoch !== 'number' || typeof r.blockSize !== 'number') return null;
  if (r.algorithm !== 'crc32' && r.algorithm !== 'fast') return null;
  if (!Array.isArray(r.blocks) || !Array.isArray(r.tombstones)) return null;
  const blocks = new Map<number, BlockMeta>();
  for (const row of r.blocks as BlockRow[]) {
    const [id, v, sum, mtime, pv, psum, pmtime] = row;
    blocks.set(id, { v, sum, mtime, prev: pv < 0 ? null : { v: pv, sum: psum, mtime: pmtime } });
  }
  const tombstones = new Map<number, number>(r.tombstones as [number, number][]);
  return { commit: r.commit, epoch: r.epoch, blockSize: r.blockSize, algorithm: r.algorithm, blocks, tombstones };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Frames a JSON document as `<crc32 hex>\n<json>` bytes. */
export function frame(doc: unknown): Uint8Array {
  const body = encoder.encode(JSON.stringify(doc));
  const head = encoder.encode(`${crc32(body).toString(16).padStart(8, '0')}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Unframes a document; null when the frame is torn, rotten or not JSON. */
export function unframe(bytes: Uint8Array): unknown {
  if (bytes.length < 10 || bytes[8] !== 10) return null;
  const want = Number.parseInt(decoder.decode(bytes.subarray(0, 8)), 16);
  const body = bytes.subarray(9);
  if (!Number.isFinite(want) || crc32(body) !== want) return null;
  try {
    return JSON.parse(decoder.decode(body)) as unknown;
  } catch {
    return null;
  }
}

/** Parses a marker document; null if malformed. */
export function markerFromJson(o: unknown): Marker | null {
  if (typeof o !== 'object' || o === null) return null;
  const r = o as Record<string, unknown>;
  if (typeof r.commit !== 'number' || typeof r.epoch !== 'number') return null;
  return { commit: r.commit, epoch: r.epoch };
}

/** FNV-1a (32-bit, 8 hex digits) over `key:value,` for every entry in ascending key order. */
function fnvDigest<T>(map: ReadonlyMap<number, T>, value: (v: T) => number): string {
  let h = 0x811c9dc5;
  for (const id of [...map.keys()].sort((a, b) => a - b)) {
    const s = `${id}:${value(map.get(id)!)},`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Digest of the visible state: FNV-1a (32-bit, hex) over `id:version,` for every allocated block in
 * ascending id order. Checkers compute the same digest from what they expect (docs/storage.md).
 */
export function stateDigest(blocks: ReadonlyMap<number, { v: number }>): string {
  return fnvDigest(blocks, (b) => b.v);
}

/**
 * Digest of the tombstones: FNV-1a (32-bit, hex) over `id:commit,` (commit: the one that deallocated the
 * block) in ascending id order. Checkers compute the same digest from what they expect (docs/storage.md).
 */
export function tombstoneDigest(tombstones: ReadonlyMap<number, number>): string {
  return fnvDigest(tombstones, (c) => c);
}
