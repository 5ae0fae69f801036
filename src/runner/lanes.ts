/**
 * How a thread pool hands out jobs: scenario affinity with stealing.
 *
 * Each worker thread is its own V8 isolate and compiles (JIT-optimises) every function it runs by itself;
 * optimised code is never shared between threads. Handing out one shared seed-major list made every
 * thread run every scenario, so every thread compiled the code of every area, and the optimising
 * compiler's work (on V8's helper threads, which compete with the workers for the cores) grew with the
 * thread count. Here the scenarios are split, in their listed order (scenarios of one area are listed
 * together and share most of their code), into one contiguous group per thread, the groups of about equal
 * expected cost (the pool weighs a job by its simulated length: runs of the smoke suite cost 2 ms to
 * 0.8 s), with each cut moved to the nearest change of area if that keeps the groups balanced; a thread
 * runs its own group's jobs, seed-major among its scenarios (so an early stop has covered every scenario
 * of every group). A thread whose group is done steals: a whole scenario (the victim's last one with jobs
 * left) while the victim has two or more, else the later half of the victim's last scenario's seeds.
 * Stolen scenarios are code the thief has not compiled yet, so the groups are balanced by cost rather
 * than left to stealing: split by job count, one of two groups held 69% of the smoke suite's run time,
 * and 2 threads over its seeds 0..9 made 3,995 TurboFan compilations (597 deoptimisations); split by cost
 * and area (49%), 3,424 (482), and 12% less CPU time per run in that measurement.
 *
 * One thread runs the jobs in exactly the order given. Results never depend on the order: the caller
 * sorts them.
 */
import type { Job } from './shard.ts';

/**
 * How far (a fraction of a share's ideal cost) a cut between shares may move to fall between two families
 * of scenarios (areas) rather than inside one.
 */
const SNAP = 0.15;

/** The jobs of one scenario in one thread's share, in the order given. */
interface Lane {
  jobs: Job[];
  next: number;
}

/** One thread's share: its lanes, taken round-robin (seed-major when every lane holds the same seeds). */
interface Share {
  lanes: Lane[];
  /** Index of the lane the next job comes from. */
  turn: number;
  left: number;
}

/** The jobs of each scenario, scenarios in order of first appearance. */
function byScenario(jobs: readonly Job[]): Job[][] {
  const lists = new Map<string, Job[]>();
  for (const j of jobs) {
    const list = lists.get(j.scenario);
    if (list === undefined) lists.set(j.scenario, [j]);
    else list.push(j);
  }
  return [...lists.values()];
}

/** The jobs of a pool split into per-thread shares by scenario (see the file comment). */
export class JobLanes {
  private readonly shares: Share[];

  /**
   * Splits `jobs` (in run order) over `threads` shares of about equal expected cost: `cost(job)` (default 1
   * per job) is what a job is expected to cost relative to the others. `family(scenario)` (optional) names
   * the group of code a scenario runs (its folder: its area): a cut between two shares moves to the nearest
   * change of family when that keeps every share within SNAP of its ideal cost.
   */
  constructor(jobs: readonly Job[], threads: number, cost: (job: Job) => number = () => 1, family?: (scenario: string) => string) {
    const lanes = threads === 1 ? [[...jobs]] : byScenario(jobs);
    this.shares = Array.from({ length: threads }, () => ({ lanes: [], turn: 0, left: 0 }));
    const costs = lanes.map((list) => list.reduce((a, j) => a + cost(j), 0));
    const total = costs.reduce((a, c) => a + c, 0);
    // before[i]: the cost of the scenarios listed before scenario i.
    const before = [0];
    for (const c of costs) before.push(before.at(-1)! + c);
    // Share k starts at scenario starts[k]: the first whose middle lies at or past k / threads of the cost,
    // or the nearest change of family within SNAP of that point.
    const starts = [0];
    for (let k = 1; k < threads; k++) {
      const ideal = (k * total) / threads;
      let at = costs.findIndex((c, i) => i >= starts[k - 1]! && before[i]! + c / 2 >= ideal);
      if (at < 0) at = lanes.length;
      if (family !== undefined) {
        let best: number | undefined;
        for (let i = Math.max(starts[k - 1]! + 1, 1); i < lanes.length; i++) {
          if (family(lanes[i]![0]!.scenario) === family(lanes[i - 1]![0]!.scenario)) continue;
          const off = Math.abs(before[i]! - ideal);
          if (off <= (SNAP * total) / threads && (best === undefined || off < Math.abs(before[best]! - ideal))) best = i;
        }
        if (best !== undefined) at = best;
      }
      starts.push(Math.max(at, starts[k - 1]!));
    }
    lanes.forEach((list, i) => {
      let k = threads - 1;
      while (k > 0 && i < starts[k]!) k--;
      const s = this.shares[k]!;
      s.lanes.push({ jobs: list, next: 0 });
      s.left += list.length;
    });
  }

  /** Jobs not handed out yet. */
  get left(): number {
    return this.shares.reduce((n, s) => n + s.left, 0);
  }

  /** The next job for thread `t` (its own, else stolen), or undefined when none is left. */
  take(t: number): Job | undefined {
    const own = this.shares[t]!;
    if (own.left === 0) this.steal(own);
    return this.next(own);
  }

  private next(s: Share): Job | undefined {
    while (s.left > 0) {
      if (s.turn >= s.lanes.length) s.turn = 0;
      const lane = s.lanes[s.turn]!;
      if (lane.next < lane.jobs.length) {
        s.turn++;
        s.left--;
        return lane.jobs[lane.next++]!;
      }
      // An exhausted lane leaves the share (keeps the round-robin cheap and steals exact).
      s.lanes.splice(s.turn, 1);
    }
    return undefined;
  }

  /** Moves work from the share with the most jobs left into `thief` (see the file comment). */
  private steal(thief: Share): void {
    let victim: Share | undefined;
    for (const s of this.shares) if (s !== thief && s.left > (victim?.left ?? 0)) victim = s;
    if (victim === undefined) return;
    const open = victim.lanes.filter((l) => l.next < l.jobs.length);
    const last = open.at(-1)!;
    let moved: Job[];
    if (open.length >= 2) {
      moved = last.jobs.slice(last.next);
      last.jobs.length = last.next;
    } else {
      const left = last.jobs.length - last.next;
      // One job left: the victim runs it (a thread stealing it would gain nothing).
      if (left < 2) return;
      const keep = last.next + Math.ceil(left / 2);
      moved = last.jobs.slice(keep);
      last.jobs.length = keep;
    }
    victim.left -= moved.length;
    thief.lanes.push({ jobs: moved, next: 0 });
    thief.left += moved.length;
  }
}
