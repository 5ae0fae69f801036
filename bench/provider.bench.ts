/**
 * Provider sync benchmark: a library of 50,000 files (its first, full sync), then 1,000 changes at the
 * provider and one incremental sync, run with and without the checks (sync-job model, invariants and
 * their evidence recorders). The incremental sync is measured alone: from the moment the workload asks
 * for it (the 1,000 changes durable) to the durable completion of its job (`fact.library.job`), in
 * scheduler events, simulated time and real wall time, each read at those two moments inside the run
 * (trace listeners run as the records are emitted). The whole run's figures (dominated by the first,
 * full sync) are extra lines, from the same runs. Each configuration runs twice, alternating, and the
 * faster run of each is reported. PROVIDER_BENCH_FILES overrides the library's size.
 */
import { LIBRARY, caughtUp, providerChecking, providerProgram, providerTopology, type ProviderSetup } from '../scenarios/provider/_common.ts';
import type { LibraryHandle, ProviderHandle } from '../src/impl/provider/index.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Check, Scenario, ScenarioContext } from '../src/scenario/types.ts';
import type { BenchResult } from './types.ts';

const FILES = Number(process.env.PROVIDER_BENCH_FILES ?? 50_000);
const CHANGES = 1_000;
const setup: ProviderSetup = {
  providers: ['P1'],
  provider: { pageSize: 500, seedFiles: FILES, feedMax: 20_000 },
  library: { maxConcurrent: 16, queueMax: 1_000, progressCapacity: 1_024 },
};

/** Once the first sync completed: 1,000 changes (modify, add, move, delete), then one sync request. */
function workload(ctx: ScenarioContext): void {
  const poll = (): void => {
    const lib = ctx.handle<LibraryHandle>(LIBRARY);
    const p = ctx.handle<ProviderHandle>('P1');
    if (lib === null || p === null || !lib.jobs().some((j) => j.state === 'completed')) return ctx.at(ctx.nowMs() + 50, poll);
    const live = p.live();
    const done: Promise<unknown>[] = [];
    for (let k = 0; k < CHANGES; k++) {
      const f = live[(k * 37) % live.length]!;
      const op = k % 4;
      if (op === 0) done.push(p.put(f.path, `bench v${k}`));
      else if (op === 1) done.push(p.put(`/music/bench-${k}.mp3`, `bench new ${k}`));
      else if (op === 2) done.push(p.move(f.id, `/music/moved/bench-${k}.mp3`).catch(() => undefined));
      else done.push(p.remove(f.id).catch(() => undefined));
    }
    void Promise.all(done).then(() => {
      ctx.shared.set('bench.requested', true);
      ctx.shared.set('bench.start', mark(ctx));
      return lib.requestSync('P1');
    });
  };
  ctx.at(10, poll);
}

const synced = caughtUp(['P1'], 600_000);
const checked: Scenario = {
  name: 'provider-bench-50k',
  description: 'bench only',
  suites: [],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  workload,
  durationMs: 100,
  liveness: { ...synced, done: (ctx) => (ctx.shared.get('bench.requested') === true ? synced.done(ctx) : 'the changes are not made yet') },
  maxEvents: 50_000_000,
  ...providerChecking(setup),
};

/** Real wall-clock ms (captured at load: inside a run, `performance.now` reads virtual time). */
const wallNow = performance.now.bind(performance);

/** Where the run was at one moment: scheduler events, simulated µs, real wall ms. */
interface Mark {
  events: number;
  simUs: number;
  wallMs: number;
}

function mark(ctx: ScenarioContext): Mark {
  return { events: ctx.sim.scheduler.events, simUs: ctx.sim.nowUs(), wallMs: wallNow() };
}

/** The figures of one run: the whole run and the incremental sync alone. */
interface Totals {
  wallS: number;
  simS: number;
  events: number;
  /** The incremental sync; `completionS`: the wall time the checks took over its job's completion record. */
  incremental: { wallS: number; simS: number; events: number; completionS: number };
}

/**
 * Marks (into `key`) the durable completion of the incremental sync, once the workload marked its request.
 * Listed first, it sees the completion record before the other checks; listed last, after them.
 */
function completionMark(key: 'bench.arrived' | 'bench.end'): Check {
  return {
    name: `bench:${key}`,
    setup(ctx) {
      ctx.trace.on('fact.library.job', (rec) => {
        if (!ctx.shared.has('bench.start') || ctx.shared.has(key) || rec.data.state !== 'completed' || rec.data.type !== 'incremental') return;
        ctx.shared.set(key, mark(ctx));
      });
    },
  };
}

