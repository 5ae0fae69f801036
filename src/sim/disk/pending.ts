/**
 * Unsynced operations and what may become of them on a power loss.
 *
 * Every visible change to the disk is recorded, in issue order across the device, as a `PendingOp` until
 * it becomes durable: data operations (write, writeFile, truncate) of a file inode until `fsync` of that
 * file; entry operations (create, mkdir, rename, unlink) until `fsyncDir` of their parent directory (a
 * rename between two directories: of either one). On a power loss each op still pending gets an outcome:
 *
 * | outcome              | meaning                                                            | profiles        |
 * |----------------------|--------------------------------------------------------------------|-----------------|
 * | 'lose'               | nothing of the op is durable                                       | all             |
 * | 'land'               | the whole op is durable                                            | ordered, weak   |
 * | { tornSectors }      | only these sectors of a write's data land (writeFile: the file is   | weak            |
 * |                      | emptied, then these sectors of the new contents land)              |                 |
 * | 'both'               | non-atomic rename: the new name is linked, the old one not removed | weak            |
 * | 'destRemoved'        | non-atomic rename: the replaced destination is unlinked, nothing   | weak            |
 * |                      | else (neither name refers to the new file: the old name still does)|                 |
 *
 * 'ordered' additionally requires the landed ops to be a prefix of the pending list (in issue order).
 * fsync and fsyncDir make their own ops durable at once, wherever they are in the list; the prefix rule
 * applies to what is still pending. Sector numbers are absolute within the file (offset / sector size).
 */
import type { PersistenceProfile } from './spec.ts';

interface OpBase {
  /** Issue order on the device (increasing, never reused). */
  readonly seq: number;
  /** Node that issued the op. */
  readonly node: string;
}

/** `data` written at `offset` of file inode `ino` (named `path` when issued). */
export interface WriteOp extends OpBase {
  readonly kind: 'write';
  readonly ino: number;
  readonly path: string;
  readonly offset: number;
  /** The written bytes (shared, never mutate). */
  readonly data: Uint8Array;
}

/** The contents of file inode `ino` replaced by `data`. */
export interface WriteFileOp extends OpBase {
  readonly kind: 'writeFile';
  readonly ino: number;
  readonly path: string;
  /** The new contents (shared, never mutate). */
  readonly data: Uint8Array;
}

/** File inode `ino` set to `length` bytes. */
export interface TruncateOp extends OpBase {
  readonly kind: 'truncate';
  readonly ino: number;
  readonly path: string;
  readonly length: number;
}

/** A new entry `path` for the new file inode `ino`. */
export interface CreateOp extends OpBase {
  readonly kind: 'create';
  readonly ino: number;
  readonly path: string;
}

/** A new directory `path`. */
export interface MkdirOp extends OpBase {
  readonly kind: 'mkdir';
  readonly path: string;
}

/** File inode `ino` moved from `from` to `to`, replacing inode `replaced` there (null if none). */
export interface RenameOp extends OpBase {
  readonly kind: 'rename';
  readonly ino: number;
  readonly from: string;
  readonly to: string;
  readonly replaced: number | null;
}

/** Entry `path` (naming file inode `ino`) removed. */
export interface UnlinkOp extends OpBase {
  readonly kind: 'unlink';
  readonly ino: number;
  readonly path: string;
}

/** An operation whose effect is visible but not yet durable. */
export type PendingOp = WriteOp | WriteFileOp | TruncateOp | CreateOp | MkdirOp | RenameOp | UnlinkOp;

/** Data operations: made durable by fsync of their file. */
export type DataOp = WriteOp | WriteFileOp | TruncateOp;

/** Entry operations: made durable by fsyncDir of their parent directory. */
export type EntryOp = CreateOp | MkdirOp | RenameOp | UnlinkOp;

/** What becomes of one pending op on a power loss (see the table above). */
export type PendingOutcome = 'land' | 'lose' | 'both' | 'destRemoved' | { readonly tornSectors: readonly number[] };

/** Chooses the outcome of pending op `op`, the `index`-th of the pending list. */
export type OutcomeChooser = (op: PendingOp, index: number) => PendingOutcome;

/** True for write, writeFile and truncate. */
export function isDataOp(op: PendingOp): op is DataOp {
  return op.kind === 'write' || op.kind === 'writeFile' || op.kind === 'truncate';
}

/** The sectors (absolute sector numbers of the file) a write or writeFile covers; [] for other ops. */
export function sectorsOf(op: PendingOp, sectorSize: number): number[] {
  if (op.kind !== 'write' && op.kind !== 'writeFile') return [];
  const len = op.data.length;
  if (len === 0) return [];
  const start = op.kind === 'write' ? op.offset : 0;
  const first = Math.floor(start / sectorSize);
  const last = Math.floor((start + len - 1) / sectorSize);
  const out: number[] = [];
  for (let s = first; s <= last; s++) out.push(s);
  return out;
}

/**
 * A finite list of the outcomes `profile` allows for `op` alone. For weak writes it lists land, lose and
 * every proper prefix of sectors; any subset of `sectorsOf(op)` is allowed too (see `isAllowedOutcome`).
 * For 'ordered' the combination must also be a prefix (see SimDisk.orderedPrefixes).
 */
