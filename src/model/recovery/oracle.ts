/**
 * The storage oracle: what every store's committed state must be, computed from the workload's own
 * writes and the store's commit boundaries in the trace, and the invariants checked against it after
 * every recovery and on every verified read.
 *
 * The workload tells the oracle what it wrote (`noteWrite`, with the sequence number the store returned)
 * and what a completed forceSync acknowledged (`noteAck`). From the trace it takes commit boundaries:
 * `store.commit.begin {commit, upTo}` (the batch is every write of this process with seq <= upTo not yet
 * committed), `store.commit.marker-write`, `store.commit.marker`, `store.commit.refused`, and
 * `store.recover.done {commit, digest, tombstoneDigest}`. The medium itself is read through a `DurableView` (the
 * simulator's durable image), never through implementation internals.
 *
 * Invariants (each a failure name):
 * - invariant:commit-sequence          commits are numbered marker + 1
 * - invariant:acked-survives           recovery never goes below a commit acknowledged by forceSync
 * - invariant:durable-commit-survives  ... nor below a commit whose marker was reported durable
 * - invariant:no-block-newer-than-marker  recovery never exposes a commit whose marker write never started
 * - invariant:atomic-batch             the recovered (id, version) set is exactly one commit's (all old or all new)
 * - invariant:tombstones-persist       the recovered tombstones are exactly the recovered commit's: every block
 *                                      deallocated by a commit <= it and not written since (with the commit that
 *                                      deallocated it), and no other
 * - invariant:checksums-valid          recovery found no corrupt committed block (unless the scenario rots the disk)
 * - invariant:no-stray-files           after recovery the medium holds only referenced block versions, no
 *                                      pending metadata or temporaries, and no deallocated (tombstoned) block
 * - invariant:committed-data-durable   every committed block's current version is durable with the right bytes
 * - invariant:read-returns-committed-data  a read returns the committed bytes (or fails), never other bytes
 */
