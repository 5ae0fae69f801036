/**
 * The block stores' evidence on the real runtime: `fact.store` (the commit point: marker, epoch, committed
 * and pending metadata) and `fact.store-blocks` (the committed block versions and whether each is held
 * intact), read back from what the machine holds (the files below the data directory, the kv store) and
 * decoded with the simulator recorders' own decoders (src/evidence/store.ts `fileStorePoint`,
 * `kvStorePoint`; src/evidence/store-blocks.ts `Watched` over `fileStoreReader` / `kvStoreReader`), never
 * from the store's trace. Written into the run's trace (RunTrace) at the moments the simulator's recorders
 * write them, so the storage checks read a real run as they read a simulated one:
 *
 * - right after an `fsync` or `fsyncDir` the env's disk performed (before the operation resolves to the
 *   implementation, so the fact precedes its next step): `fact.store` for a store's root or an entry in
 *   it, `fact.store-blocks` for the root directory or `blocks/`. A rename is not such a moment: the name
 *   it creates is not durable until the directory is fsynced, and a fact there would let a store that
 *   reports its marker durable before that fsync pass;
 * - right after a strict kv commit (before it resolves) touching `<root>:meta` (or `<root>:blocks`): the kv
 *   log is fsynced up to it, relaxed commits before it included, so what the store holds is durable;
 * - at every start of a process on the device, right after its `node.start`: `fact.store` with
 *   `starting: <node>` when the store exists or the run has seen it, and `fact.store-blocks` always (once
 *   the store holds something).
 *
 * Either fact is written when it changed, per device, backend and root, across the envs and restarts of
 * the run. The real file system offers no separate durable image: what is read is what the machine holds
 * right after the fsync, which is durable as far as the runtime's crashes go (an env's close loses nothing
 * written; the runtime has no power loss). The file backend reads the three documents and the block files
 * the committed and pending metadata name, at each such moment: cost grows with the store's size.
 */
import { readFile } from 'node:fs/promises';
import { decodeMeta, fileStoreReader, kvStoreReader, Watched, type Scope } from '../../evidence/store-blocks.ts';
import { fileStorePoint, kvStorePoint, samePoint, unframeDocument, type DurablePoint, type StoreLocation } from '../../evidence/store.ts';
import { realPath } from './disk.ts';
import { codeOf } from './errors.ts';
import type { RunTrace } from './run-trace.ts';

/** Reads one committed kv value now (the runtime's kv store is in memory). */
export interface KvPeek {
  peek(store: string, key: string): unknown;
}

/** The evidence hooks of one env. */
export interface StoreEvidence {
  /** A process started on the device (after its `node.start`): facts with `starting`. */
  started(node: string): Promise<void>;
  /** After the env's disk fsynced `path` (a file or directory, an Env path). */
  synced(path: string): Promise<void>;
  /** After a kv commit of the env's store touching `stores` (`strict`: its log line is fsynced). */
  kvCommitted(stores: readonly string[], strict: boolean): void;
}

/** What the run remembers of one store of one device (as a simulator recorder does across a device's processes). */
interface StoreMemory {
  point: DurablePoint | undefined;
  /** The kv store of the device's latest env (a restart opens the data directory's store anew). */
  kv: KvPeek;
  /** Decodes `fact.store-blocks` from `files` (file backend) or the kv store. */
  blocks: Watched | null;
  /** The last `fact.store-blocks` body written, as JSON. */
  blocksJson: string | null;
  /** File backend: the documents and block files read at the last moment, by Env path. */
  files: Map<string, Uint8Array | null>;
}

/** Per run: `<device>\0<backend>\0<root>` -> memory. */
const memories = new WeakMap<RunTrace, Map<string, StoreMemory>>();

/** `path` is a store's root or an entry directly in it (the simulator's recorder's rule). */
const inRoot = (loc: StoreLocation, path: string): boolean => path === loc.root || (path.startsWith(`${loc.root}/`) && !path.slice(loc.root.length + 1).includes('/'));

const isEmpty = (p: DurablePoint): boolean => p.marker === null && p.epoch === null && p.meta === null && p.pending === null;

async function readBytes(dataDir: string, path: string): Promise<Uint8Array | null> {
  try {
    const b = await readFile(realPath(dataDir, path));
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if (codeOf(e) === 'ENOENT' || codeOf(e) === 'ENOTDIR') return null;
    throw e;
  }
}

