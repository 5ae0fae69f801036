/**
 * `fact.store`: the durable commit point of every block store, read from the simulator's durable image
 * (what a power loss now would leave), never from the store's own trace.
 *
 *   fact.store {device, backend, root, marker, epoch, meta, pending[, starting]}   (node 'sim')
 *
 * - marker / epoch: commit number and fencing epoch of the durable commit marker (null: absent, torn or
 *   rotten: its frame check fails);
 * - meta: commit number of the durable committed metadata (null: absent or invalid);
 * - pending: commit number of the durable pending metadata (file backend: a commit in progress; null when
 *   there is none; always null on kv, whose commits are one transaction).
 *
 * Emitted whenever one of these values changes on a device, right after the simulator record that
 * changed it, and again at every `node.start` on a device whose store it has seen, with `starting: <node>`
 * (the process starting learns the point as it is; listeners may see this fact before the node.start): `disk.fsyncDir` / `disk.fsync` of the store's root or its documents, `disk.powerloss` (the
 * pending operations that landed), a strict `kv.commit` touching `<root>:meta`, `kv.durable` (relaxed
 * commits made durable) and `kv.powerloss` (relaxed commits lost). So before the store can report a commit
 * durable, or a recovery can decide, the model already knows the truth.
 *
 * Formats decoded here, independently of `src/impl` (docs/storage.md): file backend `<root>/marker`,
 * `<root>/meta.json`, `<root>/pending.json`, each framed `<crc32 of body, 8 hex>\n<json body>`, the marker
 * `{commit, epoch}`, metadata `{commit, ...}`; kv backend object store `<root>:meta`, keys `marker`
 * (`{commit, epoch}`) and `meta` (`{commit, ...}`).
 */
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { crc32 } from './block-checksum.ts';
import type { EvidenceRecorder } from './types.ts';

/** A block store to watch: its backend and root (file: a directory; kv: the object store prefix). */
export interface StoreLocation {
  backend: 'file' | 'kv';
  root: string;
}

/** The default locations of the project's scenarios: file root '/store', kv root 'store'. */
export const DEFAULT_STORES: readonly StoreLocation[] = [
  { backend: 'file', root: '/store' },
  { backend: 'kv', root: 'store' },
];

/** The durable commit point of one store (the fields of `fact.store` besides device, backend and root). */
export interface DurablePoint {
  marker: number | null;
  epoch: number | null;
  meta: number | null;
  pending: number | null;
}

const decoder = new TextDecoder();

/** A framed document's body bytes, or null when the frame is torn or rotten (its checksum fails). */
export function framedBody(bytes: Uint8Array | null): Uint8Array | null {
  if (bytes === null || bytes.length < 10 || bytes[8] !== 10) return null;
  // Eight hex digits (as written) read as parseInt reads them, without decoding a string; else parseInt.
  let want = 0;
  for (let i = 0; i < 8; i++) {
    const c = bytes[i]!;
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) {
      want = Number.parseInt(decoder.decode(bytes.subarray(0, 8)), 16);
      break;
    }
    want = want * 16 + d;
  }
  const body = bytes.subarray(9);
  return Number.isFinite(want) && crc32(body) === want ? body : null;
}

/** A framed document's JSON body, or null when the frame is torn, rotten or not JSON. */
export function unframeDocument(bytes: Uint8Array | null): unknown {
  const body = framedBody(bytes);
  if (body === null) return null;
  try {
    // The body as latin1 (faster than UTF-8): every field read from a document is a number or an ASCII
    // name, which read the same either way.
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('latin1')) as unknown;
  } catch {
    return null;
  }
}

/**
 * `unframeDocument` memoized per byte array, for arrays that never change (the simulator's durable file
 * contents are immutable and shared): a document is decoded once per run, not at every fsync of its
 * directory, and once for all the evidence that reads it (store.ts, store-blocks.ts). The body is shared:
 * do not mutate it.
 */
export function durableDocument(bytes: Uint8Array | null): unknown {
  if (bytes === null) return null;
  let out = bodies.get(bytes);
  if (out === undefined && !bodies.has(bytes)) bodies.set(bytes, (out = unframeDocument(bytes)));
  return out;
}
const bodies = new WeakMap<Uint8Array, unknown>();

const commitOf = (doc: unknown): number | null => {
  const c = (doc as { commit?: unknown } | null)?.commit;
  return typeof c === 'number' && Number.isInteger(c) && c >= 0 ? c : null;
};
const epochOf = (doc: unknown): number | null => {
  const e = (doc as { epoch?: unknown } | null)?.epoch;
  return typeof e === 'number' && Number.isInteger(e) && e >= 0 ? e : null;
};

/**
 * The durable point of a file-backend store whose documents `read(path)` returns (null: absent), decoded
 * with the frame checks: the simulator reads its durable image, the real runtime its data directory.
 */
export function fileStorePoint(read: (path: string) => Uint8Array | null, root: string, decode: (bytes: Uint8Array | null) => unknown = unframeDocument): DurablePoint {
  let paths = docPaths.get(root);
  if (paths === undefined) docPaths.set(root, (paths = [`${root}/marker`, `${root}/meta.json`, `${root}/pending.json`]));
  const marker = decode(read(paths[0]));
  const markerCommit = commitOf(marker);
  return {
    marker: markerCommit,
    epoch: markerCommit === null ? null : epochOf(marker),
    meta: commitOf(decode(read(paths[1]))),
    pending: commitOf(decode(read(paths[2]))),
  };
}

