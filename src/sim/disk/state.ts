/**
 * The synchronous state of one disk: visible files, the durable image and the list of pending
 * (unsynced) operations between them. Each `do*` method is the effect of one disk operation at the moment
 * it takes effect; it throws an EnvError (and changes nothing) when the operation fails. Scheduling,
 * latency and fault injection live in disk.ts.
 *
 * Invariant: for every file inode, the visible contents equal its durable contents with its pending data
 * ops applied in order; the visible namespace equals the durable one with the pending entry ops applied.
 */
import type { FileStat } from '../../impl/env.ts';
import { applyEntryOp, DurableImage, landAll, resolveCrash } from './image.ts';
import { ancestorsOf, parentOf, ROOT } from './paths.ts';
import { isDataOp, type DataOp, type EntryOp, type PendingOp, type PendingOutcome } from './pending.ts';
import type { QualifiedDiskSpec } from './spec.ts';
import { diskError, VisibleFs, type VFile } from './visible.ts';

/** Largest file size the disk accepts (a sanity bound: visible files are kept in memory). */
export const FILE_BYTES_MAX = 1 << 30;

/** Emits a trace record for `node`. */
export type DiskEmit = (node: string, kind: string, data: Record<string, unknown>) => void;

/** Directories whose fsyncDir makes an entry op durable. */
function entryDirs(op: PendingOp): string[] {
  switch (op.kind) {
    case 'create':
    case 'mkdir':
    case 'unlink':
      return [parentOf(op.path)];
    case 'rename': {
      const a = parentOf(op.from);
      const b = parentOf(op.to);
      return a === b ? [a] : [a, b];
    }
    default:
      return [];
  }
}

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

/** Watched durable paths and their change counter (see DiskState.watchDurable). */
interface DurableWatch {
  readonly paths: readonly string[];
  count: number;
}

/** Visible files, durable image and pending operations of one disk. */
export class DiskState {
  readonly visible = new VisibleFs();
  durable: DurableImage;
  private pending: PendingOp[] = [];
  private readonly pendingByIno = new Map<number, number>();
  private readonly pendingByDir = new Map<string, number>();
  private nextIno = 1;
  private nextSeq = 0;
  /** Bytes used outside files (the device's kv store), by owner. */
  private readonly external = new Map<string, number>();
  private externalTotal = 0;
  /** Durable-change counters of watched paths (`watchDurable`); empty unless evidence asked for one. */
  private readonly watches: DurableWatch[] = [];

  constructor(
    private readonly spec: QualifiedDiskSpec,
    private readonly emit: DiskEmit,
  ) {
    this.durable = new DurableImage();
    if (spec.initialImage !== null) {
      this.durable = DurableImage.fromDiskImage(spec.initialImage, this.nextIno).normalized();
      this.nextIno += spec.initialImage.files.size;
      this.visible.rebuild(this.durable);
    }
  }

  /** The pending operations in issue order (the internal array: do not mutate). */
  get pendingOps(): readonly PendingOp[] {
    return this.pending;
  }

  /** Sequence number the next pending op will get. */
  get seqNext(): number {
    return this.nextSeq;
  }

  // ---------------------------------------------------------------- durable watches

  /**
   * A counter that changes whenever what `durable.file(p)` returns may have changed for one of `paths`
   * (a landed content of the inode a watched path durably names, a landed create, unlink or rename of a
   * watched path, a landed mkdir, damage at rest, a power loss); while it stays the same, those durable
   * bytes are the same arrays. For evidence that re-reads a few durable files at every fsync: a change
   * elsewhere on the disk leaves it alone. It may change without any of them changing (never the reverse).
   */
  watchDurable(paths: readonly string[]): () => number {
    const w: DurableWatch = { paths: [...paths], count: 0 };
    this.watches.push(w);
    return () => w.count;
  }

