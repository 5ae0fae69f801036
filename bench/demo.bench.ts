/**
 * Demo scenario benchmark: simulated time per wall time, and events per second, for the gossip swarm
 * scenario (3 nodes, disk, network, swarm faults).
 */
import demo from '../scenarios/demo/gossip.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/types.ts';
import type { BenchResult } from './types.ts';

/** Runs the demo benchmark over 200 seeds. */
export async function benchDemo(): Promise<BenchResult[]> {
  const swarm = (demo as Scenario[]).find((s) => s.name === 'demo-gossip-swarm')!;
  for (let seed = 0; seed < 20; seed++) await runScenario(swarm, seed); // warm-up
  let simUs = 0;
  let events = 0;
  let records = 0;
  const t0 = performance.now();
  const seeds = 200;
  for (let seed = 1000; seed < 1000 + seeds; seed++) {
    const r = await runScenario(swarm, seed);
    simUs += r.simTimeUs;
    events += r.events;
    records += r.traceRecords;
  }
  const wallS = (performance.now() - t0) / 1000;
  return [
    { name: 'demo-gossip-swarm: simulated time / wall time', value: simUs / 1e6 / wallS, unit: 'x' },
    { name: 'demo-gossip-swarm: scheduler events per wall second', value: events / wallS, unit: 'events/s' },
    { name: 'demo-gossip-swarm: trace records per wall second', value: records / wallS, unit: 'records/s' },
    { name: 'demo-gossip-swarm: seeds per wall second (1 core)', value: seeds / wallS, unit: 'seeds/s' },
  ];
}
