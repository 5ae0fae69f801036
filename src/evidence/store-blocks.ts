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
 * changed, right after each durable change: `disk.fsyncDir` of the root or `blocks/`, `disk.fsync` of a
 * document in the root, `disk.powerloss`; a strict `kv.commit` touching `<root>:meta` or `<root>:blocks`,
 * `kv.durable`, `kv.powerloss`.
 *
 * Formats decoded here, independently of `src/impl` (docs/storage.md): framed documents (see store.ts),
 * metadata `{commit, blockSize, algorithm, blocks: [[id, v, sum, ...]...]}`, block entries
 * `<root>/blocks/<id>.<v>` (file) and `<root>:blocks` key `<id>.<v>` (kv), checksums block-checksum.ts.
 */
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { blockChecksum, type BlockAlgorithm } from './block-checksum.ts';
import { DEFAULT_STORES, unframeDocument, type StoreLocation } from './store.ts';
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
  /** [id, version, checksum] of each allocated block. */
  rows: [number, number, number][];
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** Metadata from a decoded document, or null when it is not well-formed. */
export function decodeMeta(doc: unknown): DecodedMeta | null {
  const r = doc as { commit?: unknown; blockSize?: unknown; algorithm?: unknown; blocks?: unknown } | null;
  if (r === null || typeof r !== 'object' || !isCount(r.commit) || !isCount(r.blockSize)) return null;
  if ((r.algorithm !== 'crc32' && r.algorithm !== 'fast') || !Array.isArray(r.blocks)) return null;
  const rows: [number, number, number][] = [];
  for (const row of r.blocks as unknown[]) {
    if (!Array.isArray(row) || !isCount(row[0]) || !isCount(row[1]) || typeof row[2] !== 'number') return null;
    rows.push([row[0], row[1], row[2]]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return { commit: r.commit, blockSize: r.blockSize, algorithm: r.algorithm, rows };
}

const markerOf = (doc: unknown): number | null => {
  const c = (doc as { commit?: unknown } | null)?.commit;
  return isCount(c) ? c : null;
};

/**
 * The fact for a store whose durable marker, committed and pending metadata are these, reading block
 * entries with `block(name)` (null: no durable entry). Null when the store holds nothing.
 */
export function committedBlocks(marker: number | null, meta: DecodedMeta | null, pending: DecodedMeta | null, block: (name: string) => unknown): CommittedBlocks | null {
  if (marker === null && meta === null && pending === null) return null;
  const point = Math.max(marker ?? 0, meta?.commit ?? 0);
  const committed = meta !== null && meta.commit === point ? meta : pending !== null && pending.commit === point ? pending : null;
  if (committed === null) return { commit: marker === null && meta === null ? null : point, current: null, missing: [], damaged: [] };
  const current: string[] = [];
  const missing: string[] = [];
  const damaged: string[] = [];
  for (const [id, v, sum] of committed.rows) {
    const name = `${id}.${v}`;
    current.push(name);
    const bytes = block(name);
    if (!(bytes instanceof Uint8Array)) missing.push(name);
    else if (bytes.length !== committed.blockSize || blockChecksum(committed.algorithm, bytes) !== sum >>> 0) damaged.push(name);
  }
  return { commit: committed.commit, current, missing, damaged };
}

function fileBlocks(sim: Simulation, device: string, root: string): CommittedBlocks | null {
  const disk = sim.device(device).disk;
  const doc = (name: string): unknown => unframeDocument(disk.durableFile(`${root}/${name}`));
  return committedBlocks(markerOf(doc('marker')), decodeMeta(doc('meta.json')), decodeMeta(doc('pending.json')), (name) => disk.durableFile(`${root}/blocks/${name}`));
}

/** `visible`: read what is visible (a strict commit just made it durable). */
function kvBlocks(sim: Simulation, device: string, root: string, visible: boolean): CommittedBlocks | null {
  const kv = sim.device(device).kv;
  const get = (store: string, key: string): unknown => (visible ? kv.visibleGet(store, key) : kv.durableGet(store, key));
  return committedBlocks(markerOf(get(`${root}:meta`, 'marker')), decodeMeta(get(`${root}:meta`, 'meta')), null, (name) => get(`${root}:blocks`, name));
}

/** True when `path` is `root` itself, `root/blocks`, or an entry directly in `root`. */
function touchesStore(path: string, root: string): boolean {
  if (path === root || path === `${root}/blocks`) return true;
  return path.startsWith(`${root}/`) && !path.slice(root.length + 1).includes('/');
}

/** Records `fact.store-blocks` for the block stores at `stores` on every device. */
export function storeBlocksEvidence(stores: readonly StoreLocation[] = DEFAULT_STORES): EvidenceRecorder {
  return {
    name: 'store-blocks',
    produces: ['fact.store-blocks'],
    install(sim: Simulation) {
      const last = new Map<string, string>();
      const read = (device: string, loc: StoreLocation, visible: boolean): CommittedBlocks | null =>
        loc.backend === 'file' ? fileBlocks(sim, device, loc.root) : kvBlocks(sim, device, loc.root, visible);
      const emit = (device: string, loc: StoreLocation, visible: boolean, always: boolean): void => {
        const key = `${device}\u0000${loc.backend}\u0000${loc.root}`;
        const fact = read(device, loc, visible);
        if (fact === null && !last.has(key)) return;
        const body = fact ?? { commit: null, current: null, missing: [], damaged: [] };
        const text = JSON.stringify(body);
        if (!always && last.get(key) === text) return;
        last.set(key, text);
        sim.trace.emit('sim', 'fact.store-blocks', { device, backend: loc.backend, root: loc.root, ...body });
      };
      const deviceOf = (rec: TraceRecord): string | null => (typeof rec.data.device === 'string' ? rec.data.device : (sim.nodes.get(rec.node)?.deviceId ?? null));
      const each = (rec: TraceRecord, backend: StoreLocation['backend'], visible: boolean, always: boolean, touches: (loc: StoreLocation) => boolean = () => true): void => {
        const device = deviceOf(rec);
        if (device !== null) for (const loc of stores) if (loc.backend === backend && touches(loc)) emit(device, loc, visible, always);
      };
      sim.trace.on('node.start', (r) => {
        each(r, 'file', false, true);
        each(r, 'kv', false, true);
      });
      const fileChanged = (r: TraceRecord): void => {
        const path = r.data.path;
        if (typeof path === 'string') each(r, 'file', false, false, (loc) => touchesStore(path, loc.root));
      };
      sim.trace.on('disk.fsyncDir', fileChanged);
      sim.trace.on('disk.fsync', fileChanged);
      sim.trace.on('disk.powerloss', (r) => each(r, 'file', false, false));
      sim.trace.on('kv.commit', (r) => {
        if (r.data.durability !== 'strict') return;
        const touched = r.data.stores as string[];
        each(r, 'kv', true, false, (loc) => touched.includes(`${loc.root}:meta`) || touched.includes(`${loc.root}:blocks`));
      });
      sim.trace.on('kv.durable', (r) => each(r, 'kv', false, false));
      sim.trace.on('kv.powerloss', (r) => each(r, 'kv', false, false));
    },
  };
}
