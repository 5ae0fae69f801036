/**
 * Provider sync benchmark: a library of 50,000 files (its first, full sync), then 1,000 changes at the
 * provider and one incremental sync, run with and without the checks (sync-job model, invariants and
 * their evidence recorders); reports simulated/wall time and events per second of the whole run, and
 * the simulated duration of the incremental sync (the trace reaches the sink in slices, so its wall time
 * cannot be cut out of the run). PROVIDER_BENCH_FILES overrides the library's size.
 */
import { LIBRARY, caughtUp, providerChecking, providerProgram, providerTopology, type ProviderSetup } from '../scenarios/provider/_common.ts';
import type { LibraryHandle, ProviderHandle } from '../src/impl/provider/index.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario, ScenarioContext } from '../src/scenario/types.ts';
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

interface Totals {
  wallS: number;
  simS: number;
  events: number;
  /** Simulated ms of the incremental sync (job start to end). */
  incrementalMs: number;
}

async function runOnce(s: Scenario, into: Totals): Promise<void> {
  let startedUs = -1;
  const t0 = performance.now();
  const r = await runScenario(s, 1, {
    traceSink: (line) => {
      if (!line.includes('"provider.job.')) return;
      const us = Number(/"t":(\d+)/.exec(line)?.[1] ?? 0);
      if (line.includes('"provider.job.start"') && line.includes('"type":"incremental"')) startedUs = us;
      else if (line.includes('"provider.job.end"') && startedUs >= 0) into.incrementalMs += (us - startedUs) / 1000;
    },
  });
  into.wallS += (performance.now() - t0) / 1000;
  if (r.verdict !== 'pass') throw new Error(`bench run failed: ${r.failure?.message ?? r.verdict} (${r.replay})`);
  into.simS += r.simTimeUs / 1e6;
  into.events += r.events;
}

/** Runs the provider benchmark: one run with the checks, one without (the liveness condition stays: it reads facts only when checked). */
export async function benchProvider(): Promise<BenchResult[]> {
  // Off: no checks, no model; the evidence recorders stay, since liveness decides from their facts.
  const bare: Scenario = { ...checked, checks: [{ name: 'truth', setup: (ctx) => void synced.done(ctx) }], models: [] };
  const on: Totals = { wallS: 0, simS: 0, events: 0, incrementalMs: 0 };
  const off: Totals = { wallS: 0, simS: 0, events: 0, incrementalMs: 0 };
  await runOnce(checked, on);
  await runOnce(bare, off);
  const name = `${FILES.toLocaleString('en-US')} files, full sync then ${CHANGES.toLocaleString('en-US')} changes and one incremental sync`;
  return [
    { name: `provider ${name}: simulated / wall time (checks on)`, value: on.simS / on.wallS, unit: 'x' },
    { name: `provider ${name}: events per wall second (checks on)`, value: on.events / on.wallS, unit: 'events/s', goal: 100_000 },
    { name: `provider ${name}: simulated / wall time (checks off)`, value: off.simS / off.wallS, unit: 'x' },
    { name: `provider ${name}: events per wall second (checks off)`, value: off.events / off.wallS, unit: 'events/s' },
    { name: `provider ${name}: checking overhead (wall with / without)`, value: on.wallS / off.wallS, unit: 'ratio', goal: 1.5, lowerIsBetter: true },
    { name: `provider ${name}: the incremental sync, simulated ms`, value: on.incrementalMs, unit: 'ms' },
  ];
}
