/**
 * The virtual disk of one device, shared by the device's nodes (tabs/processes).
 *
 * Each operation completes after a simulated latency, through `node.after`, so a crashed incarnation never
 * hears back and a paused node gets its completions on resume. At completion the fault interceptors are
 * asked first; then the operation takes effect on the disk state (state.ts): visible at once, durable only
 * after fsync (contents) or fsyncDir (names). On a power loss of the device the pending operations are
 * resolved per the persistence profile with the seeded stream `disk/<device>` (or with explicit outcomes,
 * `powerLossWith`), the result becomes the durable image, and the visible files are rebuilt from it.
 * A node crash without power loss changes nothing on disk.
 *
 * Limits (documented for ports): directories cannot be renamed (EISDIR) or removed; a file is at most
 * FILE_BYTES_MAX bytes; at most DiskSpec.pendingOpsMax operations may be unsynced at once (ENOSPC beyond).
 * A paused node's operation takes effect when its completion is delivered, i.e. on resume.
 *
 * Trace (node = the issuing node unless noted): 'disk.write' {path, off, len}, 'disk.writeFile' {path,
 * len}, 'disk.truncate' {path, len}, 'disk.fsync' {path}, 'disk.fsyncDir' {path}, 'disk.mkdir' {path},
 * 'disk.rename' {from, to}, 'disk.unlink' {path} when an operation takes effect; 'disk.error' {op, path,
 * code} when it fails; 'disk.fault' {op, path, action} when a fault is injected; node 'sim':
 * 'disk.powerloss' {device, pending, landed, lost, torn}, 'disk.corrupt' {device, path, len} when the
 * medium under a durable file is damaged (`damageDurable`). Reads, lists and stats are not traced.
 *
 * Exhaustive crash exploration, e.g. from a storage test: pause where a crash should happen, then
 *   for (const choose of disk.orderedPrefixes()) {            // 'ordered'; for 'weak' combine
 *     const image = disk.previewPowerLoss(choose);              // allowedOutcomes(op) per pending op
 *     // new Simulation, addDevice(id, { disk: { initialImage: image } }), run recovery, check
 *   }
 * or cut the power for real with `powerLossWith(choose)`.
 */
import { EnvError, type Disk, type FileStat } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Rng } from '../rng.ts';
import type { Simulation } from '../simulation.ts';
import type { FaultAction } from '../types.ts';
import { checkPath, ROOT } from './paths.ts';
import {
  allowedOutcomes,
  checkOutcomes,
  drawOutcomes,
  tornPrefix,
  type OutcomeChooser,
  type PendingOp,
  type PendingOutcome,
} from './pending.ts';
import { qualifyDiskSpec, type DiskImage, type DiskSpec, type QualifiedDiskSpec } from './spec.ts';
import { DiskState } from './state.ts';

export type { DiskImage, DiskLatencySpec, DiskSpec, PersistenceProfile } from './spec.ts';
export type { OutcomeChooser, PendingOp, PendingOutcome } from './pending.ts';

/** The Disk facet's methods; counters are kept per method. */
export type DiskMethod =
  | 'readFile'
  | 'read'
  | 'writeFile'
  | 'write'
  | 'truncate'
  | 'fsync'
  | 'fsyncDir'
  | 'mkdir'
  | 'rename'
  | 'unlink'
  | 'list'
  | 'stat';

/** The op name fault interceptors see for each method (readFile is a 'read'). */
const INTERCEPT_OP: Readonly<Record<DiskMethod, string>> = {
  readFile: 'read',
  read: 'read',
  writeFile: 'writeFile',
  write: 'write',
  truncate: 'truncate',
  fsync: 'fsync',
  fsyncDir: 'fsyncDir',
  mkdir: 'mkdir',
  rename: 'rename',
  unlink: 'unlink',
  list: 'list',
  stat: 'stat',
};

/** Counters of one disk, for reports and tests. */
export interface DiskCounters {
  /** Completed operations (successful or failed) per method. */
  ops: Record<DiskMethod, number>;
  /** Operations that failed with an EnvError (injected errors included). */
  errors: number;
  /** Faults injected. */
  faults: number;
  /** Power losses resolved. */
  powerLosses: number;
  /** Bytes written by write and writeFile that took effect. */
  bytesWritten: number;
}

