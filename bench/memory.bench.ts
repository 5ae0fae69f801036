/**
 * Memory against simulated length: peak RSS of a 20 s and a 200 s peer swarm, each in a process of its own
 * (memory-run.ts), goal: ratio <= 1.3. The trace streams into its hash and keeps only a bounded tail, and
 * nothing else of the bench grows with time. Two workloads: the same 400 extra writes spread over either
 * length (the bench's own growth), and one write every 50 ms (ten times the data in the longer run: what
 * the implementation itself must hold grows too).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Child {
  maxRssKb: number;
  events: number;
  verdict: string;
}

function run(durationMs: number, mode: string): Child {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'memory-run.ts'), String(durationMs), '1', mode], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as Child;
  if (r.verdict !== 'pass') throw new Error(`memory bench: the ${durationMs / 1000} s swarm did not pass (${r.verdict})`);
  return r;
}

export async function benchMemory(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const mode of ['spread', 'steady']) {
    const short = run(20_000, mode);
    const long = run(200_000, mode);
    const what = mode === 'spread' ? 'same writes' : 'a write every 50 ms';
    out.push({ name: `peer swarm, ${what}: peak RSS of the 20 s run (${short.events} events)`, value: short.maxRssKb / 1024, unit: 'MB' });
    out.push({ name: `peer swarm, ${what}: peak RSS of the 200 s run (${long.events} events)`, value: long.maxRssKb / 1024, unit: 'MB' });
    out.push({ name: `peer swarm, ${what}: peak RSS 200 s / 20 s`, value: long.maxRssKb / short.maxRssKb, unit: 'x', goal: 1.3, lowerIsBetter: true });
  }
  return out;
}
