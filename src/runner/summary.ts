/**
 * The end-of-sweep summary: a table per scenario (seeds, passed, failed by kind, events, simulated time,
 * wall time) and the failures grouped (report/groups.ts): per group its kind, the model state and event or
 * the invariant, how many seeds, the first and the smallest failing seed, that seed's fault plan in words
 * and its exact replay command.
 */
import { failureGroups, groupSeeds, groupVariants, seedCount, seedList, type FailureGroup } from '../report/groups.ts';
import type { Scenario, Verdict } from '../scenario/types.ts';
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

/** `at 4501.050 ms, trace #3500, node C`: where a run failed. */
export function failureAt(r: RunRow): string {
  const f = r.failure!;
  return `at ${(f.timeUs / 1000).toFixed(3)} ms, trace #${f.traceIndex}${f.node ? `, node ${f.node}` : ''}`;
}

/**
 * Lines describing one group of failed runs (report/groups.ts): what failed and how often, the example
 * message, the seeds, the example seed's fault plan in words and, last, its replay command on a line of
 * its own that is never wrapped (a terminal may fold it on screen; copied, it is one command).
 */
export function groupLines(g: FailureGroup): string[] {
  const ex = g.smallest;
  const variants = groupVariants(g);
  return [
    `FAIL ${g.verdict} ${g.scenario}${variants.length > 0 ? ` [${variants.join(', ')}]` : ''}: ${failureWhat(ex)} (${seedCount(g.runs.length)})`,
    `  ${g.check}: ${ex.failure!.message}`,
    `  seeds: ${seedList(g.runs)}; ${groupSeeds(g)}`,
    `  seed ${ex.seed} failed ${failureAt(ex)}; ${g.plan[0] === 'no faults' ? 'no faults' : `faults: ${g.plan[0] ?? ''}`}`,
    ...g.plan.slice(1).map((l) => `    ${l}`),
    `  replay: ${ex.replay ?? ''}`,
  ];
}

/**
 * The whole summary: table, up to `maxGroups` groups of failures (report/groups.ts: same scenario, check
 * and message shape), and a closing verdict line. `rest` says where the groups beyond `maxGroups` are
 * listed. With `scenarios`, each group lists its example seed's fault events.
 */
export function summaryText(file: ResultsFile, wallMs: number, maxGroups = 20, rest = 'listed in results.json and the report', scenarios?: ReadonlyMap<string, Scenario> | readonly Scenario[]): string[] {
  const lines = summaryTable(totalsOf(file.runs));
  const byName = Array.isArray(scenarios) ? new Map((scenarios as readonly Scenario[]).map((s) => [s.name, s])) : (scenarios as ReadonlyMap<string, Scenario> | undefined);
  const failed = file.runs.filter((r) => r.verdict !== 'pass');
  const groups = failureGroups(failed, byName);
  if (failed.length > 0) lines.push('');
  for (const g of groups.slice(0, maxGroups)) lines.push(...groupLines(g));
  if (groups.length > maxGroups) {
    const more = groups.slice(maxGroups).reduce((n, g) => n + g.runs.length, 0);
    lines.push(`... and ${groups.length - maxGroups} more groups of failures (${more} runs; ${rest})`);
  }
  lines.push(...vacuousLines(file));
  lines.push('');
  lines.push(failed.length === 0 ? `all ${file.runs.length} runs passed in ${fmtDuration(wallMs)}` : `${failed.length} of ${file.runs.length} runs failed (${groups.length} ${groups.length === 1 ? 'group' : 'groups'}) in ${fmtDuration(wallMs)}`);
  return lines;
}

/**
 * The invariants no run of the sweep evaluated on real input (every check `covers` them; `exercised` stayed 0):
 * a check with nothing to judge passes, so a green sweep says nothing about them — a fault that never
 * happened, or an implementation (a plugged-in one) that never traces what the check reads. One line, so it
 * cannot be missed; the report's coverage page has the full list per scenario.
 */
export function vacuousLines(file: ResultsFile): string[] {
  const sum = new Map<string, number>();
  for (const agg of Object.values(file.scenarios)) for (const [k, n] of Object.entries(agg.exercised ?? {})) sum.set(k, (sum.get(k) ?? 0) + n);
  const vacuous = [...sum].filter(([, n]) => n === 0).map(([k]) => k).sort();
  if (vacuous.length === 0) return [];
  const shown = vacuous.slice(0, 8).join(', ') + (vacuous.length > 8 ? `, and ${vacuous.length - 8} more` : '');
  return ['', `vacuous: ${vacuous.length} of ${sum.size} invariants were never evaluated on real input in these runs (they passed with nothing to judge): ${shown}`];
}
