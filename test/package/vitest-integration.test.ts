/**
 * syncbench/vitest's scenarioTest as a user's suite uses it: a vitest of its own runs a user's test file
 * (fixtures/user-suite.spec.ts) with the JSON and JUnit reporters, and the reports must show one test per
 * seed, the failing seed with its verdict, failing check and replay command, the skipped sweep as skipped,
 * and `.only` focusing on its seeds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadScenarioFiles } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { verdictMismatch } from '../../src/vitest/index.ts';

const run = promisify(execFile);
const VITEST = path.resolve('node_modules/vitest/vitest.mjs');

interface JsonReport {
  testResults: { assertionResults: { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }[] }[];
}

/** Runs the fixture suite; resolves with its JSON report, its JUnit XML and the exit code. */
async function userSuite(env: Record<string, string> = {}, extra: string[] = []): Promise<{ tests: JsonReport['testResults'][0]['assertionResults']; junit: string; code: number }> {
  const out = mkdtempSync(path.join(tmpdir(), 'sb-vitest-'));
  const args = [VITEST, 'run', '--config', 'test/package/fixtures/vitest.config.ts', '--reporter=json', `--outputFile.json=${out}/r.json`, '--reporter=junit', `--outputFile.junit=${out}/j.xml`, ...extra];
  let code = 0;
  try {
    await run(process.execPath, args, { env: { ...process.env, ...env } });
  } catch (e) {
    code = (e as { code: number }).code;
  }
  const json = JSON.parse(readFileSync(`${out}/r.json`, 'utf8')) as JsonReport;
  return { tests: json.testResults.flatMap((f) => f.assertionResults), junit: readFileSync(`${out}/j.xml`, 'utf8'), code };
}

describe('scenarioTest in a user suite', () => {
  it('makes one test per seed; a failing seed fails with its replay command; skip skips', async () => {
    const { tests, junit, code } = await userSuite();
    const row = (t: (typeof tests)[0]): string => `${t.ancestorTitles.join(' > ')} > ${t.title}: ${t.status}`;
    expect(tests.map(row)).toEqual([
      'demo-partition-heal seeds 0..1 > seed 0: passed',
      'demo-partition-heal seeds 0..1 > seed 1: passed',
      'demo-partition-heal seeds 3..3 variant demo-no-anti-entropy > seed 3: failed',
      'demo-partition-heal seeds 4..4 > seed 4: skipped',
      'demo-inline seeds 5..5 > seed 5: passed',
    ]);
    expect(code).toBe(1);
    const failed = tests.find((t) => t.status === 'failed')!.failureMessages.join('\n');
    expect(failed).toContain('demo-partition-heal seed 3 (variant demo-no-anti-entropy): expected pass, got liveness:');
    expect(failed).toContain('replay: npx syncbench replay demo-partition-heal --seed 3 --variant demo-no-anti-entropy');
    expect(junit).toMatch(/<testcase [^>]*name="demo-partition-heal seeds 3..3 variant demo-no-anti-entropy &gt; seed 3"[^>]*>\s*<failure/);
  });

  it('only runs the focused seeds', async () => {
    // vitest refuses `.only` when CI is set (allowOnly defaults to !process.env.CI); a user's CI would too.
    const { tests, code } = await userSuite({ ONLY: '1' }, ['--allowOnly']);
    expect(tests.filter((t) => t.status === 'passed').map((t) => t.title)).toEqual(['seed 2']);
    expect(code).toBe(0);
  });

  it('accepts the verdict asked for: a variant\'s expected failure passes, a pass where a failure is expected fails', async () => {
    const [loaded] = (await loadScenarioFiles([path.resolve('scenarios/demo/gossip.ts')])).filter((l) => l.scenario.name === 'demo-partition-heal');
    const r = await runScenario({ ...loaded!.scenario }, 0, { variant: 'demo-no-anti-entropy' });
    expect(verdictMismatch(r, 'liveness')).toBeNull();
    expect(verdictMismatch(r, 'pass')?.name).toBe('ScenarioVerdictError');
    expect(verdictMismatch(await runScenario(loaded!.scenario, 0), 'liveness')?.message).toContain('expected liveness, got pass: the run passed');
  });
});
