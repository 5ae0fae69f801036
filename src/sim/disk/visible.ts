/**
 * The visible state of a disk: what processes see (the page cache), held in a memfs volume.
 *
 * memfs holds names and bytes; beside it a small index maps paths to file inodes (`VFile`: our inode
 * number, the memfs descriptor kept open on it, its size and link count) and records which paths are
 * directories, so lookups and POSIX error codes never depend on memfs internals. Only memfs's synchronous
 * API is used, and file times it stamps are never read. A descriptor follows its inode across renames.
 */
import { Volume } from 'memfs';
import { EnvError, type EnvErrorCode } from '../../impl/env.ts';
import type { DurableImage } from './image.ts';
import { ancestorsOf, depthOf, parentOf, ROOT } from './paths.ts';

/** A visible file inode. */
export interface VFile {
  readonly ino: number;
  /** memfs descriptor open on the inode. */
  fd: number;
  size: number;
  /** Visible names of the inode (more than one only after a non-atomic rename landed half-way). */
  nlink: number;
}

/** An EnvError for operation `op` on `path`. */
export function diskError(code: EnvErrorCode, op: string, path: string, detail: string): EnvError {
  return new EnvError(code, `${op} '${path}': ${detail}`);
}

/** The visible file system of one disk. */
export class VisibleFs {
  private vol = new Volume();
  /** Visible directories, root included. */
  readonly dirs = new Set<string>([ROOT]);
  /** Visible file entries. */
  readonly files = new Map<string, VFile>();
  /** Bytes of visible file contents (each inode counted once). */
  usedBytes = 0;

  /** Throws ENOTDIR or ENOENT unless `path`'s parent is a visible directory. */
  requireParent(path: string, op: string): void {
    if (this.dirs.has(parentOf(path))) return;
    for (const a of ancestorsOf(path)) {
      if (this.files.has(a)) throw diskError('ENOTDIR', op, path, `'${a}' is a file`);
      if (!this.dirs.has(a)) throw diskError('ENOENT', op, path, `directory '${a}' does not exist`);
    }
    throw diskError('ENOENT', op, path, `directory '${parentOf(path)}' does not exist`);
  }

  /** Throws ENOENT, ENOTDIR unless `path` is a visible directory. */
  requireDir(path: string, op: string): void {
    if (this.dirs.has(path)) return;
    if (this.files.has(path)) throw diskError('ENOTDIR', op, path, 'is a file');
    this.requireParent(path, op);
    throw diskError('ENOENT', op, path, 'no such directory');
  }

  /** The file at `path`, or undefined when nothing is there. Throws EISDIR for a directory. */
  lookupFile(path: string, op: string): VFile | undefined {
    const f = this.files.get(path);
    if (f !== undefined) return f;
    if (this.dirs.has(path)) throw diskError('EISDIR', op, path, 'is a directory');
    return undefined;
  }

  /** The file at `path`; throws ENOENT, ENOTDIR or EISDIR. */
  file(path: string, op: string): VFile {
    const f = this.lookupFile(path, op);
    if (f !== undefined) return f;
    this.requireParent(path, op);
    throw diskError('ENOENT', op, path, 'no such file');
  }

  /** Creates an empty file inode `ino` at `path` (its parent exists, nothing is at `path`). */
  createFile(path: string, ino: number): VFile {
    const f: VFile = { ino, fd: this.vol.openSync(path, 'w+'), size: 0, nlink: 1 };
    this.files.set(path, f);
    return f;
  }

  /** Writes `data` at `offset` of `f`. */
  writeAt(f: VFile, offset: number, data: Uint8Array): void {
    if (data.length > 0) this.vol.writeSync(f.fd, data, 0, data.length, offset);
    const end = offset + data.length;
    if (end > f.size) {
      this.usedBytes += end - f.size;
      f.size = end;
    }
  }

  /** Sets `f`'s length (zero-filled when growing). */
  truncate(f: VFile, length: number): void {
    this.vol.ftruncateSync(f.fd, length);
    this.usedBytes += length - f.size;
    f.size = length;
  }