  /** Bumps the watches whose paths may read differently now that inode `ino`'s durable contents changed. */
  private contentLanded(ino: number): void {
    for (const w of this.watches) {
      for (const p of w.paths) {
        if (this.durable.files.get(p) === ino) {
          w.count++;
          break;
        }
      }
    }
  }

  /** Bumps the watches a landed entry op may concern (any mkdir: it may make a watched path reachable). */
  private entryLanded(op: EntryOp): void {
    for (const w of this.watches) {
      const hit = op.kind === 'mkdir' || (op.kind === 'rename' ? w.paths.includes(op.from) || w.paths.includes(op.to) : w.paths.includes(op.path));
      if (hit) w.count++;
    }
  }

  private bumpAll(): void {
    for (const w of this.watches) w.count++;
  }

  // ---------------------------------------------------------------- space

  /** Bytes still free under the capacity (Infinity when unlimited). */
  freeBytes(): number {
    return this.spec.capacityBytes - this.visible.usedBytes - this.externalTotal;
  }

  /** Sets the bytes `owner` (e.g. 'kv') uses on this disk outside files. */
  setExternalBytes(owner: string, bytes: number): void {
    this.externalTotal += bytes - (this.external.get(owner) ?? 0);
    this.external.set(owner, bytes);
  }

  private requireSpace(growth: number, op: string, path: string, newSize: number): void {
    if (newSize > FILE_BYTES_MAX) throw diskError('ENOSPC', op, path, `file would exceed ${FILE_BYTES_MAX} bytes`);
    if (growth > 0 && growth > this.freeBytes()) {
      throw diskError('ENOSPC', op, path, `disk full (DiskSpec.capacityBytes=${this.spec.capacityBytes})`);
    }
  }

  private requireRoom(count: number, op: string, path: string): void {
    if (this.pending.length + count <= this.spec.pendingOpsMax) return;
    const max = this.spec.pendingOpsMax;
    throw diskError('ENOSPC', op, path, `more than DiskSpec.pendingOpsMax=${max} unsynced operations; fsync more often`);
  }

  // ---------------------------------------------------------------- pending bookkeeping

  private push(op: PendingOp): void {
    this.pending.push(op);
    this.count(op, 1);
  }

  private count(op: PendingOp, by: number): void {
    if (isDataOp(op)) bump(this.pendingByIno, op.ino, by);
    else for (const d of entryDirs(op)) bump(this.pendingByDir, d, by);
  }

  /** Removes the pending ops matching `pred`, calling `made` on each in issue order. */
  private commitWhere(pred: (op: PendingOp) => boolean, made: (op: PendingOp) => void): void {
    const kept: PendingOp[] = [];
    for (const op of this.pending) {
      if (!pred(op)) {
        kept.push(op);
        continue;
      }
      made(op);
      this.count(op, -1);
    }
    this.pending = kept;
  }

  private seq(): number {
    return this.nextSeq++;
  }

  private create(node: string, path: string): VFile {
    const ino = this.nextIno++;
    const f = this.visible.createFile(path, ino);
    this.push({ kind: 'create', seq: this.seq(), node, ino, path });
    return f;
  }

  // ---------------------------------------------------------------- reads

  /** Effect of readFile. */
  doReadFile(path: string): Uint8Array {
    return this.visible.readAll(this.visible.file(path, 'readFile'));
  }

  /** Effect of read. */
  doRead(path: string, offset: number, length: number): Uint8Array {
    return this.visible.read(this.visible.file(path, 'read'), offset, length);
  }

  /** Effect of list. */
  doList(path: string): string[] {
    this.visible.requireDir(path, 'list');
    return this.visible.list(path);
  }

  /** Effect of stat. */
  doStat(path: string): FileStat | null {
    if (this.visible.dirs.has(path)) return { kind: 'dir', size: 0 };
    const f = this.visible.files.get(path);
    if (f !== undefined) return { kind: 'file', size: f.size };
    for (const a of ancestorsOf(path)) {
      if (this.visible.files.has(a)) throw diskError('ENOTDIR', 'stat', path, `'${a}' is a file`);
    }
    return null;
  }

