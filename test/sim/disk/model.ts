/**
 * An independent reference model of the disk's persistence semantics, for property tests.
 *
 * Written from the specification (the table in src/sim/disk/pending.ts and the Disk interface), not from
 * the implementation: contents are plain number arrays, each pending operation is a set of closures (one
 * per outcome it may have) over a durable state, and allowed states after a power loss are computed by
 * running those closures. Only the granularity of pending operations is shared with the implementation
 * (it is part of the specification): a missing file written is a 'create' then a 'write'; mkdir -p makes
 * one 'mkdir' per missing directory; writes of zero bytes record nothing.
 */

/** Durable state: directories, file entries (path -> file id), contents per file id. */
export interface MState {
  dirs: Set<string>;
  files: Map<string, number>;
  data: Map<number, number[]>;
}

/** One model outcome (mirrors the specification's outcome names). */
export type MOutcome = 'land' | 'lose' | 'both' | 'destRemoved' | { tornSectors: number[] };

/** A pending op of the model. */
export interface MOp {
  kind: string;
  /** File id for data ops (fsync clears them). */
  file?: number;
  /** Directories whose fsyncDir makes it durable. */
  dirs: string[];
  /** Sectors a write covers (torn outcomes pick among them). */
  sectors: number[];
  /** True for a rename that replaced a file. */
  replaced: boolean;
  /** Applies the op to a durable state with an outcome other than 'lose'. */
  apply(d: MState, outcome: MOutcome): void;
}

