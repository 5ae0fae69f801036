/**
 * Peer sync benchmark: a 5-device library of 10,000 records that device E joins (backfill with live
 * writes, buffering, catch-up), run with and without the model checks (backfill model and invariants);
 * reports simulated/wall time, events per second and the checking overhead (evidence recorders included).
 */
import join from '../scenarios/peer/join.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/types.ts';
import type { BenchResult } from './types.ts';

const SEEDS = 6;

interface Totals {
  wallS: number;
  simS: number;
  events: number;
  backfilled: number;
}

async function runOnce(s: Scenario, seed: number, into: Totals): Promise<void> {
  let got = 0;
  const t0 = performance.now();
  const r = await runScenario(s, seed, {
    traceSink: (line) => {
      if (line.includes('"peer.backfill.batch"')) got += Number(/"n":(\d+)/.exec(line)?.[1] ?? 0);
    },
  });
  into.wallS += (performance.now() - t0) / 1000;
  if (r.verdict !== 'pass') throw new Error(`bench run failed: ${r.failure?.message ?? r.verdict} (${r.replay})`);
  into.simS += r.simTimeUs / 1e6;
  into.events += r.events;
  into.backfilled += got;
}

/** Runs the peer benchmark (runs with and without checks alternate, so machine drift hits both alike). */
export async function benchPeer(): Promise<BenchResult[]> {
  const base = (join as Scenario[]).find((s) => s.name === 'peer-join-10k-crash')!;
  const checked: Scenario = { ...base, name: 'peer-bench-10k', faults: { events: [] } };
  // Off: no checks, no models and no evidence recorders (the facts exist only to be checked).
  const bare: Scenario = { ...checked, checks: [], models: [], evidence: [] };
  await runScenario(checked, 1); // warm-up (module compilation, JIT)
  await runScenario(bare, 1);
  const on: Totals = { wallS: 0, simS: 0, events: 0, backfilled: 0 };
  const off: Totals = { wallS: 0, simS: 0, events: 0, backfilled: 0 };
  for (let seed = 100; seed < 100 + SEEDS; seed++) {
    await runOnce(checked, seed, on);
    await runOnce(bare, seed, off);
  }
  const name = '5 devices, 10k records, E joins';
  return [
    { name: `peer ${name}: simulated / wall time (checks on)`, value: on.simS / on.wallS, unit: 'x' },
    { name: `peer ${name}: events per wall second (checks on)`, value: on.events / on.wallS, unit: 'events/s', goal: 100_000 },
    { name: `peer ${name}: simulated / wall time (checks off)`, value: off.simS / off.wallS, unit: 'x' },
    { name: `peer ${name}: events per wall second (checks off)`, value: off.events / off.wallS, unit: 'events/s' },
    { name: `peer ${name}: checking overhead (wall with / without)`, value: on.wallS / off.wallS, unit: 'ratio', goal: 1.5, lowerIsBetter: true },
    { name: `peer ${name}: backfilled records per wall second`, value: on.backfilled / on.wallS, unit: 'records/s' },
  ];
}