  /** Visible size of the file at `path`, or 0 (for latency estimates). */
  sizeOf(path: string): number {
    return this.visible.files.get(path)?.size ?? 0;
  }

  // ---------------------------------------------------------------- writes

  /** Effect of write: `data` (owned by the disk from now on) at `offset`, creating the file if missing. */
  doWrite(node: string, path: string, offset: number, data: Uint8Array): void {
    let f = this.visible.lookupFile(path, 'write');
    if (f === undefined) this.visible.requireParent(path, 'write');
    const size = f?.size ?? 0;
    const end = data.length === 0 ? size : Math.max(size, offset + data.length);
    this.requireSpace(end - size, 'write', path, end);
    this.requireRoom((f === undefined ? 1 : 0) + (data.length > 0 ? 1 : 0), 'write', path);
    f ??= this.create(node, path);
    if (data.length > 0) {
      this.visible.writeAt(f, offset, data);
      this.push({ kind: 'write', seq: this.seq(), node, ino: f.ino, path, offset, data });
    }
    this.emit(node, 'disk.write', { path, off: offset, len: data.length });
  }

  /** Effect of writeFile: the contents become `data` (owned by the disk from now on). */
  doWriteFile(node: string, path: string, data: Uint8Array): void {
    let f = this.visible.lookupFile(path, 'writeFile');
    if (f === undefined) this.visible.requireParent(path, 'writeFile');
    this.requireSpace(data.length - (f?.size ?? 0), 'writeFile', path, data.length);
    this.requireRoom(f === undefined ? 2 : 1, 'writeFile', path);
    f ??= this.create(node, path);
    this.visible.replace(f, data);
    this.push({ kind: 'writeFile', seq: this.seq(), node, ino: f.ino, path, data });
    this.emit(node, 'disk.writeFile', { path, len: data.length });
  }

  /** Effect of truncate. */
  doTruncate(node: string, path: string, length: number): void {
    const f = this.visible.file(path, 'truncate');
    this.requireSpace(length - f.size, 'truncate', path, length);
    this.requireRoom(1, 'truncate', path);
    this.visible.truncate(f, length);
    this.push({ kind: 'truncate', seq: this.seq(), node, ino: f.ino, path, length });
    this.emit(node, 'disk.truncate', { path, len: length });
  }

  // ---------------------------------------------------------------- durability

  /** Effect of fsync: the file's contents become durable (its name does not: see fsyncDir). */
  doFsync(node: string, path: string): void {
    const f = this.visible.file(path, 'fsync');
    if (this.pendingByIno.has(f.ino)) {
      const ops: DataOp[] = [];
      this.commitWhere(
        (op) => isDataOp(op) && op.ino === f.ino,
        (op) => ops.push(op as DataOp),
      );
      const bytes = landAll(this.durable.contentOf(f.ino), ops, this.spec.sectorSize);
      if (bytes.length > 0) this.durable.content.set(f.ino, bytes);
      else this.durable.content.delete(f.ino);
      if (this.watches.length > 0) this.contentLanded(f.ino);
    }
    this.emit(node, 'disk.fsync', { path });
  }

  /** Effect of fsyncDir: creates, renames and unlinks inside the directory become durable. */
  doFsyncDir(node: string, path: string): void {
    this.visible.requireDir(path, 'fsyncDir');
    if (this.pendingByDir.has(path)) {
      this.commitWhere(
        (op) => !isDataOp(op) && entryDirs(op).includes(path),
        (op) => {
          applyEntryOp(this.durable, op as EntryOp, 'land');
          if (this.watches.length > 0) this.entryLanded(op as EntryOp);
        },
      );
    }
    this.emit(node, 'disk.fsyncDir', { path });
  }

  // ---------------------------------------------------------------- namespace

