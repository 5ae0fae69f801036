/**
 * The durable image of one block store, read from the simulator (what a power loss now would leave) and
 * decoded from the documented formats (docs/storage.md), independently of `src/impl`: the storage oracle
 * checks every recovery against it instead of the digests and counts the store reports about itself.
 *
 * File backend: `<root>/meta.json` (framed metadata), `<root>/blocks/<id>.<version>`, other root entries.
 * kv backend: object store `<root>:meta` (keys `meta`, `marker`), `<root>:blocks` (`<id>.<version>` -> bytes).
 * Metadata JSON: {commit, epoch, blockSize, algorithm, blocks: [[id, v, sum, mtime, prevV, prevSum, prevMtime]...],
 * tombstones: [[id, commit]...]} (prevV -1: none).
 */
import type { Simulation } from '../sim/simulation.ts';
import { unframeDocument, type StoreLocation } from './store.ts';
import type { BlockAlgorithm } from './block-checksum.ts';

/** The committed metadata on the medium: commit, allocated blocks (current and previous version), tombstones. */
export interface DurableMeta {
  commit: number;
  /**
   * Block id -> current version and previous version (-1: none), with the checksum and the mtime the
   * metadata records for each (null when the row holds no number there; mtime: wall-clock ms).
   */
  blocks: Map<number, { v: number; prev: number; sum: number | null; prevSum: number | null; mtime: number | null; prevMtime: number | null }>;
  /** The block checksum algorithm the metadata names (null: none known). */
  algorithm: BlockAlgorithm | null;
  /** Block id -> the commit that deallocated it. */
  tombstones: Map<number, number>;
}

/** What one store holds on the durable medium at one moment. */
export interface StoreImageState {
  /** Names in the store's root (file backend: 'marker', 'meta.json', 'blocks', ...; kv: metadata keys). */
  rootEntries: string[];
  /** Block entries: '<id>.<version>' -> bytes. */
  blockEntries: Map<string, Uint8Array>;
  /** The committed metadata (null: none, or not valid metadata). */
  metadata: DurableMeta | null;
}

/** The durable medium of one store: `read()` decodes it as it is now. */
export interface StoreImage {
  read(): StoreImageState;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Decodes a metadata JSON document (null when it is not one). */
export function decodeMeta(doc: unknown): DurableMeta | null {
  const r = doc as { commit?: unknown; algorithm?: unknown; blocks?: unknown; tombstones?: unknown } | null;
  if (r === null || typeof r !== 'object' || !isInt(r.commit) || !Array.isArray(r.blocks) || !Array.isArray(r.tombstones)) return null;
  const blocks: DurableMeta['blocks'] = new Map();
  for (const row of r.blocks as unknown[]) {
    if (!Array.isArray(row) || !isInt(row[0]) || !isInt(row[1]) || !isInt(row[4])) return null;
    const num = (k: number): number | null => (isNum(row[k]) ? (row[k] as number) : null);
    blocks.set(row[0], { v: row[1], prev: row[4], sum: num(2), prevSum: num(5), mtime: num(3), prevMtime: num(6) });
  }
  const tombstones = new Map<number, number>();
  for (const row of r.tombstones as unknown[]) {
    if (!Array.isArray(row) || !isInt(row[0]) || !isInt(row[1])) return null;
    tombstones.set(row[0], row[1]);
  }
  return { commit: r.commit, blocks, tombstones, algorithm: r.algorithm === 'crc32' || r.algorithm === 'fast' ? r.algorithm : null };
}

/** A file-backend image over a snapshot of durable paths -> bytes. */
export function fileImage(snapshot: () => ReadonlyMap<string, Uint8Array>, root: string): StoreImage {
  const blocksDir = `${root}/blocks/`;
  return {
    read() {
      const files = snapshot();
      const rootEntries: string[] = [];
      const blockEntries = new Map<string, Uint8Array>();
      for (const [p, bytes] of files) {
        if (p.startsWith(blocksDir)) blockEntries.set(p.slice(blocksDir.length), bytes);
        else if (p.startsWith(`${root}/`) && !p.slice(root.length + 1).includes('/')) rootEntries.push(p.slice(root.length + 1));
      }
      return { rootEntries, blockEntries, metadata: decodeMeta(unframeDocument(files.get(`${root}/meta.json`) ?? null)) };
    },
  };
}

/** A kv-backend image over a snapshot of object store name -> key -> value. */
export function kvImage(snapshot: () => ReadonlyMap<string, ReadonlyMap<unknown, unknown>>, root: string): StoreImage {
  return {
    read() {
      const stores = snapshot();
      const meta = stores.get(`${root}:meta`);
      const blockEntries = new Map<string, Uint8Array>();
      for (const [k, v] of stores.get(`${root}:blocks`) ?? []) if (v instanceof Uint8Array) blockEntries.set(String(k), v);
      return { rootEntries: [...(meta?.keys() ?? [])].map(String), blockEntries, metadata: decodeMeta(meta?.get('meta') ?? null) };
    },
  };
}

/** The durable image of the store at `loc` on `sim`'s device `device`. */
export function durableStoreImage(sim: Simulation, device: string, loc: StoreLocation): StoreImage {
  const d = sim.device(device);
  return loc.backend === 'kv' ? kvImage(() => d.kv.durableSnapshot(), loc.root) : fileImage(() => d.disk.durableSnapshot(), loc.root);
}

/** The committed metadata alone of the store at `loc` on `sim`'s device `device` (no snapshot of its blocks). */
export function durableStoreMeta(sim: Simulation, device: string, loc: StoreLocation): DurableMeta | null {
  const d = sim.device(device);
  return decodeMeta(loc.backend === 'kv' ? (d.kv.durableGet(`${loc.root}:meta`, 'meta') ?? null) : unframeDocument(d.disk.durableFile(`${loc.root}/meta.json`) ?? null));
}
