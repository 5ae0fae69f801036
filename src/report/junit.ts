/**
 * junit.xml for CI: one testsuite per scenario, one testcase per seed (as CI tools expect). A failure's
 * message names its group of failures (groups.ts); its body holds the seed's own failure, fault summary and
 * replay command, then the group's: how many seeds, the first and the smallest, the smallest seed's fault
 * plan in words and its replay command.
 */
import { failureAt, totalsOf } from '../runner/summary.ts';
import type { ResultsFile, RunRow } from '../runner/results.ts';
import type { Scenario } from '../scenario/types.ts';
import { failureGroups, groupSeeds, seedCount, seedList, type FailureGroup } from './groups.ts';
import { esc } from './svg.ts';

/** The group's lines of a failure body, escaped (the same for every run of the group: made once per group). */
function groupBody(g: FailureGroup): string {
  const ex = g.smallest;
  return [
    `group: ${seedCount(g.runs.length)} of ${g.scenario} failed ${g.check} this way (seeds ${seedList(g.runs)}); ${groupSeeds(g)}`,
    `faults of seed ${ex.seed}: ${g.plan[0] ?? ''}`,
    ...g.plan.slice(1).map((l) => `  ${l}`),
    `replay seed ${ex.seed}: ${ex.replay ?? ''}`,
  ].join('\n');
}

function testcase(r: RunRow, groupOf: ReadonlyMap<RunRow, { group: FailureGroup; body: string }>): string {
  const name = `${r.scenario} seed ${r.seed}${r.variant ? ` [${r.variant}]` : ''}`;
  const head = `    <testcase classname="syncbench.${esc(r.scenario)}" name="${esc(name)}" time="${(r.wallMs / 1000).toFixed(3)}"`;
  if (r.verdict === 'pass') return `${head}/>`;
  const f = r.failure!;
  const { group: g, body: gBody } = groupOf.get(r) ?? {};
  const own = esc([`${f.check}: ${f.message}`, failureAt(r), `faults: ${r.faultSummary}`, `replay: ${r.replay ?? ''}`].join('\n'));
  const body = gBody === undefined ? own : `${own}\n\n${gBody}`;
  const count = g === undefined || g.runs.length === 1 ? '' : ` (1 of ${seedCount(g.runs.length)} failing this way; smallest seed ${g.smallest.seed})`;
  const tag = r.verdict === 'crash' ? 'error' : 'failure';
  return `${head}>\n      <${tag} type="${esc(r.verdict)}" message="${esc(`${r.verdict}: ${f.check}: ${f.message}${count}`)}">${body}</${tag}>\n    </testcase>`;
}

/**
 * The junit.xml text of a results file. With `scenarios`, the groups' plans list fault events; `groups`
 * (already made, e.g. by writeReport for the HTML too) saves making them again.
 */
export function junitXml(file: ResultsFile, scenarios?: ReadonlyMap<string, Scenario>, groups: readonly FailureGroup[] = failureGroups(file.runs, scenarios)): string {
  const groupOf = new Map<RunRow, { group: FailureGroup; body: string }>();
  for (const group of groups) {
    const entry = { group, body: esc(groupBody(group)) };
    for (const r of group.runs) groupOf.set(r, entry);
  }
  const byScenario = new Map<string, RunRow[]>();
  for (const r of file.runs) (byScenario.get(r.scenario) ?? byScenario.set(r.scenario, []).get(r.scenario)!).push(r);
  const totals = new Map(totalsOf(file.runs).map((t) => [t.scenario, t]));
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const [name, runs] of byScenario) {
    const t = totals.get(name)!;
    tests += t.seeds;
    failures += t.failed.correctness + t.failed.liveness;
    errors += t.failed.crash;
    suites.push(
      `  <testsuite name="${esc(name)}" tests="${t.seeds}" failures="${t.failed.correctness + t.failed.liveness}" errors="${t.failed.crash}" time="${(t.wallMs / 1000).toFixed(3)}">\n` +
        `${runs.map((r) => testcase(r, groupOf)).join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="syncbench" tests="${tests}" failures="${failures}" errors="${errors}">\n${suites.join('\n')}\n</testsuites>\n`;
}
