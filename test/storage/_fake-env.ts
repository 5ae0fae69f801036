/**
 * A minimal in-memory Env for unit tests of the block store outside the simulator: a Map-backed disk
 * (every operation immediately durable; `files` exposes the bytes so tests can damage them), an
 * all-or-nothing kv store, a manual clock and a trace collector. Crash semantics are the simulator's
 * business and are tested through scenarios.
 */
import { EnvError, type Disk, type Env, type KvStore, type KvTx, type Value } from '../../src/impl/env.ts';

/** What the fake env records. */
export interface FakeEnv extends Env {
  files: Map<string, Uint8Array>;
  dirs: Set<string>;
  kvData: Map<string, Map<string, Value>>;
  records: { kind: string; data: Record<string, unknown> }[];
  /** Makes the disk operation named `op` fail with `code`, after `skip` more of them succeed. */
  failNext(op: string, code: 'EIO' | 'ENOSPC', skip?: number): void;
}

function parent(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

function fakeDisk(files: Map<string, Uint8Array>, dirs: Set<string>, check: (op: string) => void): Disk {
  const need = (p: string): Uint8Array => {
    const f = files.get(p);
    if (f === undefined) throw new EnvError('ENOENT', p);
    return f;
  };
  return {
    readFile: async (p) => (check('read'), need(p).slice()),
    read: async (p, off, len) => (check('read'), need(p).slice(off, off + len)),
    writeFile: async (p, d) => {
      check('write');
      if (!dirs.has(parent(p))) throw new EnvError('ENOENT', parent(p));
      files.set(p, d.slice());
    },
    write: async (p, off, d) => {
      check('write');
      const old = files.get(p) ?? new Uint8Array(0);
      const out = new Uint8Array(Math.max(old.length, off + d.length));
      out.set(old);
      out.set(d, off);
      files.set(p, out);
    },
    truncate: async (p, len) => void files.set(p, need(p).slice(0, len)),
    fsync: async () => check('fsync'),
    fsyncDir: async () => check('fsyncDir'),
    mkdir: async (p) => {
      let cur = '';
      for (const part of p.split('/').slice(1)) dirs.add((cur = `${cur}/${part}`));
    },
    rename: async (a, b) => {
      check('rename');
      files.set(b, need(a));
      files.delete(a);
    },
    unlink: async (p) => {
      check('unlink');
      need(p);
      files.delete(p);
    },
    list: async (p) => [...files.keys()].filter((k) => parent(k) === p).map((k) => k.slice(p.length + 1)).sort(),
    stat: async (p) => (files.has(p) ? { kind: 'file', size: files.get(p)!.length } : dirs.has(p) ? { kind: 'dir', size: 0 } : null),
  };
}

function fakeKv(data: Map<string, Map<string, Value>>): KvStore {
  return {
    async transaction(stores, mode, fn) {
      const copy = new Map<string, Map<string, Value>>();
      for (const s of stores) copy.set(s, new Map(data.get(s) ?? []));
      const tx: KvTx = {
        get: async (s, k) => copy.get(s)?.get(String(k)),
        put: async (s, k, v) => {
          if (mode !== 'readwrite') throw new EnvError('ESTATE', 'readonly');
          copy.get(s)!.set(String(k), v instanceof Uint8Array ? v.slice() : v);
        },
        delete: async (s, k) => void copy.get(s)!.delete(String(k)),
        keys: async (s) => [...copy.get(s)!.keys()].sort(),
        abort: () => {
          throw new EnvError('EABORT', 'aborted');
        },
      };
      const result = await fn(tx);
      if (mode === 'readwrite') for (const [s, m] of copy) data.set(s, m);
      return result;
    },
  };
}

/** A fresh fake env (or one sharing `from`'s disk and kv, like a restarted process). */
export function fakeEnv(from?: FakeEnv): FakeEnv {
  const files = from?.files ?? new Map<string, Uint8Array>();
  const dirs = from?.dirs ?? new Set<string>(['/']);
  const kvData = from?.kvData ?? new Map<string, Map<string, Value>>();
  const records: FakeEnv['records'] = [];
  const failures: { op: string; code: 'EIO' | 'ENOSPC'; skip: number }[] = [];
  const check = (op: string): void => {
    const at = failures.findIndex((f) => f.op === op);
    if (at < 0) return;
    if (failures[at]!.skip-- > 0) return;
    throw new EnvError(failures.splice(at, 1)[0]!.code, `injected on ${op}`);
  };
  let nowMs = 1000;
  let nextTimer = 1;
  return {
    nodeId: 'n1',
    deviceId: 'd1',
    incarnation: (from?.incarnation ?? -1) + 1,
    clock: {
      now: () => nowMs++,
      monotonic: () => nowMs,
      sleep: async () => undefined,
      setTimeout: () => nextTimer++,
      setInterval: () => nextTimer++,
      clearTimer: () => undefined,
    },
    random: { float: () => 0.5, int: () => 0, uuid: () => '00000000-0000-4000-8000-000000000000', bytes: (n) => new Uint8Array(n) },
    disk: fakeDisk(files, dirs, check),
    kv: fakeKv(kvData),
    net: undefined as never,
    bus: undefined as never,
    locks: undefined as never,
    trace: { emit: (kind, data) => void records.push({ kind, data: data ?? {} }), probe: () => undefined },
    files,
    dirs,
    kvData,
    records,
    failNext: (op, code, skip = 0) => void failures.push({ op, code, skip }),
  };
}
