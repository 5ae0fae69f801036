/**
 * tab-election (npm, unmodified) in three simulated tabs of one browser: leader election over
 * `navigator.locks`, calls to the leader over `BroadcastChannel`, the library's own `setTimeout` resends and
 * `Math.random` tab ids, all from the simulator's globals (no per-library glue). See README.md here.
 *
 * Checks decide from the simulator's lock records (`lock.grant` / `lock.release`, the lock manager's own
 * account of who holds `tab-app`) and the app's record of what it did (`app.exec`: a tab doing leader work),
 * never from `tab.isLeader` alone.
 */
import type { TraceRecord } from '../../src/sim/trace.ts';
import type { SwarmOptions } from '../../src/faults/swarm.ts';
import type { FaultPlan } from '../../src/faults/plan.ts';
import { inNode } from '../_helpers.ts';
import type { Check, Liveness, Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { CACHED_LEADER, LEADER_LOCK, NO_DEDUPE, startTabApp, type TabApp } from './_adapter.ts';

/** The weakened variants of this example (accepted by `--variant` for its scenarios; never the default). */
export const variants = [
  {
    name: CACHED_LEADER,
    area: 'tab-election',
    description: 'the app caches "I am leader" from the leadership callback and serves its own appends while the flag is set, never clearing it on step-down; invariant:leader-holds-lock must catch a stale leader writing',
  },
  {
    name: NO_DEDUPE,
    area: 'tab-election',
    description: "the leader appends every call it runs, trusting tab-election to run a call once (it resends to a leader that does not confirm within 500 ms); invariant:append-once must catch the repeated appends",
  },
];

const TABS = ['A', 'B', 'C'];
const DEVICE = 'browser';
/** ctx.shared: the holder of the leader lock per the simulator's records. */
const HOLDER = 'tab-election.holder';
/** ctx.shared: per tab incarnation, the liveness probe append's state. */
const PROBES = 'tab-election.probes';
/** ctx.shared: value -> position of every append the workload saw acknowledged. */
const ACKED = 'tab-election.acked';

/** Appends at random tabs every `everyMs`, and now and then tells a random tab to step down. */
function workload(ctx: ScenarioContext, untilMs: number, stepDownEveryMs: number): void {
  let k = 0;
  for (let t = 100; t < untilMs; t += 40) {
    const id = TABS[ctx.rng.int(TABS.length)]!;
    const value = `v${k++}`;
    ctx.at(t, () =>
      inNode<TabApp>(ctx, id, (app) => {
        ctx.emit('workload.append', { tab: id, value });
        app.append(value).then(
          (n) => ctx.emit('workload.acked', { tab: id, value, n }),
          (e: unknown) => ctx.emit('workload.failed', { tab: id, value, error: String(e) }),
        );
      }),
    );
  }
  for (let t = 500; t < untilMs; t += stepDownEveryMs) {
    const id = TABS[ctx.rng.int(TABS.length)]!;
    ctx.at(t + ctx.rng.int(200), () => inNode<TabApp>(ctx, id, (app) => app.stepDown(50 + ctx.rng.int(300))));
  }
}

/**
 * invariant:leader-holds-lock: a tab that does leader work (an `app.exec` record: the leader API running
 * in it) holds the leader lock at that moment, per the lock manager's records. tab-election's promise is a
 * Web-Locks election: leadership is holding the lock, so two tabs can never both act as leader.
 */
const leaderHoldsLock: Check = {
  name: 'invariant:leader-holds-lock',
  covers: ['invariant:leader-holds-lock'],
  setup(ctx) {
    ctx.shared.set(HOLDER, null);
    ctx.sim.trace.on('lock.grant', (r: TraceRecord) => {
      if (r.data.name === LEADER_LOCK) ctx.shared.set(HOLDER, r.node);
    });
    ctx.sim.trace.on('lock.release', (r: TraceRecord) => {
      if (r.data.name === LEADER_LOCK && ctx.shared.get(HOLDER) === r.node) ctx.shared.set(HOLDER, null);
    });
    ctx.sim.trace.on('app.exec', (r: TraceRecord) => {
      ctx.exercised('invariant:leader-holds-lock');
      const holder = ctx.shared.get(HOLDER) as string | null;
      if (holder !== r.node) {
        ctx.fail('correctness', 'invariant:leader-holds-lock', `tab ${r.node} did leader work (append ${String(r.data.value)}) while ${holder === null ? 'nobody' : `tab ${holder}`} held the lock '${LEADER_LOCK}'`, { tab: r.node, holder });
      }
    });
  },
};

/**
 * invariant:append-once and invariant:acked-kept, from the kv store's own account of every commit: no value
 * is appended to the log twice, and every append the workload saw acknowledged at position n is durably
 * at n at the end.
 */
const appendOnce: Check = {
  name: 'invariant:append-once',
  covers: ['invariant:append-once', 'invariant:acked-kept'],
  setup(ctx) {
    const at = new Map<string, number>();
    ctx.sim.device(DEVICE).kv.observeCommits((c) => {
      for (const w of c.writes) {
        if (w.store !== 'log' || typeof w.key !== 'number' || typeof w.value !== 'string') continue;
        ctx.exercised('invariant:append-once');
        const before = at.get(w.value);
        if (before !== undefined && before !== w.key) {
          ctx.fail('correctness', 'invariant:append-once', `value ${w.value} appended twice: at ${before} and at ${w.key} (commit by ${c.node})`, { value: w.value, first: before, second: w.key });
        }
        at.set(w.value, w.key);
      }
    });
    const acked = new Map<string, number>();
    ctx.shared.set(ACKED, acked);
    ctx.sim.trace.on('workload.acked', (r: TraceRecord) => acked.set(String(r.data.value), Number(r.data.n)));
  },
  final(ctx) {
    const kv = ctx.sim.device(DEVICE).kv;
    for (const [value, n] of ctx.shared.get(ACKED) as Map<string, number>) {
      ctx.exercised('invariant:acked-kept');
      const kept = kv.durableGet('log', n);
      if (kept !== value) ctx.fail('correctness', 'invariant:acked-kept', `append ${value} was acknowledged at ${n}, the log holds ${JSON.stringify(kept)} there`, { value, n });
    }
  },
};

interface Probe {
  state: 'pending' | 'ok' | 'failed';
}

/**
 * After healing: the tab holding the lock (per the lock records) is running and believes it leads, and an
 * append issued after healing through every running tab has been acknowledged (a call reaches the leader).
 */
function leaderAfterHeal(healMs: number, withinMs: number): Liveness {
  return {
    withinMs,
    pollMs: 50,
    done(ctx) {
      const probes = (ctx.shared.get(PROBES) as Map<string, Probe> | undefined) ?? new Map<string, Probe>();
      ctx.shared.set(PROBES, probes);
      const running = TABS.filter((t) => ctx.sim.node(t).status === 'running' && ctx.handle<TabApp>(t) !== null);
      if (running.length === 0) return 'no tab is running';
      const holder = ctx.shared.get(HOLDER) as string | null;
      if (holder === null) return `nobody holds '${LEADER_LOCK}'`;
      if (!running.includes(holder)) return `the lock holder ${holder} is not running`;
      if (ctx.handle<TabApp>(holder)?.isLeader() !== true) return `the lock holder ${holder} does not know it leads`;
      const waiting: string[] = [];
      for (const t of running) {
        const key = `${t}#${ctx.sim.node(t).incarnation}`;
        const p = probes.get(key);
        if (p?.state === 'ok') continue;
        waiting.push(t);
        if (p === undefined || p.state === 'failed') {
          const probe: Probe = { state: 'pending' };
          probes.set(key, probe);
          inNode<TabApp>(ctx, t, (app) =>
            app.append(`probe-${key}@${Math.round(ctx.nowMs() - healMs)}`).then(
              () => (probe.state = 'ok'),
              () => (probe.state = 'failed'),
            ),
          );
        }
      }
      return waiting.length === 0 ? true : `no append after healing acknowledged yet through ${waiting.join(', ')}`;
    },
  };
}

const SWARM: SwarmOptions = {
  kinds: ['crash', 'pause', 'clockJump', 'clockDrift'],
  // What the tabs do: post on the channel (calls, returns, state) and request the leader lock.
  triggerOps: [
    { area: 'bus', op: 'post', perSec: 20 },
    { area: 'lock', op: 'request', perSec: 2 },
    { area: 'kv', op: 'commit', perSec: 8 },
  ],
};

/** A leader crash, a frozen leader and a frozen follower, at fixed times (the leader is the first tab up). */
const PLAN: FaultPlan = {
  events: [
    { kind: 'pause', node: 'A', atMs: 700, durationMs: 1_500 },
    { kind: 'crash', node: 'A', atMs: 3_000, restartAfterMs: 400 },
    { kind: 'pause', node: 'C', atMs: 3_500, durationMs: 800 },
  ],
};

function scenario(name: string, description: string, suites: string[], faults: Scenario['faults'], durationMs: number): Scenario {
  return {
    name,
    description,
    suites,
    topology: { nodes: TABS.map((id) => ({ id, device: DEVICE, role: 'tab' })) },
    program: (_node, ctx) => (env) => startTabApp(env, ctx.variant),
    workload: (ctx) => workload(ctx, durationMs - 200, 900),
    faults,
    durationMs,
    checks: [leaderHoldsLock, appendOnce],
    liveness: leaderAfterHeal(durationMs, 5_000),
    variantAreas: ['tab-election'],
    probes: ['app.repeated-call'],
  };
}

export default [
  scenario(
    'tab-election-failover',
    'tab-election in three tabs of one browser: the leader is frozen, then crashes and restarts, a follower is frozen, tabs step down now and then; leader work only with the lock, a leader after healing.',
    ['examples'],
    PLAN,
    5_000,
  ),
  scenario(
    'tab-election-swarm',
    'tab-election in three tabs under a swarm of tab crashes and pauses (also at bus posts, lock requests and kv commits), clock jumps and drift, with steps-down; leader work only with the lock, a leader after healing.',
    ['examples'],
    { swarm: SWARM },
    10_000,
  ),
];
