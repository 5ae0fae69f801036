/**
 * The real runtime's Disk: node:fs/promises below a root directory.
 *
 * Env paths are absolute ('/a/b') and map below the root; a path with an empty, '.' or '..' component is
 * rejected (so nothing escapes the root), and the top-level name `.kv` is reserved for the runtime's own
 * state (the kv log) and hidden from `list('/')`. `fsync` is FileHandle.sync(); `fsyncDir` opens the
 * directory read-only and syncs it (platforms that refuse, with EISDIR, EINVAL or EPERM, are ignored).
 * Node error codes become EnvError codes (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, ENOSPC, else EIO).
 * Symbolic links placed inside the root by someone else are followed: the root is trusted.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvError, type Disk, type FileStat } from '../../impl/env.ts';
import { codeOf, toEnvError } from './errors.ts';
import type { Life } from './life.ts';

/** Top-level name below the root reserved for the runtime (kv log, incarnation counters). */
export const RESERVED_DIR = '.kv';

/** Largest single read, bytes (a bigger `length` is a RangeError). */
export const READ_BYTES_MAX = 256 * 1024 * 1024;

/** Codes with which platforms refuse to fsync a directory; the call then does nothing. */
const DIR_SYNC_REFUSED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF']);

/** Maps an Env path to a real path below `root`; throws a TypeError naming the field when it is malformed. */
export function realPath(root: string, path: unknown, field = 'path'): string {
  if (typeof path !== 'string') throw new TypeError(`${field} must be a string, got ${typeof path}`);
  if (path === '/') return root;
  if (!path.startsWith('/')) throw new TypeError(`${field} '${path}' must be absolute (start with '/')`);
  if (path.endsWith('/')) throw new TypeError(`${field} '${path}' must not end with '/'`);
  if (path.includes('\0')) throw new TypeError(`${field} must not contain NUL`);
  const parts = path.slice(1).split('/');
  for (const part of parts) {
    if (part === '..') throw new TypeError(`${field} '${path}' has a '..' component: paths may not escape the data directory`);
    if (part === '' || part === '.') throw new TypeError(`${field} '${path}' has an empty or '.' component`);
  }
  if (parts[0] === RESERVED_DIR) throw new TypeError(`${field} '${path}' is inside '/${RESERVED_DIR}', reserved for the runtime`);
  return join(root, ...parts);
}

/**
 * Builds the disk of one env, rooted at the existing directory `root`. `synced` (the run trace's evidence)
 * runs after every successful fsync and fsyncDir, before the operation resolves.
 */
export function createDisk(life: Life, root: string, synced: ((path: string) => Promise<void>) | null = null): Disk {
  /** Runs one operation, mapping its errors and honouring close. */
  const op = <T>(what: string, path: unknown, fn: (real: string) => Promise<T>): Promise<T> =>
    life.run(async () => {
      const real = realPath(root, path);
      try {
        return await fn(real);
      } catch (e) {
        throw toEnvError(e, `${what} '${String(path)}'`);
      }
    });

  return {
    readFile: (path) => op('readFile', path, async (real) => asBytes(await readFile(real))),
    read: (path, offset, length) =>
      op('read', path, (real) => {
        checkCount('offset', offset, Number.MAX_SAFE_INTEGER);
        checkCount('length', length, READ_BYTES_MAX);
        return withHandle(real, 'r', (fh) => readAt(fh, offset, length));
      }),
    writeFile: (path, data) =>
      op('writeFile', path, (real) => {
        checkBytes(data);
        return writeFile(real, data);
      }),
    write: (path, offset, data) =>
      op('write', path, (real) => {
        checkCount('offset', offset, Number.MAX_SAFE_INTEGER);
        checkBytes(data);
        return withHandle(real, constants.O_RDWR | constants.O_CREAT, (fh) => writeAt(fh, offset, data));
      }),
    truncate: (path, length) =>
      op('truncate', path, async (real) => {
        checkCount('length', length, Number.MAX_SAFE_INTEGER);
        if ((await stat(real)).isDirectory()) throw new EnvError('EISDIR', `truncate '${path}': is a directory`);
        await truncate(real, length);
      }),
    fsync: (path) =>
      op('fsync', path, (real) =>
        withHandle(real, 'r', async (fh) => {
          if ((await fh.stat()).isDirectory()) throw new EnvError('EISDIR', `fsync '${path}': is a directory (use fsyncDir)`);
          await fh.sync();
          await synced?.(path);
        }),
      ),
    fsyncDir: (path) =>
      op('fsyncDir', path, async (real) => {
        await syncDir(real, path);
        await synced?.(path);
      }),
    mkdir: (path) => op('mkdir', path, async (real) => void (await mkdir(real, { recursive: true }))),
    rename: (from, to) =>
      op('rename', from, async (realFrom) => {
        if (from === '/' || to === '/') throw new TypeError('rename of the root directory');
        await rename(realFrom, realPath(root, to, 'to'));
      }),
    unlink: (path) => op('unlink', path, (real) => unlinkFile(real, path)),
    list: (path) =>
      op('list', path, async (real) => {
        const names = await readdir(real);
        return (path === '/' ? names.filter((n) => n !== RESERVED_DIR) : names).sort();
      }),
    stat: (path) => op('stat', path, (real) => statOf(real)),
  };
}

/** Opens `real`, runs `fn` on the handle and always closes it. */
async function withHandle<T>(real: string, flags: string | number, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
  const fh = await open(real, flags, 0o666);
  try {
    return await fn(fh);
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return asBytes(buf.subarray(0, got));
}

async function writeAt(fh: FileHandle, offset: number, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
    done += bytesWritten;
  }
}

async function syncDir(real: string, path: string): Promise<void> {
  const info = await stat(real);
  if (!info.isDirectory()) throw new EnvError('ENOTDIR', `fsyncDir '${path}': is a file`);
  await syncRealDir(real);
}

/** fsync of the real directory `real`; platforms that refuse (EISDIR, EINVAL, EPERM, EBADF) are ignored. */
export async function syncRealDir(real: string): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(real, 'r');
  } catch (e) {
    if (DIR_SYNC_REFUSED.has(codeOf(e) ?? '')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!DIR_SYNC_REFUSED.has(codeOf(e) ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

async function unlinkFile(real: string, path: string): Promise<void> {
  try {
    await unlink(real);
  } catch (e) {
    // macOS reports unlink of a directory as EPERM; the Env says EISDIR.
    if (codeOf(e) === 'EPERM' && (await statOf(real))?.kind === 'dir') throw new EnvError('EISDIR', `unlink '${path}': is a directory`);
    throw e;
  }
}

async function statOf(real: string): Promise<FileStat | null> {
  try {
    const s = await stat(real);
    return s.isDirectory() ? { kind: 'dir', size: 0 } : { kind: 'file', size: s.size };
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return null;
    throw e;
  }
}

/** A plain Uint8Array view of a Buffer's bytes (callers compare with Uint8Array, not Buffer). */
function asBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function checkCount(field: string, value: unknown, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${field} must be an integer in [0, ${max}], got ${String(value)}`);
  }
}

function checkBytes(data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
}
