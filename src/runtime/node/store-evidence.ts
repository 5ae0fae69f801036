/**
 * `fact.store` on the real runtime: the commit point of the block stores of one env's device, read back
 * from what the machine holds (the files below the data directory, the kv store) and decoded with the
 * simulator recorder's own decoders (src/evidence/store.ts `fileStorePoint`, `kvStorePoint`), never from
 * the store's trace. Written into the run's trace (RunTrace) at the moments the simulator's recorder writes
 * it, so the recovery model reads a real run as it reads a simulated one:
 *
 * - right after an `fsync` or `fsyncDir` the env's disk performed on a store's root or one of its
 *   documents (before the operation resolves to the implementation, so the fact precedes its next step).
 *   A rename is not a moment: the name it creates is not durable until the directory is fsynced, and a
 *   fact there would let a store that reports its marker durable before that fsync pass;
 * - right after a strict kv commit (before it resolves): the kv log is fsynced up to it, relaxed commits
 *   before it included, so what the store holds is durable;
 * - at every start of a process on the device (`starting: <node>`, right after its `node.start`), when the
 *   store exists or the run has seen it.
 *
 * A fact is written when the point changed (as in the simulator), per device, backend and root, across
 * the envs and restarts of the run. The real file system offers no separate durable image: what is read
 * is what the machine holds right after the fsync, which is durable as far as the runtime's crashes go
 * (an env's close loses nothing written; the runtime has no power loss).
 */
import { readFile } from 'node:fs/promises';
import { fileStorePoint, kvStorePoint, samePoint, type DurablePoint, type StoreLocation } from '../../evidence/store.ts';
import { realPath } from './disk.ts';
import { codeOf } from './errors.ts';
import type { RunTrace } from './run-trace.ts';

/** Reads one store's point now (the kv reader is synchronous: the runtime's kv store is in memory). */
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

/** `path` is a store's root or an entry directly in it (the simulator's recorder's rule). */
const inRoot = (loc: StoreLocation, path: string): boolean => path === loc.root || (path.startsWith(`${loc.root}/`) && !path.slice(loc.root.length + 1).includes('/'));

/** Reads every document of a file store into memory (absent: null). */
async function readDocs(dataDir: string, root: string): Promise<Map<string, Uint8Array | null>> {
  const docs = new Map<string, Uint8Array | null>();
  for (const name of ['marker', 'meta.json', 'pending.json']) {
    const path = `${root}/${name}`;
    try {
      const b = await readFile(realPath(dataDir, path));
      docs.set(path, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    } catch (e) {
      if (codeOf(e) !== 'ENOENT' && codeOf(e) !== 'ENOTDIR') throw e;
      docs.set(path, null);
    }
  }
  return docs;
}

const isEmpty = (p: DurablePoint): boolean => p.marker === null && p.epoch === null && p.meta === null && p.pending === null;

/** The evidence of the env on `device` whose disk is rooted at `dataDir` and whose kv store is `kv`. */
export function storeEvidence(run: RunTrace, device: string, dataDir: string, kv: KvPeek): StoreEvidence {
  const keyOf = (loc: StoreLocation): string => `${device}\u0000${loc.backend}\u0000${loc.root}`;
  const write = (loc: StoreLocation, point: DurablePoint, starting?: string): void => {
    const key = keyOf(loc);
    if (starting === undefined && samePoint(run.points.get(key), point)) return;
    run.points.set(key, point);
    run.emit('sim', 'fact.store', { device, backend: loc.backend, root: loc.root, ...point, ...(starting === undefined ? {} : { starting }) });
  };
  const kvPoint = (loc: StoreLocation): DurablePoint => kvStorePoint((key) => kv.peek(`${loc.root}:meta`, key));
  const filePoint = async (loc: StoreLocation): Promise<DurablePoint> => {
    const docs = await readDocs(dataDir, loc.root);
    return fileStorePoint((path) => docs.get(path) ?? null, loc.root);
  };
  const files = run.stores.filter((s) => s.backend === 'file');
  const kvs = run.stores.filter((s) => s.backend === 'kv');
  return {
    started: (node) =>
      run.serial(async () => {
        for (const loc of run.stores) {
          const point = loc.backend === 'kv' ? kvPoint(loc) : await filePoint(loc);
          if (run.points.has(keyOf(loc)) || !isEmpty(point)) write(loc, point, node);
        }
      }),
    synced: (path) => {
      const touched = files.filter((loc) => inRoot(loc, path));
      if (touched.length === 0) return Promise.resolve();
      return run.serial(async () => {
        for (const loc of touched) write(loc, await filePoint(loc));
      });
    },
    kvCommitted: (stores, strict) => {
      if (!strict) return;
      for (const loc of kvs) if (stores.includes(`${loc.root}:meta`) || run.points.has(keyOf(loc))) write(loc, kvPoint(loc));
    },
  };
}
