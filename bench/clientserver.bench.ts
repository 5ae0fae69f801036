/**
 * Client-server benchmark: one sync server and 8 clients (a 1,000-record database downloaded by every
 * client, then 1,600 local writes relayed to all over 10 s, with the operator writing on the server too),
 * run with and without the checks (the sync-status model, the invariants and their evidence recorders);
 * reports simulated/wall time, events per second and the checking overhead.
 */
import { allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, serverRecords } from '../scenarios/clientserver/_common.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/types.ts';
import type { BenchResult } from './types.ts';

const SEEDS = 4;
const clients = clientIds(8);

const checked: Scenario = {
  name: 'cs-bench-8-clients',
  description: 'One server, 8 clients: a 1,000-record download each, then 1,600 local writes relayed to every client.',
  suites: [],
  topology: csTopology(clients),
  program: csProgram(),
  workload: (ctx) => {
    serverRecords(ctx, 1_000, 100);
    clientWrites(ctx, clients, 1_600, 500, 6);
    serverRecords(ctx, 200, 5_000, 'mid');
  },
  durationMs: 11_000,
  liveness: allSynced(clients),
  ...csChecking(clients),
};

interface Totals {
  wallS: number;
  simS: number;
  events: number;
}

async function runOnce(s: Scenario, seed: number, into: Totals): Promise<void> {
  const t0 = performance.now();
  const r = await runScenario(s, seed);
  into.wallS += (performance.now() - t0) / 1000;
  if (r.verdict !== 'pass') throw new Error(`bench run failed: ${r.failure?.message ?? r.verdict} (${r.replay})`);
  into.simS += r.simTimeUs / 1e6;
  into.events += r.events;
}

/** Runs the client-server benchmark (runs with and without checks alternate, so machine drift hits both alike). */
export async function benchClientServer(): Promise<BenchResult[]> {
  // Off: no checks, no model and no evidence recorders (the facts exist only to be checked).
  const bare: Scenario = { ...checked, checks: [], models: [], evidence: [] };
  await runScenario(checked, 1); // warm-up (module compilation, JIT)
  await runScenario(bare, 1);
  const on: Totals = { wallS: 0, simS: 0, events: 0 };
  const off: Totals = { wallS: 0, simS: 0, events: 0 };
  for (let seed = 100; seed < 100 + SEEDS; seed++) {
    await runOnce(checked, seed, on);
    await runOnce(bare, seed, off);
  }
  const name = '1 server + 8 clients';
  return [
    { name: `${name}: simulated / wall time (checks on)`, value: on.simS / on.wallS, unit: 'x' },
    { name: `${name}: events per wall second (checks on)`, value: on.events / on.wallS, unit: 'events/s' },
    { name: `${name}: simulated / wall time (checks off)`, value: off.simS / off.wallS, unit: 'x' },
    { name: `${name}: events per wall second (checks off)`, value: off.events / off.wallS, unit: 'events/s' },
    { name: `${name}: checking overhead (wall with / without)`, value: on.wallS / off.wallS, unit: 'ratio', goal: 1.5, lowerIsBetter: true },
  ];
}
