/**
 * The storage oracle: what every store's committed state must be, computed from the workload's own
 * writes and the store's commit boundaries in the trace, and the invariants checked against the
 * simulator's durable image after every recovery and on every verified read. One checker over several
 * invariants, named after the check that runs it ('storage-oracle': `oracleCheck` in
 * scenarios/storage/_harness.ts).
 *
 * Evidence: the workload tells the oracle what it wrote (`noteWrite`, with the sequence number the store
 * returned), what a completed forceSync acknowledged (`noteAck`) and which forceSync carrying request ids
 * was refused because one was applied already (`noteDiscarded`: the batch was a retry's, nothing applied). From the trace it takes commit
 * boundaries (`store.commit.begin {commit, upTo}`: the batch is every write of this process with seq <= upTo
 * not yet committed; `store.commit.marker-write`) and the ground truth `fact.store` (the durable commit
 * point of the device: a commit becomes the expected state when the durable image says its marker is
 * durable, never because the store says so; with relaxed commits, whose durability is not promised, the
 * commit the simulator's visible kv image of the marker holds when the store reports a marker
 * (`store.commit.marker`) becomes the visible state; until the store says so, by that report or by
 * the recovery that resolves an uncertain marker write, its reads may still return the state before). After
 * `store.recover.done` it reads the
 * durable image (`StoreImage`: metadata, block entries, root entries) and checks it, not the digests and
 * counts the store reports: a store that reports the expected digest while holding other blocks fails.
 *
 * Invariants (each a failure name):
 * - invariant:commit-sequence          commits are numbered marker + 1
 * - invariant:acked-survives           the recovered medium never holds less than a commit acknowledged by forceSync
 * - invariant:durable-commit-survives  ... nor less than a commit whose marker the durable image held
 * - invariant:no-block-newer-than-marker  recovery never exposes a commit whose marker write never started
 * - invariant:atomic-batch             the medium's metadata lists exactly one commit's (id, version) set
 * - invariant:tombstones-persist       the medium's tombstones are exactly that commit's: every block deallocated
 *                                      by a commit <= it and not written since (with the commit that deallocated
 *                                      it), and no other
 * - invariant:checksums-valid          every version the medium's metadata references holds the bytes the workload
 *                                      wrote for it, under the checksum the metadata records, and the previous version
 *                                      it names is the one the commit replaced; and the store reports no corrupt or
 *                                      repaired block (unless the scenario damages the medium on purpose: then only
 *                                      versions the simulator damaged at rest are excused, and a repair is accepted
 *                                      only of such a version, to a previous version holding the workload's bytes)
 * - invariant:no-stray-files           the medium holds only referenced block versions, no pending metadata or
 *                                      temporaries, no deallocated (tombstoned) block, at most two versions
 * - invariant:committed-data-durable   every committed block's current version is durable with the right bytes
 * - invariant:read-returns-committed-data  a read returns the committed bytes (or fails), never other bytes
 */
