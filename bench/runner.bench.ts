/**
 * Runner benchmark: seeds per second of the smoke suite on 1 and on 2 worker threads (both start cold,
 * thread start-up included) and the speedup; and the time to build a report (results.json, coverage.json,
 * junit.xml, index.html) for a 10,000-seed results file, with and without re-running failing seeds for
 * their timelines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../src/report/write.ts';
import { runSweep } from '../src/runner/sweep.ts';
import { loadScenarios, SCENARIOS_DIR, suitesOf } from '../src/scenario/registry.ts';
import type { BenchResult } from './types.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test/runner/fixtures/scenarios');
/**
 * Seeds per smoke scenario in the throughput figures. Each worker thread compiles and JIT-warms the
 * simulator on its own (about a second of slower runs), so a short sweep mostly measures warm-up: with 5
 * seeds (235 runs) 2 workers measured 1.05x over 1 on an idle 2-core machine, with 20 seeds 1.70x.
 */
const SMOKE_SEEDS = 20;
const REPORT_SEEDS = 10_000;

async function smokeRate(workers: number): Promise<{ rate: number; runs: number; cores: number; cpuMs: number }> {
  const all = await loadScenarios(SCENARIOS_DIR);
  const names = suitesOf(all).get('smoke') ?? [];
  const scenarios = all.filter((l) => names.includes(l.scenario.name)).map((l) => l.scenario);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = await runSweep({ targets: ['smoke'], scenarios, from: 0, to: SMOKE_SEEDS - 1, workers, forceThreads: true, scenariosDir: SCENARIOS_DIR });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // CPU time of every thread of this process per wall time: about `workers` on an idle machine; near 1
  // with 2 workers means the machine (other processes) left this one a single core and the speedup
  // figure says nothing about the runner.
  // CPU time per run (every thread, user + sys) changes far less with the machine's load than the rate:
  // 2 workers over 1 on it says what a second thread costs (each thread's isolate compiles and collects
  // on its own), whatever else the machine runs.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { rate: out.file.runs.length / (wallMs / 1000), runs: out.file.runs.length, cores: cpuMs / wallMs, cpuMs: cpuMs / out.file.runs.length };
}

async function reportTimes(): Promise<{ plain: number; withTimelines: number }> {
  const fixtures = new Map((await loadScenarios(FIXTURES)).map((l) => [l.scenario.name, l.scenario]));
  const scenarios = [fixtures.get('fixture-ticker')!, fixtures.get('fixture-flaky')!];
  const base = (await runSweep({ targets: ['fixture'], scenarios, from: 0, to: 99, workers: 1 })).file;
  // Replicate 200 real rows to 10,000 seeds (aggregates are per scenario, so they stay valid).
  const rows = base.runs;
  base.runs = [];
  for (let k = 0; base.runs.length < REPORT_SEEDS; k++) for (const r of rows) if (base.runs.length < REPORT_SEEDS) base.runs.push({ ...r, seed: r.seed + 100 * k });
  const dir = mkdtempSync(path.join(tmpdir(), 'syncbench-bench-'));
  try {
    let t0 = performance.now();
    await writeReport(path.join(dir, 'a'), base);
    const plain = performance.now() - t0;
    t0 = performance.now();
    await writeReport(path.join(dir, 'b'), base, { scenarios: fixtures });
    return { plain, withTimelines: performance.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The runner figures. */
export async function benchRunner(): Promise<BenchResult[]> {
  const one = await smokeRate(1);
  const two = await smokeRate(2);
  const report = await reportTimes();
  return [
    { name: `smoke suite, ${one.runs} runs: seeds/s with 1 worker thread`, value: one.rate, unit: 'seeds/s' },
    { name: `smoke suite, ${two.runs} runs: seeds/s with 2 worker threads`, value: two.rate, unit: 'seeds/s' },
    { name: 'smoke suite: speedup of 2 workers over 1', value: two.rate / one.rate, unit: 'x', goal: 1.6 },
    { name: 'smoke suite, 1 worker: CPU cores this process got', value: one.cores, unit: 'cores' },
    { name: 'smoke suite, 2 workers: CPU cores this process got', value: two.cores, unit: 'cores' },
    { name: 'smoke suite, 1 worker: CPU time per run (all threads)', value: one.cpuMs, unit: 'ms' },
    { name: 'smoke suite, 2 workers: CPU time per run (all threads)', value: two.cpuMs, unit: 'ms' },
    { name: 'smoke suite: CPU time per run, 2 workers over 1', value: two.cpuMs / one.cpuMs, unit: 'x', lowerIsBetter: true },
    { name: `report for ${REPORT_SEEDS} seeds (no timelines)`, value: report.plain, unit: 'ms', goal: 2000, lowerIsBetter: true },
    { name: `report for ${REPORT_SEEDS} seeds (with 10 failing-seed timelines)`, value: report.withTimelines, unit: 'ms', goal: 3000, lowerIsBetter: true },
  ];
}
