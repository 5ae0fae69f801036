/**
 * Storage benchmark:
 * - commits per wall second in simulation (one store, 4 blocks of 4 KiB per forced commit), file and kv
 *   backends;
 * - wall time to explore every crash point of a 16-block commit under each persistence profile (strict:
 *   one outcome per point; ordered: every prefix of the pending operations; weak: every combination up to
 *   64 per point, else 16 seeded samples);
 * - the swarm scenario's events per wall second and the overhead of the recovery model (the oracle is
 *   part of the workload there: it knows what was written, so it cannot be switched off, and it reads the
 *   fact.store evidence, which stays on).
 */
import { exploreCommitCrashes } from '../src/explore/storage-crashes.ts';
import { BlockStore } from '../src/impl/storage/index.ts';
import { LAST_COPY } from '../src/model/storage/last-copy-kept.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { Simulation } from '../src/sim/simulation.ts';
import swarm from '../scenarios/storage/swarm.ts';
import type { BenchResult } from './types.ts';

/** Forced commits of 4 blocks each in one simulation; returns commits per wall second. */
async function commitsPerSecond(backend: 'file' | 'kv', commits: number): Promise<number> {
  const sim = new Simulation({ seed: 1 });
  const blockSize = 4096;
  let done = 0;
  sim.addNode('S', {
    program: async (env) => {
      const store = await BlockStore.open(env, { backend, blockSize, maxBlocks: 64, verifyOnOpen: false });
      const data = new Uint8Array(blockSize).fill(7);
      for (let c = 0; c < commits; c++) {
        for (let k = 0; k < 4; k++) store.write((c * 4 + k) % 64, data);
        await store.forceSync();
        done++;
      }
      return store;
    },
  });
  sim.start('S');
  const t0 = performance.now();
  await sim.run({ maxEvents: 50_000_000 });
  const wallS = (performance.now() - t0) / 1000;
  if (done !== commits) throw new Error(`storage bench: ${done} of ${commits} commits done (${sim.failure?.message ?? 'no failure'})`);
  return commits / wallS;
}

async function swarmTimes(s: Scenario, seeds: number): Promise<{ wallMs: number; events: number }> {
  const t = { wallMs: 0, events: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    const t0 = performance.now();
    const r = await runScenario(s, seed);
    t.wallMs += performance.now() - t0;
    t.events += r.events;
  }
  return t;
}

/** Runs the storage benchmark. */
export async function benchStorage(): Promise<BenchResult[]> {
  await commitsPerSecond('file', 200); // warm-up
  await exploreCommitCrashes({ profile: 'strict', blocks: 4 });
  const out: BenchResult[] = [
    { name: 'store: forced commits (4 x 4 KiB) per wall second, file', value: await commitsPerSecond('file', 3_000), unit: 'commits/s' },
    { name: 'store: forced commits (4 x 4 KiB) per wall second, kv', value: await commitsPerSecond('kv', 3_000), unit: 'commits/s' },
  ];
  let totalMs = 0;
  for (const profile of ['strict', 'ordered', 'weak'] as const) {
    const r = await exploreCommitCrashes({ profile, blocks: 16, stopAtFirstFailure: false });
    if (r.failures.length > 0) throw new Error(`storage bench: exploration (${profile}) failed: ${r.failures[0]!.failure.message}`);
    totalMs += r.wallMs;
    out.push({ name: `explore 16-block commit, ${profile}: ${r.boundaries} points, ${r.trials} trials`, value: r.wallMs / 1000, unit: 's', lowerIsBetter: true });
  }
  out.push({ name: 'explore 16-block commit, all three profiles', value: totalMs / 1000, unit: 's', lowerIsBetter: true });
  const file = swarm.find((s) => s.name === 'storage-swarm-file')!;
  // The models off, the evidence kept: the oracle (part of the workload) adopts commits from fact.store.
  const bare: Scenario = { ...file, models: [] };
  await swarmTimes(file, 3);
  await swarmTimes(bare, 3);
  // Alternate rounds and keep each side's fastest: other processes on the machine slow single rounds.
  const rounds = { checked: [] as { wallMs: number; events: number }[], unchecked: [] as { wallMs: number; events: number }[] };
  for (let r = 0; r < 3; r++) {
    rounds.checked.push(await swarmTimes(file, 20));
    rounds.unchecked.push(await swarmTimes(bare, 20));
  }
  const fastest = (xs: { wallMs: number; events: number }[]) => xs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  const checked = fastest(rounds.checked);
  const unchecked = fastest(rounds.unchecked);
  out.push({ name: 'storage-swarm-file: scheduler events per wall second', value: checked.events / (checked.wallMs / 1000), unit: 'events/s', goal: 100_000 });
  out.push({ name: 'storage-swarm-file: recovery model overhead', value: checked.wallMs / unchecked.wallMs, unit: 'x', goal: 1.5, lowerIsBetter: true });
  // fact.store-blocks and invariant:last-copy-kept (a commit-heavy worst case: two stores, ~30 commits each).
  const noLastCopy: Scenario = { ...file, evidence: (file.evidence ?? []).filter((r) => r.name !== 'store-blocks'), checks: (file.checks ?? []).filter((c) => c.name !== LAST_COPY) };
  const withLastCopy = await swarmTimes(file, 20);
  const withoutLastCopy = await swarmTimes(noLastCopy, 20);
  out.push({ name: 'storage-swarm-file: last-copy evidence and check overhead', value: withLastCopy.wallMs / withoutLastCopy.wallMs, unit: 'x', goal: 1.5, lowerIsBetter: true });
  // Everything that only checks, off at once: the model, last-copy and its evidence. The oracle stays (the
  // workload records what it wrote and was told through it) with the fact.store recorder it reads.
  const minimal: Scenario = { ...noLastCopy, models: [] };
  const all = { on: [] as { wallMs: number; events: number }[], off: [] as { wallMs: number; events: number }[] };
  for (let r = 0; r < 3; r++) {
    all.on.push(await swarmTimes(file, 20));
    all.off.push(await swarmTimes(minimal, 20));
  }
  out.push({ name: 'storage-swarm-file: model + checks + evidence overhead (oracle kept)', value: fastest(all.on).wallMs / fastest(all.off).wallMs, unit: 'x', goal: 1.5, lowerIsBetter: true });
  return out;
}
