/**
 * The end-of-sweep summary: a table per scenario (seeds, passed, failed by kind, events, simulated time,
 * wall time) and, for each failure, its kind, the model state and event or the invariant, the seed and the
 * exact replay command.
 */
import type { Verdict } from '../scenario/types.ts';
import type { ResultsFile, RunRow } from './results.ts';

/** Totals of one scenario. */
export interface ScenarioTotals {
  scenario: string;
  seeds: number;
  passed: number;
  failed: Record<Exclude<Verdict, 'pass'>, number>;
  events: number;
  simUs: number;
  wallMs: number;
}

/** Per-scenario totals, in first-seen order of the runs. */
export function totalsOf(runs: readonly RunRow[]): ScenarioTotals[] {
  const m = new Map<string, ScenarioTotals>();
  for (const r of runs) {
    let t = m.get(r.scenario);
    if (t === undefined) {
      t = { scenario: r.scenario, seeds: 0, passed: 0, failed: { correctness: 0, liveness: 0, crash: 0 }, events: 0, simUs: 0, wallMs: 0 };
      m.set(r.scenario, t);
    }
    t.seeds++;
    t.events += r.events;
    t.simUs += r.simTimeUs;
    t.wallMs += r.wallMs;
    if (r.verdict === 'pass') t.passed++;
    else t.failed[r.verdict]++;
  }
  return [...m.values()];
}

/** Formats a duration in ms as '850 ms', '12.3 s' or '4.2 min'. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** The summary table as text lines (column 0 left-aligned, numbers right-aligned). */
export function summaryTable(totals: readonly ScenarioTotals[]): string[] {
  const rows = [['scenario', 'seeds', 'passed', 'correctness', 'liveness', 'crash', 'events', 'sim time', 'wall time']];
  for (const t of totals) {
    rows.push([t.scenario, String(t.seeds), String(t.passed), String(t.failed.correctness), String(t.failed.liveness), String(t.failed.crash), String(t.events), fmtDuration(t.simUs / 1000), fmtDuration(t.wallMs)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

/** What failed, in one phrase: the model, its state and the event, or the invariant / check. */
export function failureWhat(r: RunRow): string {
  const f = r.failure;
  if (f === undefined) return '';
  const d = f.details ?? {};
  if (typeof d.model === 'string' && typeof d.state === 'string' && typeof d.event === 'string') {
    const reason = Array.isArray(d.reasons) && d.reasons.length > 0 ? `: ${String(d.reasons[0])}` : '';
    return `model ${d.model} in state '${d.state}' refused ${d.event}${reason}`;
  }
  return f.check;
}

/** Lines describing one failed run, the last one its replay command. */
export function failureLines(r: RunRow): string[] {
  const f = r.failure!;
  const at = `at ${(f.timeUs / 1000).toFixed(3)} ms, trace #${f.traceIndex}${f.node ? `, node ${f.node}` : ''}`;
  return [
    `FAIL ${r.verdict} ${r.scenario} seed ${r.seed}${r.variant ? ` [${r.variant}]` : ''}: ${failureWhat(r)}`,
    `  ${f.check}: ${f.message}`,
    `  ${at}; faults: ${r.faultSummary}`,
    `  replay: ${r.replay ?? ''}`,
  ];
}

/**
 * The whole summary: table, up to `maxFailures` failures, and a closing verdict line. `rest` says where
 * the failures beyond `maxFailures` are listed.
 */
export function summaryText(file: ResultsFile, wallMs: number, maxFailures = 20, rest = 'listed in results.json and the report'): string[] {
  const lines = summaryTable(totalsOf(file.runs));
  const failed = file.runs.filter((r) => r.verdict !== 'pass');
  if (failed.length > 0) lines.push('');
  for (const r of failed.slice(0, maxFailures)) lines.push(...failureLines(r));
  if (failed.length > maxFailures) lines.push(`... and ${failed.length - maxFailures} more failures (${rest})`);
  lines.push('');
  lines.push(failed.length === 0 ? `all ${file.runs.length} runs passed in ${fmtDuration(wallMs)}` : `${failed.length} of ${file.runs.length} runs failed in ${fmtDuration(wallMs)}`);
  return lines;
}