export function allowedOutcomes(profile: PersistenceProfile, op: PendingOp, sectorSize: number): PendingOutcome[] {
  if (profile === 'strict') return ['lose'];
  if (profile === 'ordered') return ['land', 'lose'];
  const out: PendingOutcome[] = ['land', 'lose'];
  if (op.kind === 'rename') {
    out.push('both');
    if (op.replaced !== null) out.push('destRemoved');
    return out;
  }
  const sectors = sectorsOf(op, sectorSize);
  const firstProper = op.kind === 'writeFile' ? 0 : 1;
  for (let k = firstProper; k < sectors.length; k++) out.push({ tornSectors: sectors.slice(0, k) });
  return out;
}

/** Why `outcome` is not allowed for `op` under `profile`, or null when it is (ignoring the prefix rule). */
export function outcomeProblem(
  profile: PersistenceProfile,
  op: PendingOp,
  outcome: PendingOutcome,
  sectorSize: number,
): string | null {
  if (outcome === 'lose') return null;
  if (profile === 'strict') return `profile 'strict' loses every unsynced op`;
  if (outcome === 'land') return null;
  if (profile === 'ordered') return `profile 'ordered' allows only 'land' or 'lose'`;
  if (outcome === 'both' || outcome === 'destRemoved') {
    if (op.kind !== 'rename') return `'${outcome}' applies to renames only`;
    if (outcome === 'destRemoved' && op.replaced === null) return `'destRemoved' needs a rename that replaced a file`;
    return null;
  }
  if (typeof outcome !== 'object' || outcome === null || !Array.isArray(outcome.tornSectors)) {
    return `unknown outcome ${JSON.stringify(outcome)}`;
  }
  if (op.kind !== 'write' && op.kind !== 'writeFile') return `torn outcomes apply to write and writeFile only`;
  const sectors = new Set(sectorsOf(op, sectorSize));
  const seen = new Set<number>();
  for (const s of outcome.tornSectors) {
    if (!sectors.has(s)) return `sector ${s} is not covered by the write`;
    if (seen.has(s)) return `sector ${s} is listed twice`;
    seen.add(s);
  }
  return null;
}

/** Throws an Error naming the first outcome `profile` does not allow (including the ordered prefix rule). */
export function checkOutcomes(
  profile: PersistenceProfile,
  ops: readonly PendingOp[],
  outcomes: readonly PendingOutcome[],
  sectorSize: number,
): void {
  if (outcomes.length !== ops.length) throw new Error(`expected ${ops.length} outcomes, got ${outcomes.length}`);
  let lostBefore = -1;
  for (let i = 0; i < ops.length; i++) {
    const outcome = outcomes[i]!;
    const problem = outcomeProblem(profile, ops[i]!, outcome, sectorSize);
    if (problem !== null) {
      throw new Error(`outcome ${JSON.stringify(outcome)} of pending op #${i} (${ops[i]!.kind}): ${problem}`);
    }
    if (outcome === 'lose' && lostBefore < 0) lostBefore = i;
    if (profile === 'ordered' && outcome !== 'lose' && lostBefore >= 0) {
      throw new Error(`profile 'ordered' keeps a prefix: op #${i} lands after op #${lostBefore} was lost`);
    }
  }
}

/** A random proper, non-empty subset of `sectors` (empty when there are fewer than two). */
function randomTear(sectors: readonly number[], float: () => number): number[] {
  if (sectors.length < 2) return [];
  const keep = sectors.map(() => float() < 0.5);
  const count = keep.filter(Boolean).length;
  if (count === 0 || count === sectors.length) {
    const i = Math.floor(float() * sectors.length);
    keep[i] = !keep[i];
  }
  return sectors.filter((_, i) => keep[i]);
}

/** One weak-profile outcome for `op`, drawn uniformly among land, lose and the op's partial forms. */
function drawWeak(op: PendingOp, sectorSize: number, float: () => number): PendingOutcome {
  if (op.kind === 'rename') {
    const choices: PendingOutcome[] = op.replaced === null ? ['land', 'lose', 'both'] : ['land', 'lose', 'both', 'destRemoved'];
    return choices[Math.floor(float() * choices.length)]!;
  }
  const sectors = sectorsOf(op, sectorSize);
  const tearable = sectors.length >= 2 || (op.kind === 'writeFile' && sectors.length >= 1);
  const r = Math.floor(float() * (tearable ? 3 : 2));
  if (r === 0) return 'land';
  if (r === 1) return 'lose';
  return { tornSectors: op.kind === 'writeFile' && sectors.length === 1 ? [] : randomTear(sectors, float) };
}

/** Outcomes for every pending op drawn from `float` (a seeded stream) as `profile` allows. */
export function drawOutcomes(
  profile: PersistenceProfile,
  ops: readonly PendingOp[],
  sectorSize: number,
  float: () => number,
): PendingOutcome[] {
  if (profile === 'strict') return ops.map(() => 'lose');
  if (profile === 'ordered') {
    const keep = Math.floor(float() * (ops.length + 1));
    return ops.map((_, i) => (i < keep ? 'land' : 'lose'));
  }
  return ops.map((op) => drawWeak(op, sectorSize, float));
}

/** The torn outcome of an injected 'torn' fault: a seeded proper prefix of the write's sectors. */
export function tornPrefix(op: PendingOp, sectorSize: number, float: () => number): PendingOutcome {
  const sectors = sectorsOf(op, sectorSize);
  if (sectors.length < 2) return { tornSectors: [] };
  const keep = 1 + Math.floor(float() * (sectors.length - 1));
  return { tornSectors: sectors.slice(0, keep) };
}
