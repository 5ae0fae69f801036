/**
 * The durable image of a disk: what a power loss keeps, before pending operations are resolved.
 *
 * It is kept as plain Maps so a crash image is a cheap copy (never a JSON round trip):
 * - `dirs`: durable directory entries (by path; directories are never removed or renamed);
 * - `files`: durable file entries, path -> inode number (two paths may name one inode after a
 *   non-atomic rename);
 * - `content`: durable contents per inode, as immutable Uint8Arrays (a missing inode reads as empty).
 *
 * An entry is reachable when every directory above it is durable; unreachable entries and inodes no
 * entry names are dropped at a power loss (`normalized`).
 */
import { ancestorsOf, depthOf, parentOf, ROOT } from './paths.ts';
import type { DataOp, EntryOp, PendingOp, PendingOutcome } from './pending.ts';
import type { DiskImage } from './spec.ts';

const EMPTY = new Uint8Array(0);

/**
 * The contents of one file while ops land on it at a power loss. It shares immutable arrays as long as
 * it can (a landed writeFile, or a write covering the whole file, needs no copy) and switches to a
 * private buffer that grows in place once an op changes part of it.
 */
class LandingBuf {
  /** Immutable shared contents, while `own` is null. */
  private shared: Uint8Array;
  private own: Uint8Array | null = null;
  length: number;

  constructor(init: Uint8Array) {
    this.shared = init;
    this.length = init.length;
  }

  private ensure(n: number): Uint8Array {
    let own = this.own;
    if (own === null) {
      own = new Uint8Array(Math.max(n, this.length, 64));
      own.set(this.shared.subarray(0, this.length));
    } else if (n > own.length) {
      const next = new Uint8Array(Math.max(n, own.length * 2));
      next.set(own.subarray(0, this.length));
      own = next;
    }
    this.own = own;
    return own;
  }

  /** Writes `data` (immutable) at `offset`, zero-filling any gap after the current end. */
  writeAt(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (offset === 0 && end >= this.length) {
      this.shared = data;
      this.own = null;
      this.length = end;
      return;
    }
    const own = this.ensure(end);
    if (offset > this.length) own.fill(0, this.length, offset);
    own.set(data, offset);
    if (end > this.length) this.length = end;
  }

  /** Sets the length, zero-filling when it grows. */
  setLength(n: number): void {
    if (n > this.length) this.ensure(n).fill(0, this.length, n);
    this.length = n;
  }

  /** The final contents, exact length, immutable. */
  freeze(): Uint8Array {
    if (this.own === null) return this.length === this.shared.length ? this.shared : this.shared.slice(0, this.length);
    return this.own.slice(0, this.length);
  }
}

/** The durable state of a disk (see the module comment). */
export class DurableImage {
  constructor(
    readonly dirs: Set<string> = new Set(),
    readonly files: Map<string, number> = new Map(),
    readonly content: Map<number, Uint8Array> = new Map(),
  ) {}

  /** A copy sharing the immutable byte arrays. */
  copy(): DurableImage {
    return new DurableImage(new Set(this.dirs), new Map(this.files), new Map(this.content));
  }

  /** Durable contents of inode `ino` (empty when none). */
  contentOf(ino: number): Uint8Array {
    return this.content.get(ino) ?? EMPTY;
  }

  /** True when `path`'s parent and every directory above it are durable. */
  private parentReachable(path: string, reachableDirs: Set<string>): boolean {
    return reachableDirs.has(parentOf(path));
  }

  /** Durable directories reachable from the root, root included. */
  reachableDirs(): Set<string> {
    const out = new Set<string>([ROOT]);
    const sorted = [...this.dirs].sort((a, b) => depthOf(a) - depthOf(b));
    for (const d of sorted) if (out.has(parentOf(d))) out.add(d);
    return out;
  }

  /** True when `dir` and every directory above it are durable (the root always is). */
  reachable(dir: string): boolean {
    return dir === ROOT || this.reachablePrefix(dir, dir.length);
  }

  /**
   * True when the directory `path.slice(0, end)` and every directory above it are durable (end 0: the
   * root). Walks up by index (evidence reads durable files at every fsync: no arrays of ancestors).
   */
  private reachablePrefix(path: string, end: number): boolean {
    for (; end > 0; end = path.lastIndexOf('/', end - 1)) {
      if (!this.dirs.has(end === path.length ? path : path.slice(0, end))) return false;
    }
    return true;
  }

  /** Durable contents of the file at `path`, or null when no durable, reachable entry names it. */
  file(path: string): Uint8Array | null {
    const ino = this.files.get(path);
    if (ino === undefined) return null;
    if (!this.reachableParents.has(path)) {
      if (!this.reachablePrefix(path, path.lastIndexOf('/'))) return null;
      this.reachableParents.add(path);
    }
    return this.contentOf(ino);
  }

  /**
   * Paths whose parent directory was found reachable. Never stale: an image's directories are only ever
   * added (never removed or renamed), so a reachable directory stays reachable. Evidence reads the same
   * few durable files at every fsync; this spares walking their directories each time.
   */
  private readonly reachableParents = new Set<string>();

