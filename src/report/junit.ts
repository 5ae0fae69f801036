/** junit.xml for CI: one testsuite per scenario, one testcase per seed, failures with the replay command. */
import { totalsOf } from '../runner/summary.ts';
import type { ResultsFile, RunRow } from '../runner/results.ts';
import { esc } from './svg.ts';

function testcase(r: RunRow): string {
  const name = `${r.scenario} seed ${r.seed}${r.variant ? ` [${r.variant}]` : ''}`;
  const head = `    <testcase classname="syncbench.${esc(r.scenario)}" name="${esc(name)}" time="${(r.wallMs / 1000).toFixed(3)}"`;
  if (r.verdict === 'pass') return `${head}/>`;
  const f = r.failure!;
  const body = `${f.check}: ${f.message}\nat ${f.timeUs} µs, trace #${f.traceIndex}\nfaults: ${r.faultSummary}\nreplay: ${r.replay ?? ''}`;
  const tag = r.verdict === 'crash' ? 'error' : 'failure';
  return `${head}>\n      <${tag} type="${esc(r.verdict)}" message="${esc(`${r.verdict}: ${f.check}: ${f.message}`)}">${esc(body)}</${tag}>\n    </testcase>`;
}

/** The junit.xml text of a results file. */
export function junitXml(file: ResultsFile): string {
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
        `${runs.map(testcase).join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="syncbench" tests="${tests}" failures="${failures}" errors="${errors}">\n${suites.join('\n')}\n</testsuites>\n`;
}
