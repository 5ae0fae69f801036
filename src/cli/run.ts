/** `syncbench run`: scenarios or suites over a seed range, a summary table, and replay commands. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { runScenario } from '../scenario/run.ts';
import { EXIT_CODES, type RunResult, type Verdict } from '../scenario/types.ts';
import { resolveRun } from './usage.ts';

/** Per-scenario totals for the summary table. */
interface Totals {
  seeds: number;
  passed: number;
  failed: Record<Exclude<Verdict, 'pass'>, number>;
  events: number;
  simUs: number;
  wallMs: number;
}

function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** Writes `text` to `file` atomically (temp file + rename), so a crash never leaves half a file. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** The worst verdict's exit code: crash > liveness > correctness > pass (by code, higher wins). */
export function exitCodeOf(results: readonly RunResult[]): number {
  return results.reduce((code, r) => Math.max(code, EXIT_CODES[r.verdict]), 0);
}

export async function runCommand(targets: string[], o: Record<string, unknown>): Promise<void> {
  const { scenarios, from, to, variant } = await resolveRun(targets, String(o.seeds), o.variant as string | undefined);
  const json = o.json === true;
  const total = scenarios.length * (to - from + 1);
  const results: RunResult[] = [];
  const totals = new Map<string, Totals>();
  const started = performance.now();
  let lastProgress = started;
  let failures = 0;
  outer: for (const s of scenarios) {
    const t: Totals = { seeds: 0, passed: 0, failed: { correctness: 0, liveness: 0, crash: 0 }, events: 0, simUs: 0, wallMs: 0 };
    totals.set(s.name, t);
    for (let seed = from; seed <= to; seed++) {
      const r = await runScenario(s, seed, { variant });
      results.push(r);
      t.seeds++;
      t.events += r.events;
      t.simUs += r.simTimeUs;
      t.wallMs += r.wallMs;
      if (r.verdict === 'pass') t.passed++;
      else {
        t.failed[r.verdict]++;
        failures++;
      }
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      const now = performance.now();
      if (!json && now - lastProgress > 2000) {
        lastProgress = now;
        process.stderr.write(`progress: ${results.length}/${total} runs, ${failures} failed, ${(results.length / ((now - started) / 1000)).toFixed(1)} runs/s\n`);
      }
      if (o.failFast === true && r.verdict !== 'pass') break outer;
    }
  }
  if (!json) printSummary(totals, results, performance.now() - started);
  if (typeof o.report === 'string') {
    writeAtomic(path.join(o.report, 'results.json'), `${JSON.stringify({ version: 1, results }, null, 1)}\n`);
    if (!json) process.stdout.write(`report: ${path.join(o.report, 'results.json')}\n`);
  }
  process.exitCode = exitCodeOf(results);
}

function printSummary(totals: Map<string, Totals>, results: RunResult[], wallMs: number): void {
  const rows = [['scenario', 'seeds', 'passed', 'correctness', 'liveness', 'crash', 'events', 'sim time', 'wall time']];
  for (const [name, t] of totals) {
    rows.push([name, String(t.seeds), String(t.passed), String(t.failed.correctness), String(t.failed.liveness), String(t.failed.crash), String(t.events), fmtDuration(t.simUs / 1000), fmtDuration(t.wallMs)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r, i) => {
    const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    return i === 0 ? pc.bold(line) : line;
  });
  const failed = results.filter((r) => r.verdict !== 'pass');
  lines.push('');
  for (const r of failed.slice(0, 20)) {
    const f = r.failure!;
    lines.push(`${pc.red(`FAIL ${r.verdict}`)} ${r.scenario} seed ${r.seed}: ${f.check}: ${f.message}`);
    lines.push(`  replay: ${r.replay}`);
  }
  if (failed.length > 20) lines.push(`... and ${failed.length - 20} more failures`);
  const verdict = failed.length === 0 ? pc.green(`all ${results.length} runs passed`) : pc.red(`${failed.length} of ${results.length} runs failed`);
  lines.push(`${verdict} in ${fmtDuration(wallMs)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
