/**
 * Peer sync benchmark: a 5-device library of 10,000 records that device E joins (backfill with live
 * writes, buffering, catch-up), run with and without the model checks (backfill model and invariants);
 * reports simulated/wall time, events per second and the checking overhead.
 */
import join from '../scenarios/peer/join.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/types.ts';
import type { BenchResult } from './types.ts';

const SEEDS = 5;

async function measure(s: Scenario): Promise<{ wallS: number; simS: number; events: number; backfilled: number }> {
  let wallS = 0;
  let simS = 0;
  let events = 0;
  let backfilled = 0;
  for (let seed = 100; seed < 100 + SEEDS; seed++) {
    let got = 0;
    const t0 = performance.now();
    const r = await runScenario(s, seed, {
      traceSink: (line) => {
        if (line.includes('"peer.backfill.batch"')) got += Number(/"n":(\d+)/.exec(line)?.[1] ?? 0);
      },
    });
    wallS += (performance.now() - t0) / 1000;
    if (r.verdict !== 'pass') throw new Error(`bench run failed: ${r.failure?.message ?? r.verdict} (${r.replay})`);
    simS += r.simTimeUs / 1e6;
    events += r.events;
    backfilled += got;
  }
  return { wallS, simS, events, backfilled };
}

/** Runs the peer benchmark. */
export async function benchPeer(): Promise<BenchResult[]> {
  const base = (join as Scenario[]).find((s) => s.name === 'peer-join-10k-crash')!;
  const checked: Scenario = { ...base, name: 'peer-bench-10k', faults: { events: [] } };
  const bare: Scenario = { ...checked, checks: [], models: [] };
  await runScenario(checked, 1); // warm-up (module compilation, JIT)
  const withChecks = await measure(checked);
  const without = await measure(bare);
  const name = '5 devices, 10k records, E joins';
  return [
    { name: `peer ${name}: simulated / wall time (checks on)`, value: withChecks.simS / withChecks.wallS, unit: 'x' },
    { name: `peer ${name}: events per wall second (checks on)`, value: withChecks.events / withChecks.wallS, unit: 'events/s', goal: 100_000 },
    { name: `peer ${name}: simulated / wall time (checks off)`, value: without.simS / without.wallS, unit: 'x' },
    { name: `peer ${name}: events per wall second (checks off)`, value: without.events / without.wallS, unit: 'events/s' },
    { name: `peer ${name}: checking overhead (wall with / without)`, value: withChecks.wallS / without.wallS, unit: 'ratio', goal: 2, lowerIsBetter: true },
    { name: `peer ${name}: backfilled records per wall second`, value: withChecks.backfilled / withChecks.wallS, unit: 'records/s' },
  ];
}