/** An error the model predicts (the code only). */
export class MError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const parent = (p: string): string => (p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/')));

function writeInto(arr: number[], off: number, src: readonly number[]): void {
  while (arr.length < off) arr.push(0);
  for (let i = 0; i < src.length; i++) arr[off + i] = src[i]!;
}

function dataOf(d: MState, id: number): number[] {
  let a = d.data.get(id);
  if (a === undefined) {
    a = [];
    d.data.set(id, a);
  }
  return a;
}

function cloneState(s: MState): MState {
  const data = new Map<number, number[]>();
  for (const [k, v] of s.data) data.set(k, v.slice());
  return { dirs: new Set(s.dirs), files: new Map(s.files), data };
}

/** The reference model. */
export class DiskModel {
  vdirs = new Set<string>(['/']);
  vfiles = new Map<string, number>();
  vdata = new Map<number, number[]>();
  durable: MState = { dirs: new Set(['/']), files: new Map(), data: new Map() };
  pending: MOp[] = [];
  private nextId = 1;

  constructor(readonly sectorSize: number) {}

  private needParent(path: string): void {
    if (!this.vdirs.has(parent(path))) throw new MError('ENOENT');
  }

  private needFile(path: string): number {
    if (this.vdirs.has(path)) throw new MError('EISDIR');
    const id = this.vfiles.get(path);
    if (id === undefined) throw new MError('ENOENT');
    return id;
  }

  private createIfMissing(path: string): number {
    if (this.vdirs.has(path)) throw new MError('EISDIR');
    const existing = this.vfiles.get(path);
    if (existing !== undefined) return existing;
    this.needParent(path);
    const id = this.nextId++;
    this.vfiles.set(path, id);
    this.vdata.set(id, []);
    this.pending.push({
      kind: 'create',
      dirs: [parent(path)],
      sectors: [],
      replaced: false,
      apply: (d) => void d.files.set(path, id),
    });
    return id;
  }

  private sectorsCovering(off: number, len: number): number[] {
    const out: number[] = [];
    if (len === 0) return out;
    for (let s = Math.floor(off / this.sectorSize); s * this.sectorSize < off + len; s++) out.push(s);
    return out;
  }

  write(path: string, off: number, bytes: number[]): void {
    const id = this.createIfMissing(path);
    if (bytes.length === 0) return;
    writeInto(this.vdata.get(id)!, off, bytes);
    const ss = this.sectorSize;
    this.pending.push({
      kind: 'write',
      file: id,
      dirs: [],
      sectors: this.sectorsCovering(off, bytes.length),
      replaced: false,
      apply: (d, o) => {
        const arr = dataOf(d, id);
        if (o === 'land') return writeInto(arr, off, bytes);
        if (typeof o !== 'object') throw new Error(`bad outcome for write: ${String(o)}`);
        for (let i = 0; i < bytes.length; i++) {
          if (o.tornSectors.includes(Math.floor((off + i) / ss))) {
            while (arr.length < off + i) arr.push(0);
            arr[off + i] = bytes[i]!;
          }
        }
      },
    });
  }

  writeFile(path: string, bytes: number[]): void {
    const id = this.createIfMissing(path);
    this.vdata.set(id, bytes.slice());
    const ss = this.sectorSize;
    this.pending.push({
      kind: 'writeFile',
      file: id,
      dirs: [],
      sectors: this.sectorsCovering(0, bytes.length),
      replaced: false,
      apply: (d, o) => {
        if (o === 'land') return void d.data.set(id, bytes.slice());
        if (typeof o !== 'object') throw new Error(`bad outcome for writeFile: ${String(o)}`);
        const arr: number[] = [];
        for (let i = 0; i < bytes.length; i++) {
          if (!o.tornSectors.includes(Math.floor(i / ss))) continue;
          while (arr.length < i) arr.push(0);
          arr[i] = bytes[i]!;
        }
        d.data.set(id, arr);
      },
    });
  }

  truncate(path: string, len: number): void {
    const id = this.needFile(path);
    const resize = (arr: number[]): void => {
      arr.length = Math.min(arr.length, len);
      while (arr.length < len) arr.push(0);
    };
    resize(this.vdata.get(id)!);
    this.pending.push({ kind: 'truncate', file: id, dirs: [], sectors: [], replaced: false, apply: (d) => resize(dataOf(d, id)) });
  }

  fsync(path: string): void {
    const id = this.needFile(path);
    this.durable.data.set(id, this.vdata.get(id)!.slice());
    this.pending = this.pending.filter((op) => op.file !== id);
  }

  fsyncDir(path: string): void {
    if (!this.vdirs.has(path)) throw new MError('ENOENT');
    const keep: MOp[] = [];
    for (const op of this.pending) {
      if (op.dirs.includes(path)) op.apply(this.durable, 'land');
      else keep.push(op);
    }
    this.pending = keep;
  }

  mkdir(path: string): void {
    const parts = path.split('/').slice(1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = '/' + parts.slice(0, i).join('/');
      if (this.vfiles.has(dir)) throw new MError(dir === path ? 'EEXIST' : 'ENOTDIR');
      if (this.vdirs.has(dir)) continue;
      this.vdirs.add(dir);
      this.pending.push({ kind: 'mkdir', dirs: [parent(dir)], sectors: [], replaced: false, apply: (d) => void d.dirs.add(dir) });
    }
  }

  rename(from: string, to: string): void {
    const id = this.needFile(from);
    this.needParent(to);
    if (this.vdirs.has(to)) throw new MError('EISDIR');
    const old = this.vfiles.get(to);
    if (old === id) return;
    this.vfiles.delete(from);
    this.vfiles.set(to, id);
    const dirs = parent(from) === parent(to) ? [parent(from)] : [parent(from), parent(to)];
    this.pending.push({
      kind: 'rename',
      dirs,
      sectors: [],
      replaced: old !== undefined,
      apply: (d, o) => {
        if (o === 'destRemoved') return void d.files.delete(to);
        d.files.set(to, id);
        if (o === 'land' && d.files.get(from) === id) d.files.delete(from);
      },
    });
  }

  unlink(path: string): void {
    const id = this.needFile(path);
    this.vfiles.delete(path);
    this.pending.push({
      kind: 'unlink',
      dirs: [parent(path)],
      sectors: [],
      replaced: false,
      apply: (d) => {
        if (d.files.get(path) === id) d.files.delete(path);
      },
    });
  }

  /** Whether the specification allows `o` for pending op `op` under `profile` (prefix rule aside). */
  static allows(profile: string, op: MOp, o: MOutcome): boolean {
    if (o === 'lose') return true;
    if (profile === 'strict') return false;
    if (o === 'land') return true;
    if (profile !== 'weak') return false;
    if (o === 'both') return op.kind === 'rename';
    if (o === 'destRemoved') return op.kind === 'rename' && op.replaced;
    if (op.kind !== 'write' && op.kind !== 'writeFile') return false;
    return o.tornSectors.every((s) => op.sectors.includes(s)) && new Set(o.tornSectors).size === o.tornSectors.length;
  }

  /** The durable files (reachable path -> bytes) after a power loss with these outcomes. */
  crash(outcomes: readonly MOutcome[]): Record<string, number[]> {
    const d = cloneState(this.durable);
    this.pending.forEach((op, i) => {
      const o = outcomes[i] ?? 'lose';
      if (o !== 'lose') op.apply(d, o);
    });
    return DiskModel.reachable(d);
  }

  /** Reachable files of a durable state. */
  static reachable(d: MState): Record<string, number[]> {
    const dirOk = (dir: string): boolean => dir === '/' || (d.dirs.has(dir) && dirOk(parent(dir)));
    const out: Record<string, number[]> = {};
    for (const p of [...d.files.keys()].sort()) if (dirOk(parent(p))) out[p] = (d.data.get(d.files.get(p)!) ?? []).slice();
    return out;
  }

  /** The visible files (path -> bytes). */
  visible(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const p of [...this.vfiles.keys()].sort()) out[p] = this.vdata.get(this.vfiles.get(p)!)!.slice();
    return out;
  }
}