async function runOnce(s: Scenario): Promise<Totals> {
  let marks: Partial<Record<'start' | 'arrived' | 'end', Mark>> = {};
  const window: Check = {
    name: 'bench:read-window',
    final(ctx) {
      marks = { start: ctx.shared.get('bench.start') as Mark, arrived: ctx.shared.get('bench.arrived') as Mark, end: ctx.shared.get('bench.end') as Mark };
    },
  };
  const t0 = wallNow();
  const r = await runScenario({ ...s, checks: [completionMark('bench.arrived'), ...(s.checks ?? []), completionMark('bench.end'), window] }, 1);
  const wallS = (wallNow() - t0) / 1000;
  if (r.verdict !== 'pass') throw new Error(`bench run failed: ${r.failure?.message ?? r.verdict} (${r.replay})`);
  const { start, arrived, end } = marks;
  if (start === undefined || arrived === undefined || end === undefined) throw new Error('bench run: the incremental sync was not seen to complete');
  return {
    wallS,
    simS: r.simTimeUs / 1e6,
    events: r.events,
    incremental: { wallS: (end.wallMs - start.wallMs) / 1000, simS: (end.simUs - start.simUs) / 1e6, events: end.events - start.events, completionS: (end.wallMs - arrived.wallMs) / 1000 },
  };
}

/** Runs the provider benchmark: one run with the checks, one without (the liveness condition stays: it reads facts only when checked). */
export async function benchProvider(): Promise<BenchResult[]> {
  // Off: no checks, no model; the evidence recorders stay, since liveness decides from their facts.
  const bare: Scenario = { ...checked, checks: [{ name: 'truth', setup: (ctx) => void synced.done(ctx) }], models: [] };
  // Alternating, twice each, the faster of each kept: the first run of a process also pays for compiling
  // (JIT) what the second finds ready, which alone made one 'on' then one 'off' read as 2x overhead.
  const runs: Totals[][] = [[], []];
  for (let k = 0; k < 2; k++) {
    runs[0]!.push(await runOnce(checked));
    runs[1]!.push(await runOnce(bare));
  }
  const best = (xs: Totals[]): Totals => xs.reduce((a, b) => (b.incremental.wallS < a.incremental.wallS ? b : a));
  const on = best(runs[0]!);
  const off = best(runs[1]!);
  const inc = `provider ${FILES.toLocaleString('en-US')}-file library, one incremental sync after ${CHANGES.toLocaleString('en-US')} changes`;
  const whole = `provider ${FILES.toLocaleString('en-US')} files, whole run (full sync, ${CHANGES.toLocaleString('en-US')} changes, incremental sync)`;
  return [
    { name: `${inc}: events per wall second (checks on)`, value: on.incremental.events / on.incremental.wallS, unit: 'events/s', goal: 100_000 },
    { name: `${inc}: events per wall second (checks off)`, value: off.incremental.events / off.incremental.wallS, unit: 'events/s' },
    { name: `${inc}: simulated / wall time (checks on)`, value: on.incremental.simS / on.incremental.wallS, unit: 'x' },
    { name: `${inc}: simulated / wall time (checks off)`, value: off.incremental.simS / off.incremental.wallS, unit: 'x' },
    { name: `${inc}: checking overhead (wall with / without)`, value: on.incremental.wallS / off.incremental.wallS, unit: 'ratio', goal: 1.5, lowerIsBetter: true },
    { name: `${inc}: of which the checks on its completion record, wall ms (checks on)`, value: on.incremental.completionS * 1000, unit: 'ms' },
    { name: `${inc}: simulated ms`, value: on.incremental.simS * 1000, unit: 'ms' },
    { name: `${inc}: scheduler events`, value: on.incremental.events, unit: 'events' },
    { name: `${whole}: events per wall second (checks on)`, value: on.events / on.wallS, unit: 'events/s' },
    { name: `${whole}: events per wall second (checks off)`, value: off.events / off.wallS, unit: 'events/s' },
    { name: `${whole}: simulated / wall time (checks on)`, value: on.simS / on.wallS, unit: 'x' },
    { name: `${whole}: simulated / wall time (checks off)`, value: off.simS / off.wallS, unit: 'x' },
    { name: `${whole}: checking overhead (wall with / without)`, value: on.wallS / off.wallS, unit: 'ratio', lowerIsBetter: true },
  ];
}