import type { ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { expectedDigest, expectedTombstoneDigest, sameBytes } from './digest.ts';

/** A block the oracle expects: its version (commit that wrote it) and bytes. */
export interface ExpectedBlock {
  v: number;
  data: Uint8Array;
}

/** Expected committed state: block id -> block. */
export type ExpectedState = Map<number, ExpectedBlock>;

/**
 * Expected tombstones: block id -> the commit that deallocated it. A commit deallocates a block that was
 * allocated before it and is absent after it; a block absent before (never written, or already
 * deallocated) keeps what it had; a block written by a commit loses its tombstone.
 */
export type ExpectedTombstones = Map<number, number>;

/** What one commit leaves: its blocks and its tombstones. */
interface Snapshot {
  state: ExpectedState;
  tombs: ExpectedTombstones;
}

/** The durable medium of one store as the simulator sees it: entry name -> bytes. */
export interface DurableView {
  /** Names in the store's root (file backend: 'marker', 'meta.json', ...; kv: metadata keys). */
  rootEntries(): string[];
  /** Block entries: '<id>.<version>' -> bytes. */
  blockEntries(): Map<string, Uint8Array>;
}

/** Names allowed in a store's root after recovery. */
const ROOT_ALLOWED = new Set(['marker', 'meta.json', 'blocks', 'meta']);

interface Book {
  k: number;
  committed: ExpectedState;
  /** Tombstones of the committed state. */
  tombs: ExpectedTombstones;
  /** Committed states that may still be the durable one (relaxed commits), by commit number. */
  history: Map<number, Snapshot>;
  candidates: Map<number, Snapshot & { upTo: number }>;
  pending: { seq: number; id: number; data: Uint8Array | null }[];
  markerStarted: number;
  /** Lowest commit recovery may return: max of acknowledged and durably-marked commits. */
  floor: number;
  acked: number;
}

/** Options of the oracle. */
export interface OracleOptions {
  /** Recovery may find corrupt blocks (a scenario that damages the medium on purpose). */
  allowCorruption?: boolean;
  /** Durable views per node, for the stray and durability checks (omit to skip them). */
  durable?: (node: string) => DurableView | null;
  /** Commits reported by `store.commit.marker` are durable (false for relaxed kv commits). */
  markerIsDurable?: boolean;
}

/** Tracks expected state per node and fails the run when an invariant breaks. */
export class StorageOracle {
  private readonly books = new Map<string, Book>();
  private failed = false;
  /** Recoveries checked, reads verified (for tests and reports). */
  readonly stats = { recoveries: 0, reads: 0, readErrors: 0 };

  constructor(
    private readonly ctx: Pick<ScenarioContext, 'sim' | 'fail'>,
    private readonly options: OracleOptions = {},
  ) {}

  /** Subscribes to the trace. */
  attach(): void {
    const t = this.ctx.sim.trace;
    t.on('store.commit.begin', (r) => this.onBegin(r));
    t.on('store.commit.marker-write', (r) => {
      const b = this.book(r.node);
      b.markerStarted = Math.max(b.markerStarted, r.data.commit as number);
    });
    t.on('store.commit.marker', (r) => this.onMarker(r));
    t.on('store.commit.refused', (r) => void (this.book(r.node).pending = []));
    t.on('store.recover.done', (r) => this.onRecovered(r));
    t.on('node.crash', (r) => void (this.book(r.node).pending = []));
    t.on('node.stop', (r) => void (this.book(r.node).pending = []));
  }

  private book(node: string): Book {
    let b = this.books.get(node);
    if (b === undefined) {
      b = {
        k: 0,
        committed: new Map(),
        tombs: new Map(),
        history: new Map([[0, { state: new Map(), tombs: new Map() }]]),
        candidates: new Map(),
        pending: [],
        markerStarted: 0,
        floor: 0,
        acked: 0,
      };
      this.books.set(node, b);
    }
    return b;
  }

  private fail(check: string, message: string, details: Record<string, unknown> = {}): void {
    if (this.failed) return;
    this.failed = true;
    this.ctx.fail('correctness', check, message, details);
  }

  /** The workload wrote `data` (null: deallocated) to block `id` of `node`'s store; the store returned `seq`. */
  noteWrite(node: string, seq: number, id: number, data: Uint8Array | null): void {
    this.book(node).pending.push({ seq, id, data: data === null ? null : data.slice() });
  }

  /** A forceSync of `node` completed with marker `commit`: that commit must survive every crash. */
  noteAck(node: string, commit: number): void {
    const b = this.book(node);
    b.acked = Math.max(b.acked, commit);
    this.raiseFloor(b, commit);
  }

  /** The committed state the oracle expects of `node` now. */
  expected(node: string): ReadonlyMap<number, ExpectedBlock> {
    return this.book(node).committed;
  }

  /** The commit the oracle believes is current on `node`. */
  commitOf(node: string): number {
    return this.book(node).k;
  }

  private raiseFloor(b: Book, commit: number): void {
    b.floor = Math.max(b.floor, commit);
    for (const c of [...b.history.keys()]) if (c < b.floor) b.history.delete(c);
  }

  private onBegin(r: TraceRecord): void {
    const b = this.book(r.node);
    const n = r.data.commit as number;
    const upTo = r.data.upTo as number;
    if (n !== b.k + 1) {
      this.fail('invariant:commit-sequence', `${r.node}: commit ${n} began on top of commit ${b.k}`, { commit: n, current: b.k });
      return;
    }
    const state: ExpectedState = new Map(b.committed);
    const touched = new Set<number>();
    for (const w of b.pending) {
      if (w.seq > upTo) break;
      touched.add(w.id);
      if (w.data === null) state.delete(w.id);
      else state.set(w.id, { v: n, data: w.data });
    }
    b.candidates.set(n, { state, tombs: nextTombstones(b.committed, b.tombs, state, touched, n), upTo });
  }

  private onMarker(r: TraceRecord): void {
    const b = this.book(r.node);
    const n = r.data.commit as number;
    const c = b.candidates.get(n);
    if (c === undefined) {
      this.fail('invariant:commit-sequence', `${r.node}: marker of commit ${n}, which never began`, { commit: n });
      return;
    }
    this.adopt(b, n, c);
    if (this.options.markerIsDurable !== false) this.raiseFloor(b, n);
  }

  private adopt(b: Book, n: number, c: Snapshot & { upTo: number }): void {
    b.committed = c.state;
    b.tombs = c.tombs;
    b.k = n;
    b.history.set(n, { state: c.state, tombs: c.tombs });
    b.pending = b.pending.filter((w) => w.seq > c.upTo);
    for (const key of [...b.candidates.keys()]) if (key <= n) b.candidates.delete(key);
  }

  private onRecovered(r: TraceRecord): void {
    this.stats.recoveries++;
    const b = this.book(r.node);
    const got = r.data.commit as number;
    if (!this.resolveRecovered(r.node, b, got)) return;
    const want = expectedDigest(b.committed);
    if (r.data.digest !== want) {
      this.fail('invariant:atomic-batch', `${r.node}: recovered commit ${got} with digest ${String(r.data.digest)}, expected ${want} (a batch is not all old or all new)`, {
        commit: got,
        expectedBlocks: [...b.committed.entries()].map(([id, e]) => `${id}:${e.v}`).slice(0, 20),
      });
      return;
    }
    const wantTombs = expectedTombstoneDigest(b.tombs);
    if (r.data.tombstoneDigest !== wantTombs) {
      this.fail(
        'invariant:tombstones-persist',
        `${r.node}: recovered commit ${got} with ${String(r.data.tombstones)} tombstones (digest ${String(r.data.tombstoneDigest)}), expected ${b.tombs.size} (digest ${wantTombs}): a deallocation was lost or resurrected, or a rewritten block is still tombstoned`,
        {
          commit: got,
          tombstones: r.data.tombstones,
          expectedTombstones: [...b.tombs.entries()].sort((x, y) => x[0] - y[0]).map(([id, c]) => `${id}@${c}`).slice(0, 20),
        },
      );
      return;
    }
    if (!this.options.allowCorruption && ((r.data.corrupt as number) > 0 || (r.data.repaired as number) > 0)) {
      this.fail('invariant:checksums-valid', `${r.node}: recovery found ${String(r.data.corrupt)} corrupt and repaired ${String(r.data.repaired)} committed blocks`);
      return;
    }
    const view = this.options.durable?.(r.node) ?? null;
    if (view !== null) this.checkMedium(r.node, b, view);
  }

  /** Decides which expected state a recovery to commit `got` must match; false after a failure. */
  private resolveRecovered(node: string, b: Book, got: number): boolean {
    if (got === b.k) return true;
    if (got > b.k) {
      const c = b.candidates.get(got);
      if (c === undefined || got > b.markerStarted) {
        this.fail('invariant:no-block-newer-than-marker', `${node}: recovery exposed commit ${got}, whose marker write never started (last started: ${b.markerStarted})`, { got, markerStarted: b.markerStarted });
        return false;
      }
      this.adopt(b, got, c);
      return true;
    }
    if (got < b.acked) {
      this.fail('invariant:acked-survives', `${node}: recovered commit ${got}, but forceSync acknowledged commit ${b.acked}`, { got, acked: b.acked });
      return false;
    }
    const old = b.history.get(got);
    if (got < b.floor || old === undefined) {
      this.fail('invariant:durable-commit-survives', `${node}: recovered commit ${got}, but commit ${b.floor} was durably marked`, { got, floor: b.floor });
      return false;
    }
    b.committed = old.state;
    b.tombs = old.tombs;
    b.k = got;
    b.candidates.clear();
    return true;
  }

  private checkMedium(node: string, b: Book, view: DurableView): void {
    const extra = view.rootEntries().filter((n) => !ROOT_ALLOWED.has(n));
    if (extra.length > 0) {
      this.fail('invariant:no-stray-files', `${node}: after recovery the store root still holds ${extra.join(', ')}`, { extra });
      return;
    }
    const entries = view.blockEntries();
    const perBlock = new Map<number, number>();
    for (const name of entries.keys()) {
      const m = /^(\d+)\.(\d+)$/.exec(name);
      const id = m === null ? -1 : Number(m[1]);
      const e = b.committed.get(id);
      if (m === null || e === undefined || Number(m[2]) > e.v) {
        this.fail('invariant:no-stray-files', `${node}: block entry '${name}' is not a committed version of an allocated block`, { name });
        return;
      }
      perBlock.set(id, (perBlock.get(id) ?? 0) + 1);
    }
    for (const [id, e] of b.committed) {
      const bytes = entries.get(`${id}.${e.v}`);
      if (bytes === undefined || !sameBytes(bytes, e.data)) {
        this.fail('invariant:committed-data-durable', `${node}: block ${id} v${e.v} is ${bytes === undefined ? 'missing from' : 'wrong on'} the durable medium`, { id, v: e.v });
        return;
      }
      if ((perBlock.get(id) ?? 0) > 2) {
        this.fail('invariant:no-stray-files', `${node}: block ${id} keeps ${perBlock.get(id)} versions (at most current and previous)`, { id });
        return;
      }
    }
  }

  /**
   * Checks a committed read of block `id` on `node`: `before` is `expected(node).get(id)` captured when
   * the read started (a commit may complete while it runs). An error is acceptable; other bytes are not.
   */
  verifyRead(node: string, id: number, before: ExpectedBlock | undefined, got: Uint8Array | null | Error): void {
    this.stats.reads++;
    if (got instanceof Error) {
      this.stats.readErrors++;
      return;
    }
    const after = this.book(node).committed.get(id);
    const ok = (e: ExpectedBlock | undefined): boolean => (e === undefined ? got === null : got !== null && sameBytes(got, e.data));
    if (ok(before) || ok(after)) return;
    this.fail('invariant:read-returns-committed-data', `${node}: read of block ${id} returned ${got === null ? 'nothing' : 'bytes that were never committed there'}; expected ${after === undefined ? 'nothing' : `v${after.v}`}`, {
      id,
      expected: after?.v ?? null,
    });
  }
}

/**
 * Tombstones after a commit `n` that turned `before` into `after`, touching the block ids `touched`: a
 * block allocated before and absent after is tombstoned by `n`; a block present after is not; any other
 * keeps its tombstone (or its absence). Copies `tombs` only when it changes.
 */
function nextTombstones(before: ExpectedState, tombs: ExpectedTombstones, after: ExpectedState, touched: ReadonlySet<number>, n: number): ExpectedTombstones {
  let out = tombs;
  const own = (): ExpectedTombstones => (out === tombs ? (out = new Map(tombs)) : out);
  for (const id of touched) {
    if (after.has(id)) {
      if (out.has(id)) own().delete(id);
    } else if (before.has(id)) {
      own().set(id, n);
    }
  }
  return out;
}