  /** Reachable file path -> durable contents. */
  snapshot(): Map<string, Uint8Array> {
    const dirs = this.reachableDirs();
    const out = new Map<string, Uint8Array>();
    const paths = [...this.files.keys()].sort();
    for (const p of paths) if (this.parentReachable(p, dirs)) out.set(p, this.contentOf(this.files.get(p)!));
    return out;
  }

  /** A copy keeping only reachable entries and the inodes they name. */
  normalized(): DurableImage {
    const reachable = this.reachableDirs();
    const files = new Map<string, number>();
    const content = new Map<number, Uint8Array>();
    for (const [p, ino] of this.files) {
      if (!this.parentReachable(p, reachable)) continue;
      files.set(p, ino);
      const c = this.content.get(ino);
      if (c !== undefined && c.length > 0) content.set(ino, c);
    }
    reachable.delete(ROOT);
    return new DurableImage(reachable, files, content);
  }

  /** The image as directories and path -> contents (hard links become two files with equal contents). */
  toDiskImage(): DiskImage {
    const dirs = [...this.reachableDirs()].filter((d) => d !== ROOT).sort();
    return { dirs, files: this.snapshot() };
  }

  /** A durable image holding `image`, numbering inodes from `firstIno`. Missing parents are added. */
  static fromDiskImage(image: DiskImage, firstIno: number): DurableImage {
    const out = new DurableImage();
    for (const d of image.dirs) {
      if (d === ROOT) continue;
      for (const a of ancestorsOf(d)) out.dirs.add(a);
      out.dirs.add(d);
    }
    let ino = firstIno;
    for (const [p, bytes] of image.files) {
      for (const a of ancestorsOf(p)) out.dirs.add(a);
      out.files.set(p, ino);
      if (bytes.length > 0) out.content.set(ino, bytes.slice());
      ino++;
    }
    return out;
  }
}

/** Applies a landed (or partly landed) entry op to `image`'s namespace. */
export function applyEntryOp(image: DurableImage, op: EntryOp, outcome: PendingOutcome): void {
  if (outcome === 'lose') return;
  switch (op.kind) {
    case 'mkdir':
      image.dirs.add(op.path);
      return;
    case 'create':
      image.files.set(op.path, op.ino);
      return;
    case 'unlink':
      if (image.files.get(op.path) === op.ino) image.files.delete(op.path);
      return;
    case 'rename':
      applyRename(image, op, outcome);
      return;
  }
}

function applyRename(image: DurableImage, op: EntryOp & { kind: 'rename' }, outcome: PendingOutcome): void {
  if (outcome === 'destRemoved') {
    image.files.delete(op.to);
    return;
  }
  image.files.set(op.to, op.ino);
  if (outcome === 'land' && op.from !== op.to && image.files.get(op.from) === op.ino) image.files.delete(op.from);
}

/** Applies a landed or torn data op to a growing buffer. */
function applyDataOp(buf: LandingBuf, op: DataOp, outcome: PendingOutcome, sectorSize: number): void {
  if (outcome === 'lose') return;
  if (op.kind === 'truncate') {
    buf.setLength(op.length);
    return;
  }
  const base = op.kind === 'write' ? op.offset : 0;
  if (op.kind === 'writeFile') buf.setLength(0);
  if (outcome === 'land') {
    buf.writeAt(base, op.data);
    return;
  }
  if (typeof outcome !== 'object') return;
  const end = base + op.data.length;
  for (const s of outcome.tornSectors) {
    const from = Math.max(base, s * sectorSize);
    const to = Math.min(end, (s + 1) * sectorSize);
    if (from < to) buf.writeAt(from, op.data.subarray(from - base, to - base));
  }
}

/** `base` with every op landed in order (what fsync makes durable); shares bytes where it can. */
export function landAll(base: Uint8Array, ops: readonly DataOp[], sectorSize: number): Uint8Array {
  const buf = new LandingBuf(base);
  for (const op of ops) applyDataOp(buf, op, 'land', sectorSize);
  return buf.freeze();
}

/**
 * The image after a power loss: `image` with each of `ops` applied per its outcome, in issue order,
 * then normalized. `image` itself is unchanged.
 */
export function resolveCrash(
  image: DurableImage,
  ops: readonly PendingOp[],
  outcomes: readonly PendingOutcome[],
  sectorSize: number,
): DurableImage {
  const out = image.copy();
  const bufs = new Map<number, LandingBuf>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const outcome = outcomes[i]!;
    if (outcome === 'lose') continue;
    if (op.kind === 'write' || op.kind === 'writeFile' || op.kind === 'truncate') {
      let buf = bufs.get(op.ino);
      if (buf === undefined) {
        buf = new LandingBuf(out.contentOf(op.ino));
        bufs.set(op.ino, buf);
      }
      applyDataOp(buf, op, outcome, sectorSize);
    } else applyEntryOp(out, op, outcome);
  }
  for (const [ino, buf] of bufs) out.content.set(ino, buf.freeze());
  return out.normalized();
}