/** The document paths of a file-backend store's root (built once: a string's hash is computed once). */
const docPaths = new Map<string, readonly [marker: string, meta: string, pending: string]>();

/** The durable point of a kv-backend store whose `<root>:meta` object store `get(key)` reads. */
export function kvStorePoint(get: (key: string) => unknown): DurablePoint {
  const marker = get('marker');
  const markerCommit = commitOf(marker);
  return { marker: markerCommit, epoch: markerCommit === null ? null : epochOf(marker), meta: commitOf(get('meta')), pending: null };
}

/** The durable point of a file-backend store on `sim`'s device `device`. */
function fileDurable(sim: Simulation, device: string, root: string): DurablePoint {
  const disk = sim.device(device).disk;
  return fileStorePoint((path) => disk.durableFile(path), root, durableDocument);
}

/**
 * The durable point of a kv-backend store whose object store is `metaStore` (`<root>:meta`, a name made once
 * per location: a name built per call is hashed again at each lookup); `visible`: read what is visible (a
 * strict commit just made it durable).
 */
function kvDurable(sim: Simulation, device: string, metaStore: string, visible: boolean): DurablePoint {
  const kv = sim.device(device).kv;
  return kvStorePoint((key) => (visible ? kv.visibleGet(metaStore, key) : kv.durableGet(metaStore, key)));
}

/** Two points are the same (a fact is written only when the point changed). */
export const samePoint = (a: DurablePoint | undefined, b: DurablePoint): boolean =>
  a !== undefined && a.marker === b.marker && a.epoch === b.epoch && a.meta === b.meta && a.pending === b.pending;

/** Records `fact.store` for the block stores at `stores` on every device. */
export function storeEvidence(stores: readonly StoreLocation[] = DEFAULT_STORES): EvidenceRecorder {
  return {
    name: 'store-durable',
    produces: ['fact.store'],
    install(sim: Simulation) {
      // The last point written, by device, per store (locations naming the same store share one map).
      const lastAt = new Map<StoreLocation, Map<string, DurablePoint>>();
      const byStore = new Map<string, Map<string, DurablePoint>>();
      for (const loc of stores) {
        const key = `${loc.backend}\u0000${loc.root}`;
        if (!byStore.has(key)) byStore.set(key, new Map());
        lastAt.set(loc, byStore.get(key)!);
      }
      const emit = (device: string, loc: StoreLocation, point: DurablePoint): void => {
        const last = lastAt.get(loc)!;
        if (samePoint(last.get(device), point)) return;
        last.set(device, point);
        // The fields of `{ device, backend, root, ...point }`, in that order, without the spread.
        sim.trace.emit('sim', 'fact.store', { device, backend: loc.backend, root: loc.root, marker: point.marker, epoch: point.epoch, meta: point.meta, pending: point.pending });
      };
      // A process starting on a device learns the durable point of its stores as it is (it may have missed
      // every change: another tab of the device committed before it started).
      sim.trace.on('node.start', (r) => {
        const device = typeof r.data.device === 'string' ? r.data.device : null;
        if (device === null) return;
        for (const loc of stores) {
          const point = lastAt.get(loc)!.get(device);
          if (point !== undefined) sim.trace.emit('sim', 'fact.store', { device, backend: loc.backend, root: loc.root, ...point, starting: r.node });
        }
      });
      const deviceOf = (rec: TraceRecord): string | null => (typeof rec.data.device === 'string' ? rec.data.device : (sim.nodes.get(rec.node)?.deviceId ?? null));
      const files = stores.filter((s) => s.backend === 'file');
      const kvs = stores.filter((s) => s.backend === 'kv');
      const fileChanged = (rec: TraceRecord, path: unknown): void => {
        const device = deviceOf(rec);
        if (device === null || typeof path !== 'string') return;
        for (const loc of files) {
          // The root itself, or an entry directly in it.
          const inRoot = path.length > loc.root.length && path.startsWith(loc.root) && path[loc.root.length] === '/' && !path.includes('/', loc.root.length + 1);
          if (path === loc.root || inRoot) emit(device, loc, fileDurable(sim, device, loc.root));
        }
      };
      if (files.length > 0) {
        sim.trace.on('disk.fsyncDir', (r) => fileChanged(r, r.data.path));
        sim.trace.on('disk.fsync', (r) => fileChanged(r, r.data.path));
        sim.trace.on('disk.powerloss', (r) => {
          const device = deviceOf(r);
          if (device !== null) for (const loc of files) emit(device, loc, fileDurable(sim, device, loc.root));
        });
      }
      if (kvs.length > 0) {
        const metaStores = kvs.map((loc) => `${loc.root}:meta`);
        sim.trace.on('kv.commit', (r) => {
          if (r.data.durability !== 'strict') return;
          const device = deviceOf(r);
          const touched = r.data.stores as string[];
          if (device !== null) for (let k = 0; k < kvs.length; k++) if (touched.includes(metaStores[k]!)) emit(device, kvs[k]!, kvDurable(sim, device, metaStores[k]!, true));
        });
        const relaxedSettled = (r: TraceRecord): void => {
          const device = deviceOf(r);
          if (device === null) return;
          for (let k = 0; k < kvs.length; k++) {
            const loc = kvs[k]!;
            if (lastAt.get(loc)!.has(device) || sim.device(device).kv.durableGet(metaStores[k]!, 'marker') !== undefined) emit(device, loc, kvDurable(sim, device, metaStores[k]!, false));
          }
        };
        sim.trace.on('kv.durable', relaxedSettled);
        sim.trace.on('kv.powerloss', relaxedSettled);
      }
    },
  };
}