import type { DurableMeta, StoreImage } from '../../evidence/store-image.ts';
import type { ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { sameBytes } from './block-digest.ts';
import { blockChecksum } from '../../evidence/block-checksum.ts';

/** A block the oracle expects: its version (commit that wrote it) and bytes. */
export interface ExpectedBlock {
  v: number;
  data: Uint8Array;
  /**
   * The version the block had in the committed state the commit built on (what the store keeps as its
   * previous version, the copy a repair rolls back to); undefined: none (new, or allocated again).
   */
  prev?: { v: number; data: Uint8Array };
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

/** The durable medium of one store as the simulator sees it (src/evidence/store-image.ts). */
export type DurableView = StoreImage;

const NONE: ReadonlySet<string> = new Set();

/** Names allowed in a store's root after recovery. */
const ROOT_ALLOWED = new Set(['marker', 'meta.json', 'blocks', 'meta']);

/** Every invariant the oracle checks (the `covers` of a check that runs it). */
export const ORACLE_INVARIANTS = [
  'invariant:commit-sequence',
  'invariant:acked-survives',
  'invariant:durable-commit-survives',
  'invariant:no-block-newer-than-marker',
  'invariant:atomic-batch',
  'invariant:tombstones-persist',
  'invariant:checksums-valid',
  'invariant:no-stray-files',
  'invariant:committed-data-durable',
  'invariant:read-returns-committed-data',
] as const;

interface Book {
  k: number;
  committed: ExpectedState;
  /** Tombstones of the committed state. */
  tombs: ExpectedTombstones;
  /** Committed states that may still be the durable one (relaxed commits), by commit number. */
  history: Map<number, Snapshot>;
  candidates: Map<number, Snapshot & { upTo: number }>;
  /** Writes of the workload not yet in an adopted commit, in call order; `n`: the order of noting (noted). */
  pending: { seq: number; id: number; data: Uint8Array | null; n: number; at: number }[];
  /** Writes the workload has noted so far (the `n` of the next one). */
  noted: number;
  markerStarted: number;
  /** Lowest commit recovery may return: max of acknowledged commits and durable commit points seen. */
  floor: number;
  acked: number;
  /** Bytes of every block version a commit wrote: '<id>.<version>' -> bytes. */
  versions: Map<string, Uint8Array>;
  /**
   * The state before a commit the durable image made current while the store had not said so yet (its
   * marker report, or the recovery that resolves an uncertain marker write): the store may serve it until then.
   */
  lagging: ExpectedState | null;
  /**
   * The batch (`upTo`) of the last commit the store traced as discarded (`store.commit.discarded`), until
   * the workload says it was refused with EAPPLIED (`noteDiscarded`): the trace record alone excuses nothing.
   */
  discardedUpTo: number | null;
  /**
   * Distinct blocks of the batch of the last commit adopted, until the next commit begins: the store may
   * still hold them as dirty until its commit call returns (file backend, syncFirst false: the data fsyncs
   * run after the marker), though they are no longer outstanding.
   */
  settling: number;
}

/** Options of the oracle. */
export interface OracleOptions {
  /** Recovery may find corrupt blocks (a scenario that damages the medium on purpose). */
  allowCorruption?: boolean;
  /**
   * The block versions ('<id>.<v>') of `node`'s store that the simulator damaged at rest (its `disk.corrupt`
   * / `kv.corrupt` records), with `allowCorruption`: only those may hold other bytes than the workload
   * wrote, or be missing, on the medium after recovery; a repair (the block rolled back to its previous
   * version) is accepted only of a version damaged there, and only to a previous version that holds the
   * workload's bytes. Without it every version is held to the workload's bytes as when nothing is damaged.
   */
  damagedAtRest?: (node: string) => ReadonlySet<string>;
  /**
   * The block versions ('<id>.<v>') a repair of `node`'s device rolled back to while they were not damaged
   * at rest (from `store.recover.repair` records, against the simulator's damage records at that moment).
   * A version damaged at rest only after the repair is judged by what the repair saw: a repair in a
   * recovery that a crash cut short is judged at the next recovery's end, when later damage may have hit
   * the version it restored (storage-swarm-kv-long seed 125, found on fresh seeds by a review).
   */
  repairedOntoIntact?: (node: string) => ReadonlySet<string>;
  /**
   * Repair mode and no transient read faults: a block whose current version was damaged at rest while its
   * previous version is intact must be repaired by the recovery (the store has no excuse to keep serving
   * ECHECKSUM for it).
   */
  demandRepair?: boolean;
  /** The durable image of a node's store, read after every recovery. */
  durable: (node: string) => DurableView | null;
  /**
   * The store commits with relaxed durability when not forced (kv `relaxedCommits`): a commit becomes the
   * expected (visible) state when it is visible, since its durability is not promised: when the store
   * reports its marker, the commit the simulator's visible kv image of the marker holds (`visibleMarker`).
   */
  relaxedCommits?: boolean;
  /**
   * The commit of the marker in the simulator's visible kv image of `node`'s store (null: none), read when
   * the store reports a marker with relaxed commits. Without it (hand-fed tests) the store's report is taken.
   */
  visibleMarker?: (node: string) => number | null;
}

type OracleContext = Pick<ScenarioContext, 'trace' | 'fail'> & Partial<Pick<ScenarioContext, 'exercised'>>;

/** Tracks expected state per node and fails the run when an invariant breaks. */
export class StorageOracle {
  private readonly books = new Map<string, Book>();
  private readonly nodesOf = new Map<string, string[]>();
  private failed = false;
  /** Recoveries checked, reads verified (for tests and reports). */
  readonly stats = { recoveries: 0, reads: 0, readErrors: 0 };

  constructor(
    private readonly ctx: OracleContext,
    private readonly options: OracleOptions,
  ) {}

  /** Subscribes to the trace. */
  attach(): void {
    const t = this.ctx.trace;
    t.on('node.start', (r) => this.learnDevice(r));
    t.on('fact.store', (r) => this.onFact(r));
    t.on('store.commit.begin', (r) => this.onBegin(r));
    t.on('store.commit.marker-write', (r) => {
      const b = this.book(r.node);
      b.markerStarted = Math.max(b.markerStarted, r.data.commit as number);
    });
    t.on('store.commit.marker', (r) => this.onMarker(r));
    t.on('store.commit.refused', (r) => void (this.book(r.node).pending = []));
    t.on('store.commit.discarded', (r) => this.onDiscarded(r));
    t.on('store.recover.done', (r) => this.onRecovered(r));
    t.on('node.start', (r) => void (this.book(r.node).lagging = null));
    t.on('node.crash', (r) => void (this.book(r.node).pending = []));
    t.on('node.stop', (r) => void (this.book(r.node).pending = []));
  }

  private learnDevice(r: TraceRecord): void {
    const device = String(r.data.device);
    const nodes = this.nodesOf.get(device) ?? [];
    if (!nodes.includes(r.node)) this.nodesOf.set(device, [...nodes, r.node]);
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
        noted: 0,
        markerStarted: 0,
        floor: 0,
        acked: 0,
        versions: new Map(),
        lagging: null,
        discardedUpTo: null,
        settling: 0,
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

  private exercised(name: (typeof ORACLE_INVARIANTS)[number]): void {
    this.ctx.exercised?.(name);
  }

  /** The workload wrote `data` (null: deallocated) to block `id` of `node`'s store; the store returned `seq`. */
  noteWrite(node: string, seq: number, id: number, data: Uint8Array | null, atMs = -1): void {
    const b = this.book(node);
    b.pending.push({ seq, id, data: data === null ? null : data.slice(), n: b.noted++, at: atMs });
  }

  /**
   * What a read of block `id` on `node` that may see uncommitted data must return now: the workload's
   * latest write to it (null: a deallocation), or, with none outstanding, the committed state's bytes.
   */
  latestWrite(node: string, id: number): Uint8Array | null {
    const b = this.book(node);
    for (let i = b.pending.length - 1; i >= 0; i--) if (b.pending[i]!.id === id) return b.pending[i]!.data;
    return b.committed.get(id)?.data ?? null;
  }

  /**
   * The workload's writes of `node` in no commit that took effect yet: distinct blocks, and the oldest's
   * time; and the distinct blocks of the last adopted commit's batch until the next commit begins.
   */
  outstanding(node: string): { blocks: number; oldestMs: number | null; settlingBlocks: number } {
    const b = this.book(node);
    const p = b.pending;
    return { blocks: new Set(p.map((w) => w.id)).size, oldestMs: p.length === 0 ? null : p[0]!.at, settlingBlocks: b.settling };
  }

  /** How many writes the workload has noted on `node`: taken when it calls forceSync, given back to noteAck. */
  writesNoted(node: string): number {
    return this.book(node).noted;
  }

  /**
   * A forceSync of `node` completed with marker `commit`: that commit must survive every crash. `before`
   * (writesNoted when the workload called forceSync): every write the workload made before the call must
   * be in an adopted commit by now (the acknowledged one or an earlier one), whatever `upTo` the store
   * claimed for its commits: a forceSync that acknowledges while a write made before it is still
   * buffered, lost or replaced by an older one breaks invariant:acked-survives.
   */
  noteAck(node: string, commit: number, before?: number): void {
    const b = this.book(node);
    b.acked = Math.max(b.acked, commit);
    this.raiseFloor(b, commit);
    if (before === undefined) return;
    this.exercised('invariant:acked-survives');
    const left = b.pending.find((w) => w.n < before);
    if (left === undefined) return;
    this.fail(
      'invariant:acked-survives',
      `${node}: forceSync acknowledged commit ${commit}, but the workload's write seq ${left.seq} (block ${left.id}), made before that forceSync was called, is in no commit up to it (commit ${b.k} holds ${describe(b.committed.get(left.id))} there)`,
      { commit, seq: left.seq, id: left.id },
    );
  }

  /**
   * A forceSync of `node` carrying request ids, called when `before` writes were noted (`writesNoted`), was
   * refused with EAPPLIED naming an id the workload had sent before: the store applied nothing and dropped
   * its batch (a retry's writes). Those writes leave the outstanding ones: every write made before the call,
   * and the rest of the batch the store last traced as discarded (writes made after the call, before the
   * commit began). The workload's word, told only on the answer it got, never the trace record alone.
   */
  noteDiscarded(node: string, before: number): void {
    const b = this.book(node);
    const upTo = b.discardedUpTo ?? -1;
    b.discardedUpTo = null;
    b.pending = b.pending.filter((w) => w.n >= before && w.seq > upTo);
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
    if (commit <= b.floor) return;
    b.floor = commit;
    for (const c of [...b.history.keys()]) if (c < b.floor) b.history.delete(c);
  }

  private onBegin(r: TraceRecord): void {
    const b = this.book(r.node);
    const n = r.data.commit as number;
    const upTo = r.data.upTo as number;
    b.settling = 0;
    this.exercised('invariant:commit-sequence');
    if (n !== b.k + 1) {
      const lost = b.candidates.has(n - 1) ? ` (commit ${n - 1} began, but the durable image never held its marker)` : '';
      this.fail('invariant:commit-sequence', `${r.node}: commit ${n} began on top of commit ${b.k}${lost}`, { commit: n, current: b.k });
      return;
    }
    const state: ExpectedState = new Map(b.committed);
    const touched = new Set<number>();
    for (const w of b.pending) {
      if (w.seq > upTo) break;
      touched.add(w.id);
      if (w.data === null) state.delete(w.id);
      else {
        const cur = b.committed.get(w.id);
        state.set(w.id, { v: n, data: w.data, prev: cur === undefined ? undefined : { v: cur.v, data: cur.data } });
        b.versions.set(`${w.id}.${n}`, w.data);
      }
    }
    b.candidates.set(n, { state, tombs: nextTombstones(b.committed, b.tombs, state, touched, n), upTo });
  }

  /**
   * The store traced commit `n` as discarded (a request id found applied): only which batch it was (its
   * `upTo`) is kept, for `noteDiscarded`. Its writes stay outstanding until the workload says its forceSync
   * was refused with EAPPLIED: a store that traces a discard its caller never heard of, or answers EAPPLIED
   * to a commit the workload knows applied nothing, is not excused of the writes it dropped.
   */
  private onDiscarded(r: TraceRecord): void {
    const b = this.book(r.node);
    const c = b.candidates.get(r.data.commit as number);
    if (c !== undefined) b.discardedUpTo = c.upTo;
  }

  /** The durable commit point of a device moved: its commit (and every one below) is committed and must survive. */
  private onFact(r: TraceRecord): void {
    const durable = Math.max(Number(r.data.marker ?? 0), Number(r.data.meta ?? 0));
    for (const node of this.nodesOf.get(String(r.data.device)) ?? []) {
      const b = this.books.get(node);
      if (b === undefined) continue;
      this.raiseFloor(b, durable);
      const c = b.candidates.get(durable);
      if (durable <= b.k || c === undefined) continue;
      this.exercised('invariant:no-block-newer-than-marker');
      if (durable > b.markerStarted) {
        this.fail('invariant:no-block-newer-than-marker', `${node}: the durable image holds commit ${durable}, whose marker write never started (last started: ${b.markerStarted})`, { durable, markerStarted: b.markerStarted });
        return;
      }
      b.lagging ??= b.committed;
      this.adopt(b, durable, c);
    }
  }

  /**
   * The store reports commit `n` took effect: with relaxed commits the commit the simulator's visible image
   * of the marker now holds becomes the expected state (the report is when to look, not what to adopt: a
   * report the image does not bear out adopts nothing, and its writes stay outstanding).
   */
  private onMarker(r: TraceRecord): void {
    const b = this.book(r.node);
    b.lagging = null;
    if (this.options.relaxedCommits !== true) return;
    const visible = this.options.visibleMarker;
    const n = visible === undefined ? (r.data.commit as number) : (visible(r.node) ?? 0);
    const c = b.candidates.get(n);
    if (c !== undefined) this.adopt(b, n, c);
    else if (n > b.k) this.fail('invariant:commit-sequence', `${r.node}: ${visible === undefined ? '' : 'the visible kv image holds the '}marker of commit ${n}, which never began`, { commit: n });
  }

  private adopt(b: Book, n: number, c: Snapshot & { upTo: number }): void {
    b.committed = c.state;
    b.tombs = c.tombs;
    b.k = n;
    b.history.set(n, { state: c.state, tombs: c.tombs });
    b.settling = new Set(b.pending.filter((w) => w.seq <= c.upTo).map((w) => w.id)).size;
    b.pending = b.pending.filter((w) => w.seq > c.upTo);
    for (const key of [...b.candidates.keys()]) if (key <= n) b.candidates.delete(key);
  }

  private onRecovered(r: TraceRecord): void {
    this.stats.recoveries++;
    const b = this.book(r.node);
    b.lagging = null;
    const view = this.options.durable(r.node);
    if (view === null) return;
    const image = view.read();
    const meta: DurableMeta = image.metadata ?? { commit: 0, blocks: new Map(), tombstones: new Map(), algorithm: null };
    if (!this.resolveRecovered(r.node, b, meta.commit)) return;
    if (!this.acceptRepairs(r.node, b, meta, image.blockEntries)) return;
    if (!this.checkBatch(r.node, b, meta) || !this.checkTombstones(r.node, b, meta)) return;
    if (!this.checkVersions(r.node, b, meta, image.blockEntries) || !this.checkReported(r)) return;
    if (!this.checkMedium(r.node, b, image.rootEntries, image.blockEntries)) return;
    this.followReported(b, meta.commit, r.data.commit as number);
  }

  /** Decides which expected state the medium's commit `got` must match; false after a failure. */
  private resolveRecovered(node: string, b: Book, got: number): boolean {
    if (b.acked > 0) this.exercised('invariant:acked-survives');
    if (b.floor > 0) this.exercised('invariant:durable-commit-survives');
    if (got === b.k) return true;
    if (got > b.k) {
      this.exercised('invariant:no-block-newer-than-marker');
      const c = b.candidates.get(got);
      if (c === undefined || got > b.markerStarted) {
        this.fail('invariant:no-block-newer-than-marker', `${node}: recovery left commit ${got} on the medium, whose marker write never started (last started: ${b.markerStarted})`, { got, markerStarted: b.markerStarted });
        return false;
      }
      this.adopt(b, got, c);
      return true;
    }
    if (got < b.acked) {
      this.fail('invariant:acked-survives', `${node}: after recovery the medium holds commit ${got}, but forceSync acknowledged commit ${b.acked}`, { got, acked: b.acked });
      return false;
    }
    const old = b.history.get(got);
    if (got < b.floor || old === undefined) {
      this.fail('invariant:durable-commit-survives', `${node}: after recovery the medium holds commit ${got}, but commit ${b.floor} was durable`, { got, floor: b.floor });
      return false;
    }
    b.committed = old.state;
    b.tombs = old.tombs;
    b.k = got;
    b.candidates.clear();
    return true;
  }

  /** invariant:atomic-batch: the medium's metadata lists exactly the expected (id, version) set. */
  private checkBatch(node: string, b: Book, meta: DurableMeta): boolean {
    this.exercised('invariant:atomic-batch');
    const wrong: string[] = [];
    for (const [id, e] of b.committed) {
      const got = meta.blocks.get(id);
      if (got?.v !== e.v) wrong.push(`block ${id}: v${got?.v ?? '-'} instead of v${e.v}`);
    }
    for (const [id, got] of meta.blocks) if (!b.committed.has(id)) wrong.push(`block ${id}: v${got.v} instead of absent`);
    if (wrong.length === 0) return true;
    this.fail('invariant:atomic-batch', `${node}: after recovery the medium's metadata of commit ${meta.commit} is not commit ${b.k}'s state (not all old or all new): ${wrong.slice(0, 5).join('; ')}`, {
      commit: meta.commit,
      wrong: wrong.slice(0, 20),
    });
    return false;
  }

  /** invariant:tombstones-persist: the medium's tombstones are exactly the expected ones. */
  private checkTombstones(node: string, b: Book, meta: DurableMeta): boolean {
    if (b.tombs.size > 0 || meta.tombstones.size > 0) this.exercised('invariant:tombstones-persist');
    const wrong: string[] = [];
    for (const [id, c] of b.tombs) if (meta.tombstones.get(id) !== c) wrong.push(`block ${id}: ${meta.tombstones.has(id) ? `dated ${meta.tombstones.get(id)}` : 'lost'} (expected commit ${c})`);
    for (const [id, c] of meta.tombstones) if (!b.tombs.has(id)) wrong.push(`block ${id}: tombstoned by ${c}, expected none`);
    if (wrong.length === 0) return true;
    this.fail(
      'invariant:tombstones-persist',
      `${node}: after recovery commit ${meta.commit} holds ${meta.tombstones.size} tombstones, expected ${b.tombs.size}: ${wrong.slice(0, 5).join('; ')} (a deallocation was lost or resurrected, or a rewritten block is still tombstoned)`,
      { commit: meta.commit, wrong: wrong.slice(0, 20), expectedTombstones: [...b.tombs.entries()].sort((x, y) => x[0] - y[0]).map(([id, c]) => `${id}@${c}`).slice(0, 20) },
    );
    return false;
  }

  /** The block versions of `node`'s store damaged at rest (none unless the scenario damages the medium). */
  private damaged(node: string): ReadonlySet<string> {
    return this.options.allowCorruption === true && this.options.damagedAtRest !== undefined ? this.options.damagedAtRest(node) : NONE;
  }

  /**
   * Repairs after damage at rest (invariant:checksums-valid): a block the medium's metadata names at the
   * expected state's previous version instead of its current one was rolled back by a repair. Accepted only
   * when the simulator damaged the current version at rest, and only to a previous version that holds the
   * bytes the workload wrote for it (a repair must never serve a version that does not verify); the
   * expected state then follows the repair. With `demandRepair`, a block left at a version damaged at rest
   * while its previous version is intact fails too. Anything else is left to atomic-batch.
   */
  private acceptRepairs(node: string, b: Book, meta: DurableMeta, entries: Map<string, Uint8Array>): boolean {
    const damaged = this.damaged(node);
    if (damaged.size === 0) return true;
    let repaired: ExpectedState | null = null;
    for (const [id, e] of b.committed) {
      const got = meta.blocks.get(id);
      if (got === undefined || e.prev === undefined) continue;
      const intact = (v: number, data: Uint8Array): boolean => {
        const bytes = entries.get(`${id}.${v}`);
        return bytes !== undefined && sameBytes(bytes, data);
      };
      if (got.v === e.v) {
        if (this.options.demandRepair !== true || !damaged.has(`${id}.${e.v}`) || intact(e.v, e.data) || got.prev !== e.prev.v) continue;
        this.exercised('invariant:checksums-valid');
        if (!intact(e.prev.v, e.prev.data)) continue;
        this.fail('invariant:checksums-valid', `${node}: block ${id} v${e.v} was damaged at rest and recovery (repair mode) left it current, though its previous version v${e.prev.v} is intact on the medium`, { id, v: e.v, prev: e.prev.v });
        return false;
      }
      if (got.v !== e.prev.v || !damaged.has(`${id}.${e.v}`)) continue;
      this.exercised('invariant:checksums-valid');
      const name = `${id}.${e.prev.v}`;
      const damagedSince = damaged.has(name) && this.options.repairedOntoIntact?.(node).has(name) === true;
      if (!intact(e.prev.v, e.prev.data) && !damagedSince) {
        this.fail(
          'invariant:checksums-valid',
          `${node}: recovery repaired block ${id} (v${e.v}, damaged at rest) to its previous version v${e.prev.v}, which ${entries.has(`${id}.${e.prev.v}`) ? 'holds other bytes than the workload wrote' : 'is missing from the medium'}: a repair must roll back only to a version that verifies`,
          { id, v: e.v, to: e.prev.v },
        );
        return false;
      }
      repaired ??= new Map(b.committed);
      repaired.set(id, { v: e.prev.v, data: e.prev.data });
    }
    if (repaired !== null) {
      b.committed = repaired;
      b.history.set(b.k, { state: repaired, tombs: b.tombs });
    }
    return true;
  }

  /** invariant:checksums-valid on the medium: each version the metadata references holds the workload's bytes. */
  private checkVersions(node: string, b: Book, meta: DurableMeta, entries: Map<string, Uint8Array>): boolean {
    if (this.options.allowCorruption === true && this.options.damagedAtRest === undefined) return true;
    const damaged = this.damaged(node);
    if (meta.blocks.size > 0) this.exercised('invariant:checksums-valid');
    for (const [id, { v, prev, sum, prevSum }] of meta.blocks) {
      // The previous version is the one the commit replaced (the copy a repair rolls back to): metadata that
      // drops it, or names another, leaves the block unrepairable (a repair that keeps the damaged version
      // and drops its intact predecessor). Only a repair, which rolls the block back, leaves none.
      const e = b.committed.get(id);
      const keep = e?.prev?.v ?? -1;
      if (e !== undefined && e.v === v && prev !== keep) {
        this.fail('invariant:checksums-valid', `${node}: block ${id} v${v}: the metadata after recovery names ${prev < 0 ? 'no previous version' : `previous version v${prev}`}, but commit ${v} replaced ${keep < 0 ? 'none' : `v${keep}`} (the copy a repair rolls back to)`, { id, v, prev, expected: keep });
        return false;
      }
      for (const version of prev < 0 ? [v] : [v, prev]) {
        const name = `${id}.${version}`;
        const bytes = entries.get(name);
        const want = b.versions.get(name);
        if (want !== undefined && !this.sumMatches(meta, id, version === v ? sum : prevSum, want)) {
          this.fail(
            'invariant:checksums-valid',
            `${node}: block ${id} v${version}: the metadata after recovery records checksum ${String(version === v ? sum : prevSum)}, which the bytes the workload wrote for it do not have (the store will refuse a good copy as corrupt)`,
            { id, v: version },
          );
          return false;
        }
        if (want === undefined || (bytes !== undefined && sameBytes(bytes, want))) continue;
        // Damage at rest the store could not repair (the oracle judged the repairs first): it stays reported.
        if (damaged.has(name)) continue;
        // A missing current version is committed-data-durable's; a missing previous one is the copy a repair
        // would roll back to, which only a repair may give up (it drops the reference first): a finalize or
        // cleanup that deletes it while the metadata still names it leaves the block unrepairable.
        if (bytes === undefined && version === v) continue;
        this.fail(
          'invariant:checksums-valid',
          bytes === undefined
            ? `${node}: block ${id} v${version}, the previous version the metadata keeps for repair, is missing from the medium after recovery`
            : `${node}: block ${id} v${version}, referenced by the metadata after recovery, holds other bytes than the workload wrote`,
          { id, v: version, missing: bytes === undefined },
        );
        return false;
      }
    }
    return true;
  }

  /**
   * The checksum the metadata records for a version holds for the bytes the workload wrote (computed
   * independently, src/evidence/block-checksum.ts). True when the metadata names no algorithm.
   */
  private sumMatches(meta: DurableMeta, id: number, sum: number | null, want: Uint8Array): boolean {
    if (meta.algorithm === null) return true;
    return sum === blockChecksum(meta.algorithm, want);
  }

  /** The store's own report of damage it found, in a scenario that damages nothing (a reported failure is one). */
  private checkReported(r: TraceRecord): boolean {
    if (this.options.allowCorruption === true) return true;
    const corrupt = Number(r.data.corrupt ?? 0);
    const repaired = Number(r.data.repaired ?? 0);
    if (corrupt === 0 && repaired === 0) return true;
    this.fail('invariant:checksums-valid', `${r.node}: recovery reports ${corrupt} corrupt and ${repaired} repaired committed blocks, but nothing damaged the medium`);
    return false;
  }

  private checkMedium(node: string, b: Book, rootEntries: string[], entries: Map<string, Uint8Array>): boolean {
    this.exercised('invariant:no-stray-files');
    const damaged = this.damaged(node);
    const extra = rootEntries.filter((n) => !ROOT_ALLOWED.has(n));
    if (extra.length > 0) {
      this.fail('invariant:no-stray-files', `${node}: after recovery the store root still holds ${extra.join(', ')}`, { extra });
      return false;
    }
    const perBlock = new Map<number, number>();
    for (const name of entries.keys()) {
      const m = /^(\d+)\.(\d+)$/.exec(name);
      const id = m === null ? -1 : Number(m[1]);
      const e = b.committed.get(id);
      if (m === null || e === undefined || Number(m[2]) > e.v) {
        this.fail('invariant:no-stray-files', `${node}: block entry '${name}' is not a committed version of an allocated block`, { name });
        return false;
      }
      perBlock.set(id, (perBlock.get(id) ?? 0) + 1);
    }
    if (b.committed.size > 0) this.exercised('invariant:committed-data-durable');
    for (const [id, e] of b.committed) {
      const bytes = entries.get(`${id}.${e.v}`);
      if ((bytes === undefined || !sameBytes(bytes, e.data)) && !damaged.has(`${id}.${e.v}`)) {
        this.fail('invariant:committed-data-durable', `${node}: block ${id} v${e.v} is ${bytes === undefined ? 'missing from' : 'wrong on'} the durable medium`, { id, v: e.v });
        return false;
      }
      if ((perBlock.get(id) ?? 0) > 2) {
        this.fail('invariant:no-stray-files', `${node}: block ${id} keeps ${perBlock.get(id)} versions (at most current and previous)`, { id });
        return false;
      }
    }
    return true;
  }

  /**
   * With relaxed commits the store recovers what is visible, which may be ahead of the durable image: reads
   * then follow the commit it reports (the recovery model holds that number against the durable point).
   */
  private followReported(b: Book, onMedium: number, reported: number): void {
    if (this.options.relaxedCommits !== true || reported <= onMedium) return;
    const snap = b.history.get(reported) ?? b.candidates.get(reported);
    if (snap === undefined) return;
    b.committed = snap.state;
    b.tombs = snap.tombs;
    b.k = reported;
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
    this.exercised('invariant:read-returns-committed-data');
    const b = this.book(node);
    const after = b.committed.get(id);
    if (readMatches(got, before) || readMatches(got, after) || (b.lagging !== null && readMatches(got, b.lagging.get(id)))) return;
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
  for (const id of touched) {
    const untomb = after.has(id) && out.has(id);
    const tomb = !after.has(id) && before.has(id);
    if (!untomb && !tomb) continue;
    if (out === tombs) out = new Map(tombs);
    if (untomb) out.delete(id);
    else out.set(id, n);
  }
  return out;
}

/** An expected block for a message. */
function describe(e: ExpectedBlock | undefined): string {
  return e === undefined ? 'nothing' : `v${e.v}`;
}

/** A verified read returned `e`'s bytes (`e` undefined: the block unallocated, so nothing). */
function readMatches(got: Uint8Array | null, e: ExpectedBlock | undefined): boolean {
  return e === undefined ? got === null : got !== null && sameBytes(got, e.data);
}
