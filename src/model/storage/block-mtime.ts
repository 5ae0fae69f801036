/**
 * invariant:block-mtime — every block version the durable metadata names (current and previous) carries
 * as its mtime the wall clock of the node that committed it, read during that commit: docs/storage.md
 * ("Block version = number of the commit that wrote it ... lastModifiedMs (node wall clock)"). The node's
 * own clock, skewed, drifting or jumping as the simulator made it, not the true time and not the
 * implementation's report of it.
 *
 * Evidence: the simulator's clock of each node, read when the store traces `store.commit.begin` and at
 * every later point of that commit (its records, a clock jump of the node, its crash or stop), which gives
 * the range of wall-clock readings the node's clock went through during the commit (one range per
 * attempt: a commit number may be reused after a rollback); and the durable image of the store's
 * metadata (src/evidence/store-image.ts, decoded independently of src/impl), read after every recovery
 * and at the end of the run. A version whose mtime lies in no range of the commit numbered like it, on its
 * device, fails. A version of a commit the check never saw begin is not judged (the oracle's
 * atomic-batch judges where it came from).
 */
import { durableStoreMeta, type DurableMeta } from '../../evidence/store-image.ts';
import type { StoreLocation } from '../../evidence/store.ts';
import type { Check, ScenarioContext } from '../../scenario/types.ts';

/** The invariant's name (failures and `covers`). */
export const BLOCK_MTIME = 'invariant:block-mtime';

/** The wall-clock readings of one commit attempt: [lo, hi], ms. */
interface Window {
  lo: number;
  hi: number;
  node: string;
}

/**
 * The wall-clock ranges of every commit of each device, fed with clock readings; judges metadata against
 * them. Pure: the check feeds it the simulator's readings.
 */
export class CommitClocks {
  /** device -> commit -> windows. */
  private readonly byDevice = new Map<string, Map<number, Window[]>>();
  /** node -> its commit in progress. */
  private readonly open = new Map<string, Window>();

  /** `node` on `device` began commit `commit` with its wall clock at `wallMs`. */
  begin(node: string, device: string, commit: number, wallMs: number): void {
    const w: Window = { lo: wallMs, hi: wallMs, node };
    let commits = this.byDevice.get(device);
    if (commits === undefined) this.byDevice.set(device, (commits = new Map()));
    const list = commits.get(commit);
    if (list === undefined) commits.set(commit, [w]);
    else list.push(w);
    this.open.set(node, w);
  }

  /** The wall clock of `node` read `wallMs` during its commit in progress (if any). */
  sample(node: string, ...wallMs: number[]): void {
    const w = this.open.get(node);
    if (w === undefined) return;
    for (const t of wallMs) {
      if (t < w.lo) w.lo = t;
      if (t > w.hi) w.hi = t;
    }
  }

  /** `node`'s commit in progress ended (its last reading `wallMs`). */
  end(node: string, wallMs: number): void {
    this.sample(node, wallMs);
    this.open.delete(node);
  }

  /** True when `node` has a commit in progress. */
  inCommit(node: string): boolean {
    return this.open.has(node);
  }

  /**
   * Why `mtime` recorded for version `v` of block `id` on `device` is not a reading of the committing
   * node's wall clock during commit `v` (null: it is, or commit `v` was never seen to begin).
   */
  wrongMtime(device: string, id: number, v: number, mtime: number | null, which: string): string | null {
    const windows = this.byDevice.get(device)?.get(v);
    if (windows === undefined) return null;
    if (mtime !== null && windows.some((w) => mtime >= Math.floor(w.lo) && mtime <= Math.ceil(w.hi))) return null;
    const ranges = windows.map((w) => (w.lo === w.hi ? `${w.lo} (${w.node})` : `${w.lo}..${w.hi} (${w.node})`)).join(', ');
    return `block ${id} v${v} (${which}): mtime ${mtime ?? 'missing'}, but the committing node's wall clock read ${ranges} during commit ${v}`;
  }

  /** True when commit `v` of `device` was seen to begin. */
  knows(device: string, v: number): boolean {
    return this.byDevice.get(device)?.has(v) === true;
  }

  /**
   * The versions of `meta` on `device` whose mtime lies outside every wall-clock range of their commit
   * (messages); `judged` counts the versions that had a range to be held against.
   */
  judge(device: string, meta: DurableMeta): { wrong: string[]; judged: number } {
    const commits = this.byDevice.get(device);
    const wrong: string[] = [];
    let judged = 0;
    const one = (id: number, v: number, mtime: number | null, which: string): void => {
      if (commits?.has(v) !== true) return;
      judged++;
      const why = this.wrongMtime(device, id, v, mtime, which);
      if (why !== null) wrong.push(why);
    };
    for (const [id, b] of [...meta.blocks].sort((x, y) => x[0] - y[0])) {
      one(id, b.v, b.mtime, 'current');
      if (b.prev >= 0) one(id, b.prev, b.prevMtime, 'previous');
    }
    return { wrong, judged };
  }
}

