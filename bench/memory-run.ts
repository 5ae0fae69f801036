/**
 * Child process of memory.bench.ts: one run of the peer swarm lasting `argv[2]` ms of simulated time (seed
 * `argv[3]`), with 400 more writes spread over the run, or (`argv[4]` = 'steady') one write every 50 ms, so
 * a longer run also holds more data; then the process's peak RSS and the run's figures as one JSON line.
 * A process per run: peak RSS is per process.
 */
import { readFileSync } from 'node:fs';
import { randomWrites } from '../scenarios/peer/_common.ts';
import swarms from '../scenarios/peer/swarm.ts';
import { runScenario } from '../src/scenario/run.ts';
import type { Scenario } from '../src/scenario/types.ts';

const durationMs = Number(process.argv[2]);
const seed = Number(process.argv[3] ?? 1);
const base = (swarms as Scenario[]).find((s) => s.name === 'peer-swarm')!;
const devices = ['A', 'B', 'C', 'D'];
const scenario: Scenario = {
  ...base,
  name: `peer-swarm-${durationMs / 1000}s`,
  durationMs,
  workload: (ctx) => {
    base.workload!(ctx);
    const rate = process.argv[4] === "steady" ? 50 : Math.max(1, Math.floor(durationMs / 400));
    randomWrites(ctx, devices, Math.floor(durationMs / rate), 300, rate);
  },
};
/**
 * This process's own peak RSS, KiB. On Linux from /proc/self/status (VmHWM, the peak of this process's
 * memory since its exec): `resourceUsage().maxRSS` (getrusage) keeps the parent's peak across fork and
 * exec, so a child spawned by a bench process that had grown to 177 MB reported 177 MB for every run.
 */
function peakRssKb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]);
  } catch {
    // Not Linux: getrusage's figure (exact when the parent is smaller than this process).
  }
  return process.resourceUsage().maxRSS;
}

const r = await runScenario(scenario, seed);
process.stdout.write(`${JSON.stringify({ durationMs, verdict: r.verdict, events: r.events, records: r.traceRecords, maxRssKb: peakRssKb(), heapMb: process.memoryUsage().heapUsed / 2 ** 20 })}\n`);