/** The documents of a file store and the block files its committed and pending metadata name. */
async function readFileStore(dataDir: string, root: string): Promise<Map<string, Uint8Array | null>> {
  const files = new Map<string, Uint8Array | null>();
  for (const name of ['marker', 'meta.json', 'pending.json']) files.set(`${root}/${name}`, await readBytes(dataDir, `${root}/${name}`));
  const names = new Set<string>();
  for (const doc of ['meta.json', 'pending.json']) for (const n of decodeMeta(unframeDocument(files.get(`${root}/${doc}`) ?? null))?.names ?? []) names.add(n);
  for (const n of names) files.set(`${root}/blocks/${n}`, await readBytes(dataDir, `${root}/blocks/${n}`));
  return files;
}

/** The evidence of the env on `device` whose disk is rooted at `dataDir` and whose kv store is `kv`. */
export function storeEvidence(run: RunTrace, device: string, dataDir: string, kv: KvPeek): StoreEvidence {
  let runMemory = memories.get(run);
  if (runMemory === undefined) memories.set(run, (runMemory = new Map()));
  const all = runMemory;
  const memoryOf = (loc: StoreLocation): StoreMemory => {
    const key = `${device}\u0000${loc.backend}\u0000${loc.root}`;
    let m = all.get(key);
    if (m === undefined) {
      const files = new Map<string, Uint8Array | null>();
      m = { point: undefined, kv, blocks: null, blocksJson: null, files };
      const mem = m;
      m.blocks = new Watched(loc.backend === 'kv' ? kvStoreReader((store, k) => mem.kv.peek(store, k), loc.root) : fileStoreReader((path) => mem.files.get(path) ?? null, loc.root));
      all.set(key, m);
    }
    return m;
  };
  for (const loc of run.stores) memoryOf(loc).kv = kv; // this env is the device's latest
  const where = (loc: StoreLocation): Record<string, unknown> => ({ device, backend: loc.backend, root: loc.root });

  const writePoint = (loc: StoreLocation, m: StoreMemory, starting?: string): void => {
    const point = loc.backend === 'kv' ? kvStorePoint((key) => kv.peek(`${loc.root}:meta`, key)) : fileStorePoint((path) => m.files.get(path) ?? null, loc.root);
    if (starting === undefined ? samePoint(m.point, point) : m.point === undefined && isEmpty(point)) return;
    m.point = point;
    run.emit('sim', 'fact.store', { ...where(loc), ...point, ...(starting === undefined ? {} : { starting }) });
  };
  const writeBlocks = (loc: StoreLocation, m: StoreMemory, always: boolean, scope: Scope): void => {
    const fact = m.blocks!.next(always, scope);
    if (fact === undefined) return;
    const body = fact ?? { commit: null, current: null, missing: [], damaged: [] };
    const json = JSON.stringify(body); // the file backend's bytes are read afresh: compare what the fact says
    if (!always && json === m.blocksJson) return;
    m.blocksJson = json;
    run.emit('sim', 'fact.store-blocks', { ...where(loc), ...body });
  };
  const refresh = async (loc: StoreLocation, m: StoreMemory): Promise<void> => {
    if (loc.backend === 'file') m.files = await readFileStore(dataDir, loc.root);
  };

  return {
    started: (node) =>
      run.serial(`the stores of ${device} at the start of ${node}`, async () => {
        for (const loc of run.stores) {
          const m = memoryOf(loc);
          await refresh(loc, m);
          writePoint(loc, m, node);
          writeBlocks(loc, m, true, 'all');
        }
      }),
    synced: (path) => {
      const touched = run.stores.filter((loc) => loc.backend === 'file' && inRoot(loc, path));
      if (touched.length === 0) return Promise.resolve();
      return run.serial(`the stores of ${device} after the fsync of ${path}`, async () => {
        for (const loc of touched) {
          const m = memoryOf(loc);
          await refresh(loc, m);
          writePoint(loc, m);
          if (path === loc.root || path === `${loc.root}/blocks`) writeBlocks(loc, m, false, path === loc.root ? 'docs' : 'blocks');
        }
      });
    },
    kvCommitted: (stores, strict) => {
      if (!strict) return;
      try {
        for (const loc of run.stores) {
          if (loc.backend !== 'kv') continue;
          const m = memoryOf(loc);
          const meta = stores.includes(`${loc.root}:meta`);
          if (meta || m.point !== undefined) writePoint(loc, m);
          if (meta || stores.includes(`${loc.root}:blocks`)) writeBlocks(loc, m, false, 'all');
        }
      } catch (e) {
        run.evidenceFailed(`the kv stores of ${device} after a strict commit`, e);
      }
    },
  };
}