/** Records of a commit in progress at which the node's clock is read again (the commit may read it there). */
const DURING = ['store.commit.synced', 'store.commit.marker-write'] as const;
/** Records that end a commit attempt. */
const ENDS = ['store.commit.marker', 'store.commit.failed', 'store.commit.refused', 'store.commit.discarded', 'node.crash', 'node.stop'] as const;

/**
 * The check: every storage scenario carries it (`withLastCopy` in scenarios/storage/_harness.ts). It
 * reads the simulator's clocks and durable images, and the store's records only for when to read them.
 */
export function blockMtimeCheck(): Check {
  return {
    name: BLOCK_MTIME,
    covers: [BLOCK_MTIME],
    setup(ctx) {
      const clocks = new CommitClocks();
      ctx.shared.set(CLOCKS, clocks);
      const stores = new Map<string, StoreLocation>();
      const wall = (node: string): number => ctx.sim.node(node).clock.wallMs();
      const device = (node: string): string => ctx.sim.node(node).deviceId;
      ctx.trace.on('store.open', (r) => {
        const backend = r.data.backend === 'kv' ? 'kv' : 'file';
        stores.set(r.node, { backend, root: String(r.data.root) });
      });
      ctx.trace.on('store.commit.begin', (r) => clocks.begin(r.node, device(r.node), Number(r.data.commit), wall(r.node)));
      for (const kind of DURING) ctx.trace.on(kind, (r) => clocks.sample(r.node, wall(r.node)));
      for (const kind of ENDS) ctx.trace.on(kind, (r) => clocks.end(r.node, wall(r.node)));
      // Traced before the jump: the readings just before and just after it.
      ctx.trace.on('fault.clockJump', (r) => {
        const node = String(r.data.node);
        if (!clocks.inCommit(node)) return;
        const now = wall(node);
        clocks.sample(node, now, now + Number(r.data.deltaMs ?? 0));
      });
      ctx.trace.on('store.recover.done', (r) => judgeStore(ctx, clocks, r.node, stores.get(r.node), device(r.node), `after a recovery (trace #${r.i})`));
      ctx.shared.set(FINAL, () => {
        for (const [node, loc] of stores) if (!judgeStore(ctx, clocks, node, loc, device(node), 'at the end of the run')) return;
      });
    },
    final(ctx) {
      (ctx.shared.get(FINAL) as (() => void) | undefined)?.();
    },
  };
}

const FINAL = 'storage.block-mtime.final';
const CLOCKS = 'storage.block-mtime.clocks';

/** What `stat(id)` of the built-in store answers (the fields judged). */
export interface StatAnswer {
  version: number;
  lastModifiedMs: number;
}

/**
 * The store's answer to `stat(id)` on `node` (a workload asked, if the store has `stat`): its
 * `lastModifiedMs` must be a reading of the committing node's wall clock during the commit numbered like
 * the version it reports (the same rule as the durable metadata's). A no-op without the check.
 */
export function judgeStat(ctx: ScenarioContext, node: string, id: number, answer: StatAnswer | null): void {
  const clocks = ctx.shared.get(CLOCKS) as CommitClocks | undefined;
  if (clocks === undefined || answer === null) return;
  const device = ctx.sim.node(node).deviceId;
  if (!clocks.knows(device, answer.version)) return;
  ctx.exercised(BLOCK_MTIME);
  const why = clocks.wrongMtime(device, id, answer.version, Number.isFinite(answer.lastModifiedMs) ? answer.lastModifiedMs : null, 'stat');
  if (why !== null) ctx.fail('correctness', BLOCK_MTIME, `${node}: stat(${id}) answers lastModifiedMs that is not the committing node's wall clock during the commit: ${why}`, { id, version: answer.version });
}

/** Judges the durable metadata of `node`'s store; false after a failure. */
function judgeStore(ctx: ScenarioContext, clocks: CommitClocks, node: string, loc: StoreLocation | undefined, device: string, when: string): boolean {
  if (loc === undefined) return true;
  const meta = durableStoreMeta(ctx.sim, device, loc);
  if (meta === null) return true;
  const { wrong, judged } = clocks.judge(device, meta);
  if (judged > 0) ctx.exercised(BLOCK_MTIME);
  if (wrong.length === 0) return true;
  ctx.fail('correctness', BLOCK_MTIME, `${node}: ${when} the durable metadata of commit ${meta.commit} records block mtimes that are not the committing node's wall clock during the commit: ${wrong.slice(0, 3).join('; ')}`, {
    commit: meta.commit,
    wrong: wrong.slice(0, 20),
  });
  return false;
}