/** How the last power loss was resolved. */
export interface PowerLossRecord {
  /** The pending ops at the power loss, in issue order. */
  readonly ops: readonly PendingOp[];
  /** The outcome of each. */
  readonly outcomes: readonly PendingOutcome[];
}

const NEVER = new Promise<never>(() => {});
const EMPTY = new Uint8Array(0);

function checkOffset(value: unknown, field: string): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new TypeError(`${field} must be an integer >= 0, got ${String(value)}`);
  }
}

function checkBytes(value: unknown, field: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${field} must be a Uint8Array`);
}

function faultLabel(f: FaultAction): string {
  if (f.type === 'error') return `error:${f.code}`;
  if (f.type === 'crash' || f.type === 'pause') return `${f.type}:${f.when}`;
  return f.type;
}

/** The virtual disk of one device. */
export class SimDisk {
  /** The validated settings. */
  readonly spec: QualifiedDiskSpec;
  /** How the last power loss was resolved, or null before the first. */
  lastPowerLoss: PowerLossRecord | null = null;

  private readonly state: DiskState;
  private readonly latencyRng: Rng;
  private readonly faultRng: Rng;
  private readonly stats: DiskCounters;
  /** Outcomes chosen by powerLossWith for the power loss being resolved. */
  private chosen: PendingOutcome[] | null = null;
  /** The torn write of an injected 'torn' fault, resolved with a forced outcome. */
  private forced: { seq: number; outcome: PendingOutcome } | null = null;

  constructor(
    readonly sim: Simulation,
    readonly deviceId: string,
    spec: DiskSpec,
  ) {
    this.spec = qualifyDiskSpec(deviceId, spec);
    this.state = new DiskState(this.spec, (node, kind, data) => sim.trace.emit(node, kind, data));
    this.latencyRng = sim.stream(`disk/${deviceId}/latency`);
    this.faultRng = sim.stream(`disk/${deviceId}/faults`);
    const ops = Object.fromEntries(Object.keys(INTERCEPT_OP).map((k) => [k, 0])) as Record<DiskMethod, number>;
    this.stats = { ops, errors: 0, faults: 0, powerLosses: 0, bytesWritten: 0 };
    sim.onLifecycle({
      devicePowerLoss: (id) => {
        if (id === deviceId) this.resolvePowerLoss();
      },
    });
  }

  // ---------------------------------------------------------------- the facet

  /** The Disk a node's incarnation `inc` sees. */
  facet(node: SimNode, inc: number): Disk {
    const lat = this.spec.latency;
    const st = this.state;
    const id = node.id;
    /** Validates (path first, then `check`), then completes `effect` after `us()` µs. */
    const call = <T>(m: DiskMethod, path: string, us: () => number, effect: () => T, check?: () => void): Promise<T> =>
      this.guard(node, inc, () => {
        checkPath(path, m === 'rename' ? 'from' : 'path');
        check?.();
        return this.submit(node, inc, m, path, us(), effect);
      });
    const writeUs = (n: number): number => lat.writeUs + (lat.writePerKiBUs * n) / 1024;
    return {
      readFile: (path) =>
        call('readFile', path, () => lat.readUs + (lat.readPerKiBUs * st.sizeOf(path)) / 1024, () => st.doReadFile(path)),
      read: (path, offset, length) =>
        call('read', path, () => lat.readUs + (lat.readPerKiBUs * length) / 1024, () => st.doRead(path, offset, length), () => {
          checkOffset(offset, 'offset');
          checkOffset(length, 'length');
        }),
      // The effects below are passed inline: a named arrow costs a __name call per operation under tsx.
      writeFile: (path, data) => {
        let copy = EMPTY;
        return call('writeFile', path, () => writeUs(copy.length), () => this.wrote(copy.length, () => st.doWriteFile(id, path, copy)), () => {
          checkBytes(data, 'data');
          copy = data.slice();
        });
      },
      write: (path, offset, data) => {
        let copy = EMPTY;
        return call('write', path, () => writeUs(copy.length), () => this.wrote(copy.length, () => st.doWrite(id, path, offset, copy)), () => {
          checkOffset(offset, 'offset');
          checkBytes(data, 'data');
          copy = data.slice();
        });
      },
      truncate: (path, length) =>
        call('truncate', path, () => lat.writeUs, () => st.doTruncate(id, path, length), () => checkOffset(length, 'length')),
      fsync: (path) => call('fsync', path, () => lat.fsyncUs, () => st.doFsync(id, path)),
      fsyncDir: (path) => call('fsyncDir', path, () => lat.fsyncDirUs, () => st.doFsyncDir(id, path)),
      mkdir: (path) => call('mkdir', path, () => lat.metaUs, () => st.doMkdir(id, path)),
      rename: (from, to) =>
        call('rename', from, () => lat.metaUs, () => st.doRename(id, from, to), () => {
          checkPath(to, 'to');
          if (from === ROOT || to === ROOT) throw new TypeError('the root directory cannot be renamed');
        }),
      unlink: (path) => call('unlink', path, () => lat.metaUs, () => st.doUnlink(id, path)),
      list: (path) => call('list', path, () => lat.lookupUs, () => st.doList(path)),
      stat: (path) => call<FileStat | null>('stat', path, () => lat.lookupUs, () => st.doStat(path)),
    };
  }

  /** Runs `start` for a live incarnation; its synchronous errors become a rejected promise. */
  private guard<T>(node: SimNode, inc: number, start: () => Promise<T>): Promise<T> {
    if (!node.isLive(inc)) return NEVER;
    try {
      return start();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private wrote(bytes: number, effect: () => void): void {
    effect();
    this.stats.bytesWritten += bytes;
  }

  private jittered(us: number): number {
    const j = this.spec.latency.jitter;
    return j === 0 ? us : us * (1 + j * (2 * this.latencyRng.float() - 1));
  }

  /** Schedules the completion of one operation after its latency. */
  private submit<T>(node: SimNode, inc: number, m: DiskMethod, target: string, us: number, effect: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      node.after(inc, this.jittered(us), () => this.complete(node, inc, m, target, effect, resolve, reject));
    });
  }

  /** An operation's completion: faults first, then the effect, then the caller hears back. */
  private complete<T>(
    node: SimNode,
    inc: number,
    m: DiskMethod,
    target: string,
    effect: () => T,
    resolve: (v: T) => void,
    reject: (e: Error) => void,
  ): void {
    this.stats.ops[m]++;
    const op = INTERCEPT_OP[m];
    const fault = this.sim.intercept({ area: 'disk', op, node: node.id, device: this.deviceId, target });
    if (fault === null) {
      this.settle(node, m, target, effect, resolve, reject);
      return;
    }
    this.stats.faults++;
    this.sim.trace.emit(node.id, 'disk.fault', { op, path: target, action: faultLabel(fault) });
    switch (fault.type) {
      case 'error':
        this.stats.errors++;
        reject(new EnvError(fault.code, `${op} '${target}': injected fault`));
        return;
      case 'crash':
        if (fault.when === 'after') this.tryEffect(effect);
        this.sim.crashByFault(node.id, fault, true);
        return;
      case 'torn':
        this.tear(m, effect);
        return;
      case 'bitflip': {
        const flip = m === 'read' || m === 'readFile';
        const eff = flip ? () => this.flipBit(effect() as Uint8Array) as T : effect;
        this.settle(node, m, target, eff, resolve, reject);
        return;
      }
      case 'pause': {
        // The node froze at this operation: its completion waits for the resume ('before': the effect too).
        const later = (fn: () => void): void => node.deliver(inc, fn);
        if (fault.when === 'before') later(() => this.settle(node, m, target, effect, resolve, reject));
        else this.settle(node, m, target, effect, (v) => later(() => resolve(v)), (e) => later(() => reject(e)));
        return;
      }
    }
  }

  /** Runs the effect; an EnvError rejects the caller, anything else is a simulator bug and propagates. */
  private settle<T>(
    node: SimNode,
    m: DiskMethod,
    target: string,
    effect: () => T,
    resolve: (v: T) => void,
    reject: (e: Error) => void,
  ): void {
    let value: T;
    try {
      value = effect();
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      this.stats.errors++;
      this.sim.trace.emit(node.id, 'disk.error', { op: m, path: target, code: e.code });
      reject(e);
      return;
    }
    resolve(value);
  }

  private tryEffect(effect: () => unknown): void {
    try {
      effect();
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
    }
  }

  /** An injected torn write: it takes effect, then a power loss keeps a seeded prefix of its sectors. */
  private tear(m: DiskMethod, effect: () => unknown): void {
    if (m === 'write' || m === 'writeFile') {
      const seq = this.state.seqNext;
      this.tryEffect(effect);
      const ops = this.state.pendingOps;
      const last = ops[ops.length - 1];
      if (last !== undefined && last.seq >= seq && (last.kind === 'write' || last.kind === 'writeFile')) {
        this.forced = { seq: last.seq, outcome: tornPrefix(last, this.spec.sectorSize, () => this.faultRng.float()) };
      }
    }
    this.sim.powerLoss(this.deviceId);
  }

  /** Flips one seeded bit of a read's result (the disk is unchanged). */
  private flipBit(bytes: Uint8Array): Uint8Array {
    if (bytes.length === 0) return bytes;
    const bit = this.faultRng.int(bytes.length * 8);
    bytes[bit >> 3]! ^= 1 << (bit & 7);
    return bytes;
  }

  // ---------------------------------------------------------------- power loss

  /** Resolves a power loss of this device (called through the simulation's lifecycle). */
  private resolvePowerLoss(): void {
    const ops = this.state.pendingOps.slice();
    const outcomes = this.chosen ?? drawOutcomes(this.spec.profile, ops, this.spec.sectorSize, () => this.stream().float());
    this.applyForced(ops, outcomes);
    this.state.powerLoss(outcomes);
    this.lastPowerLoss = { ops, outcomes };
    this.stats.powerLosses++;
    let landed = 0;
    let lost = 0;
    let torn = 0;
    for (const o of outcomes) {
      if (o === 'lose') lost++;
      else if (typeof o === 'object') torn++;
      else landed++;
    }
    this.sim.trace.emit('sim', 'disk.powerloss', { device: this.deviceId, pending: ops.length, landed, lost, torn });
  }

  /**
   * Applies an injected torn write's outcome. Under 'ordered' everything issued before it lands (an
   * ordered disk writes in issue order, so a write in progress means the earlier ones are done).
   */
  private applyForced(ops: readonly PendingOp[], outcomes: PendingOutcome[]): void {
    const forced = this.forced;
    this.forced = null;
    if (forced === null) return;
    const i = ops.findIndex((op) => op.seq === forced.seq);
    if (i < 0) return;
    outcomes[i] = forced.outcome;
    if (this.spec.profile === 'ordered') for (let k = 0; k < i; k++) outcomes[k] = 'land';
  }

  private stream(): Rng {
    return this.sim.stream(`disk/${this.deviceId}`);
  }

  /** The unsynced operations, in issue order (a copy; the ops themselves are shared, do not mutate). */
  pendingOps(): readonly PendingOp[] {
    return this.state.pendingOps.slice();
  }

  /** The outcomes this disk's profile allows for `op` alone (see pending.ts for the full rules). */
  allowedOutcomes(op: PendingOp): PendingOutcome[] {
    return allowedOutcomes(this.spec.profile, op, this.spec.sectorSize);
  }

  /**
   * Every combination of outcomes the profile allows, as choosers, when that is a short list:
   * 'strict' has one (lose everything); 'ordered' has pendingOps().length + 1 (land the first k, for k =
   * 0..n). 'weak' combines outcomes per op independently: enumerate `allowedOutcomes(op)` per op instead.
   */
  orderedPrefixes(): OutcomeChooser[] {
    const n = this.state.pendingOps.length;
    if (this.spec.profile === 'strict') return [() => 'lose'];
    if (this.spec.profile === 'weak') {
      throw new Error(`disk '${this.deviceId}': profile 'weak' has no prefix structure; combine allowedOutcomes(op) per op`);
    }
    const out: OutcomeChooser[] = [];
    for (let k = 0; k <= n; k++) out.push((_op, i) => (i < k ? 'land' : 'lose'));
    return out;
  }

  private outcomesFrom(choose: OutcomeChooser): PendingOutcome[] {
    const ops = this.state.pendingOps;
    const outcomes = ops.map((op, i) => choose(op, i));
    checkOutcomes(this.spec.profile, ops, outcomes, this.spec.sectorSize);
    return outcomes;
  }

  /**
   * Cuts the device's power (every node on it goes down) and resolves the pending ops with the outcomes
   * `choose` gives. Throws, changing nothing, if the profile does not allow them.
   */
  powerLossWith(choose: OutcomeChooser): void {
    this.chosen = this.outcomesFrom(choose);
    try {
      this.sim.powerLoss(this.deviceId);
    } finally {
      this.chosen = null;
    }
  }

  /** The disk image a power loss with `choose`'s outcomes would leave, without changing anything. */
  previewPowerLoss(choose: OutcomeChooser): DiskImage {
    return this.state.preview(this.outcomesFrom(choose)).toDiskImage();
  }

  // ---------------------------------------------------------------- introspection (checkers and tests)

  /** Durable file path -> bytes (reachable files only). The arrays are shared: do not mutate. */
  durableSnapshot(): Map<string, Uint8Array> {
    return this.state.durable.snapshot();
  }

  /** Durable bytes of one file (null: no durable, reachable entry). The array is shared: do not mutate. */
  durableFile(path: string): Uint8Array | null {
    return this.state.durable.file(path);
  }

  /**
   * A counter that changes whenever `durableFile(p)` may return something else for one of `paths` (it may
   * also change when it does not); for evidence that re-reads a few durable files at every fsync.
   */
  watchDurable(paths: readonly string[]): () => number {
    return this.state.watchDurable(paths);
  }

  /** Durable directories reachable from the root ('/' excluded), sorted. */
  listDurableDirs(): string[] {
    return [...this.state.durable.reachableDirs()].filter((d) => d !== ROOT).sort();
  }

  /** The durable image (what a power loss with every pending op lost leaves), e.g. to start another disk. */
  durableImage(): DiskImage {
    return this.state.durable.toDiskImage();
  }

  /** Visible file path -> copy of its bytes (what processes see now). */
  visibleSnapshot(): Map<string, Uint8Array> {
    return this.state.visible.snapshot();
  }

  /** Visible directories ('/' excluded), sorted. */
  listVisibleDirs(): string[] {
    return [...this.state.visible.dirs].filter((d) => d !== ROOT).sort();
  }

  /** Counters (a live object: read, do not mutate). */
  counters(): Readonly<DiskCounters> {
    return this.stats;
  }

  // ---------------------------------------------------------------- damage at rest (fault injection)

  /**
   * Damages the medium under the durable file `path`: its durable contents become `bytes` (the disk owns
   * them from now on), and what processes see of the file follows, unless a pending write covers the
   * damage. Unlike a bit flipped on read, every later read and every image after a power loss sees it.
   * Traced as 'disk.corrupt' {device, path, len} (node 'sim'). False, changing nothing, when `path` is
   * not a durable, reachable file.
   */
  damageDurable(path: string, bytes: Uint8Array): boolean {
    if (!this.state.damage(path, bytes)) return false;
    this.sim.trace.emit('sim', 'disk.corrupt', { device: this.deviceId, path, len: bytes.length });
    return true;
  }

  // ---------------------------------------------------------------- space shared with the kv store

  /** Bytes still free under DiskSpec.capacityBytes (Infinity when unlimited). */
  freeBytes(): number {
    return this.state.freeBytes();
  }

  /** Sets the bytes `owner` (e.g. the device's kv store) occupies on this disk outside files. */
  setExternalBytes(owner: string, bytes: number): void {
    this.state.setExternalBytes(owner, bytes);
  }
}
