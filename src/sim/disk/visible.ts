/**
 * The visible state of a disk: what processes see (the page cache).
 *
 * Plain maps: paths to file inodes (`VFile`: our inode number, its bytes, size and link count) and the
 * set of directory paths, so lookups and POSIX error codes follow our own rules. (This was a memfs volume
 * beside the same index; memfs's path walks, descriptors and time stamps through the virtualised Date cost
 * about a fifth of a storage swarm's run, and the index already held everything the disk needs.) A file's
 * bytes may be an array shared with a pending op or the durable image (immutable there): it is copied
 * before the first change in place (`own`), so a whole-file write or a rebuild from the image never copies.
 */
import { EnvError, type EnvErrorCode } from '../../impl/env.ts';
import type { DurableImage } from './image.ts';
import { ancestorsOf, parentOf, ROOT } from './paths.ts';

const EMPTY = new Uint8Array(0);

/** A visible file inode. */
export interface VFile {
  readonly ino: number;
  /** The contents are `data[0, size)`; bytes from `size` on are zero when `own`. */
  data: Uint8Array;
  /** `data` is this file's own buffer (else it is shared and immutable: copy before changing it). */
  own: boolean;
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
    const f: VFile = { ino, data: EMPTY, own: false, size: 0, nlink: 1 };
    this.files.set(path, f);
    return f;
  }

  /** `f`'s own buffer with room for `n` bytes (zero beyond its size), copying a shared one first. */
  private room(f: VFile, n: number): Uint8Array {
    if (f.own && n <= f.data.length) return f.data;
    const next = new Uint8Array(f.own ? Math.max(n, f.data.length * 2) : Math.max(n, f.size));
    next.set(f.data.subarray(0, f.size));
    f.data = next;
    f.own = true;
    return next;
  }

  /** Writes `data` at `offset` of `f` (a gap after the end reads as zeros). */
  writeAt(f: VFile, offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (data.length > 0) this.room(f, end).set(data, offset);
    if (end > f.size) {
      this.usedBytes += end - f.size;
      f.size = end;
    }
  }

  /** The contents of `f` become `data`, which is immutable from now on (shared, not copied). */
  replace(f: VFile, data: Uint8Array): void {
    this.usedBytes += data.length - f.size;
    f.data = data;
    f.own = false;
    f.size = data.length;
  }

  /** Sets `f`'s length (zero-filled when growing). */
  truncate(f: VFile, length: number): void {
    if (length < f.size) {
      if (f.own) f.data.fill(0, length, f.size);
    } else if (length > f.size) this.room(f, length);
    this.usedBytes += length - f.size;
    f.size = length;
  }

  /** Up to `length` bytes at `offset` of `f`, as a fresh copy. */
  read(f: VFile, offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, f.size - offset));
    return n > 0 ? f.data.slice(offset, offset + n) : new Uint8Array(0);
  }

  /** All of `f`'s bytes, as a fresh copy. */
  readAll(f: VFile): Uint8Array {
    return this.read(f, 0, f.size);
  }

  /** Creates directory `path` (its parent exists, nothing is at `path`). */
  mkdir(path: string): void {
    this.dirs.add(path);
  }

  /** Moves file `from` to `to`, replacing the file at `to` if any (both checked by the caller). */
  rename(from: string, to: string): void {
    const f = this.files.get(from)!;
    const replaced = this.files.get(to);
    this.files.delete(from);
    this.files.set(to, f);
    if (replaced !== undefined) this.dropLink(replaced);
  }

  /** Removes the file entry `path` (checked by the caller). */
  unlink(path: string): void {
    const f = this.files.get(path)!;
    this.files.delete(path);
    this.dropLink(f);
  }

  /** A second name `to` for the file at `from` (a hard link). */
  private link(f: VFile, to: string): void {
    f.nlink++;
    this.files.set(to, f);
  }

  private dropLink(f: VFile): void {
    if (--f.nlink > 0) return;
    this.usedBytes -= f.size;
  }

  /** Names in directory `path` (checked by the caller), sorted. */
  list(path: string): string[] {
    const names: string[] = [];
    for (const d of this.dirs) if (d !== ROOT && parentOf(d) === path) names.push(d.slice(d.lastIndexOf('/') + 1));
    for (const p of this.files.keys()) if (parentOf(p) === path) names.push(p.slice(p.lastIndexOf('/') + 1));
    return names.sort();
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
    for (const d of [...this.dirs]) if (d !== ROOT && !image.dirs.has(d)) this.dirs.delete(d);
    for (const d of image.dirs) this.dirs.add(d);
    const byIno = new Map<number, VFile>();
    for (const f of this.files.values()) byIno.set(f.ino, f);
    const written = new Set<number>();
    for (const [p, ino] of image.files) {
      if (this.files.has(p)) continue;
      const other = byIno.get(ino);
      if (other !== undefined) {
        this.link(other, p);
        continue;
      }
      const f = this.createFile(p, ino);
      this.replace(f, image.contentOf(ino));
      byIno.set(ino, f);
      written.add(ino);
    }
    for (const ino of touched) {
      const f = byIno.get(ino);
      if (f !== undefined && !written.has(ino)) this.replace(f, image.contentOf(ino));
    }
  }

  /** Replaces everything with the contents of a normalized durable image. */
  rebuild(image: DurableImage): void {
    this.dirs.clear();
    this.dirs.add(ROOT);
    this.files.clear();
    this.usedBytes = 0;
    for (const d of image.dirs) this.dirs.add(d);
    const byIno = new Map<number, VFile>();
    for (const p of [...image.files.keys()].sort()) {
      const ino = image.files.get(p)!;
      const first = byIno.get(ino);
      if (first !== undefined) {
        this.link(first, p);
        continue;
      }
      const f = this.createFile(p, ino);
      this.replace(f, image.contentOf(ino));
      byIno.set(ino, f);
    }
  }
}