  /** Effect of mkdir (with missing parents). */
  doMkdir(node: string, path: string): void {
    if (path === ROOT || this.visible.dirs.has(path)) return;
    if (this.visible.files.has(path)) throw diskError('EEXIST', 'mkdir', path, 'a file exists there');
    const missing = [...ancestorsOf(path), path].filter((d) => !this.visible.dirs.has(d));
    for (const d of missing) {
      if (this.visible.files.has(d)) throw diskError('ENOTDIR', 'mkdir', path, `'${d}' is a file`);
    }
    this.requireRoom(missing.length, 'mkdir', path);
    for (const d of missing) {
      this.visible.mkdir(d);
      this.push({ kind: 'mkdir', seq: this.seq(), node, path: d });
    }
    this.emit(node, 'disk.mkdir', { path });
  }

  /** Effect of rename: file `from` replaces whatever file is at `to`. Directories cannot be renamed. */
  doRename(node: string, from: string, to: string): void {
    const src = this.visible.file(from, 'rename');
    this.visible.requireParent(to, 'rename');
    if (this.visible.dirs.has(to)) throw diskError('EISDIR', 'rename', to, 'is a directory');
    const dst = this.visible.files.get(to);
    if (dst !== src) {
      this.requireRoom(1, 'rename', from);
      this.visible.rename(from, to);
      this.push({ kind: 'rename', seq: this.seq(), node, ino: src.ino, from, to, replaced: dst?.ino ?? null });
    }
    this.emit(node, 'disk.rename', { from, to });
  }

  /** Effect of unlink (files only). */
  doUnlink(node: string, path: string): void {
    const f = this.visible.file(path, 'unlink');
    this.requireRoom(1, 'unlink', path);
    this.visible.unlink(path);
    this.push({ kind: 'unlink', seq: this.seq(), node, ino: f.ino, path });
    this.emit(node, 'disk.unlink', { path });
  }

  // ---------------------------------------------------------------- damage at rest

  /**
   * The medium under the durable file `path` is damaged: its durable contents become `bytes` (owned by
   * the disk from now on). What processes see of that inode follows (the invariant: visible = durable +
   * pending data ops), so every later read and every image after a power loss sees the damage, except
   * where a pending write covers it. Returns false (changing nothing) when `path` is not a durable,
   * reachable file.
   */
  damage(path: string, bytes: Uint8Array): boolean {
    const ino = this.durable.files.get(path);
    if (ino === undefined || this.durable.file(path) === null) return false;
    if (bytes.length > 0) this.durable.content.set(ino, bytes);
    else this.durable.content.delete(ino);
    this.bumpAll();
    const f = [...this.visible.files.values()].find((v) => v.ino === ino);
    if (f === undefined) return true; // unlinked (not durably yet): nothing visible to refresh
    const ops = this.pending.filter((op): op is DataOp => isDataOp(op) && op.ino === ino);
    this.visible.replace(f, landAll(bytes, ops, this.spec.sectorSize));
    return true;
  }

  // ---------------------------------------------------------------- power loss

  /** Inodes with a pending data op that did not land whole: their visible contents are stale. */
  private notFullyLanded(outcomes: readonly PendingOutcome[]): Set<number> {
    const out = new Set<number>();
    this.pending.forEach((op, i) => {
      if (isDataOp(op) && outcomes[i] !== 'land') out.add(op.ino);
    });
    return out;
  }

  /** What the durable image would become with these outcomes (nothing changes). */
  preview(outcomes: readonly PendingOutcome[]): DurableImage {
    return resolveCrash(this.durable, this.pending, outcomes, this.spec.sectorSize);
  }

  /** Resolves a power loss with these outcomes: the result becomes durable and visible; nothing is pending. */
  powerLoss(outcomes: readonly PendingOutcome[]): void {
    this.durable = this.preview(outcomes);
    this.bumpAll();
    this.visible.reconcile(this.durable, this.notFullyLanded(outcomes));
    this.pending = [];
    this.pendingByIno.clear();
    this.pendingByDir.clear();
  }
}