  /** Up to `length` bytes at `offset` of `f`, as a fresh copy. */
  read(f: VFile, offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, f.size - offset));
    const out = new Uint8Array(n);
    if (n > 0) this.vol.readSync(f.fd, out, 0, n, offset);
    return out;
  }

  /** All of `f`'s bytes, as a fresh copy. */
  readAll(f: VFile): Uint8Array {
    return this.read(f, 0, f.size);
  }

  /** Creates directory `path` (its parent exists, nothing is at `path`). */
  mkdir(path: string): void {
    this.vol.mkdirSync(path);
    this.dirs.add(path);
  }

  /** Moves file `from` to `to`, replacing the file at `to` if any (both checked by the caller). */
  rename(from: string, to: string): void {
    const f = this.files.get(from)!;
    const replaced = this.files.get(to);
    // memfs 4.80 miscounts a directory's children when renameSync replaces a file (a later rmdir then
    // fails with ENOTEMPTY), so the destination is unlinked first; nobody can observe the gap.
    if (replaced !== undefined) this.vol.unlinkSync(to);
    this.vol.renameSync(from, to);
    this.files.delete(from);
    this.files.set(to, f);
    if (replaced !== undefined) this.dropLink(replaced);
  }

  /** Removes the file entry `path` (checked by the caller). */
  unlink(path: string): void {
    const f = this.files.get(path)!;
    this.vol.unlinkSync(path);
    this.files.delete(path);
    this.dropLink(f);
  }

  private dropLink(f: VFile): void {
    if (--f.nlink > 0) return;
    this.vol.closeSync(f.fd);
    this.usedBytes -= f.size;
  }

  /** Names in directory `path` (checked by the caller), sorted. */
  list(path: string): string[] {
    const names = this.vol.readdirSync(path) as string[];
    return names.map(String).sort();
  }

  /** Path -> copy of the contents of every visible file, sorted by path. */
  snapshot(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const p of [...this.files.keys()].sort()) out.set(p, this.readAll(this.files.get(p)!));
    return out;
  }

  /**
   * Makes the visible state equal a normalized durable image after a power loss, redoing only what
   * differs: entries that name another inode (or none), directories that appeared or vanished, and the
   * contents of `touched` inodes (those with pending data ops). Every other inode's visible contents
   * already equal its durable contents (the invariant in state.ts), so the cost follows the pending
   * work, not the size of the disk.
   */
  reconcile(image: DurableImage, touched: ReadonlySet<number>): void {
    for (const [p, f] of [...this.files]) if (image.files.get(p) !== f.ino) this.unlink(p);
    const goneDirs = [...this.dirs].filter((d) => d !== ROOT && !image.dirs.has(d));
    for (const d of goneDirs.sort((a, b) => depthOf(b) - depthOf(a))) {
      this.vol.rmdirSync(d);
      this.dirs.delete(d);
    }
    const newDirs = [...image.dirs].filter((d) => !this.dirs.has(d));
    for (const d of newDirs.sort((a, b) => depthOf(a) - depthOf(b) || (a < b ? -1 : 1))) this.mkdir(d);
    const byIno = new Map<number, { f: VFile; path: string }>();
    for (const [p, f] of this.files) if (!byIno.has(f.ino)) byIno.set(f.ino, { f, path: p });
    const written = new Set<number>();
    for (const [p, ino] of image.files) {
      if (this.files.has(p)) continue;
      const other = byIno.get(ino);
      if (other !== undefined) {
        this.vol.linkSync(other.path, p);
        other.f.nlink++;
        this.files.set(p, other.f);
        continue;
      }
      const f = this.createFile(p, ino);
      this.writeAt(f, 0, image.contentOf(ino));
      byIno.set(ino, { f, path: p });
      written.add(ino);
    }
    for (const ino of touched) {
      const entry = byIno.get(ino);
      if (entry === undefined || written.has(ino)) continue;
      const bytes = image.contentOf(ino);
      if (bytes.length < entry.f.size) this.truncate(entry.f, bytes.length);
      this.writeAt(entry.f, 0, bytes);
    }
  }

  /** Replaces everything with the contents of a normalized durable image (a fresh volume). */
  rebuild(image: DurableImage): void {
    this.vol = new Volume();
    this.dirs.clear();
    this.dirs.add(ROOT);
    this.files.clear();
    this.usedBytes = 0;
    const dirs = [...image.dirs].sort((a, b) => depthOf(a) - depthOf(b) || (a < b ? -1 : 1));
    for (const d of dirs) this.mkdir(d);
    const byIno = new Map<number, { f: VFile; path: string }>();
    for (const p of [...image.files.keys()].sort()) {
      const ino = image.files.get(p)!;
      const first = byIno.get(ino);
      if (first !== undefined) {
        this.vol.linkSync(first.path, p);
        first.f.nlink++;
        this.files.set(p, first.f);
        continue;
      }
      const f = this.createFile(p, ino);
      this.writeAt(f, 0, image.contentOf(ino));
      byIno.set(ino, { f, path: p });
    }
  }
}
