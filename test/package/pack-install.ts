/**
 * The package as a user gets it (`npm run test:package`, run by .ci/run): build dist/, `npm pack`,
 * install the tarball into a fresh project outside this repository, and there
 *   1. run a scenario of that project, written against the package's types, with the installed CLI;
 *   2. type-check that project, and the examples of docs/api.md, against the package's .d.ts files; run
 *      the package's stock peer scenarios with the user's own HLC plugged in (docs/api.md's seam example);
 *   3. use the programmatic API (`import … from 'syncbench'`): runSeeds, exitCodeOfRuns, coverage;
 *   4. run the project's vitest suite written with `syncbench/vitest`, including a seed that must fail;
 *   5. validate the trace of a replay with the package's trace schema (`validateRecord`, and the document
 *      as `syncbench/trace-schema.json`);
 *   6. time `syncbench --help` and `syncbench list` against `node -e 0` (printed, not asserted: a slow
 *      machine must not fail CI; the figures go to the README's benchmark table).
 * Exits non-zero naming the step that failed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'syncbench-pack-'));
const project = path.join(work, 'user-project');
const keep = process.argv.includes('--keep');

function step(name: string, cmd: string, args: string[], cwd: string, expectCode = 0): string {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, SYNCBENCH_COMPILED: undefined } });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status !== expectCode) {
    process.stderr.write(`pack-install: ${name}: exit ${String(r.status)} (expected ${expectCode}) after ${s} s\n${r.stdout}\n${r.stderr}\n`);
    process.exit(1);
  }
  console.log(`ok   ${name} (${s} s)`);
  return r.stdout;
}

/** The TypeScript examples of docs/api.md, in order. */
const docBlocks = [...readFileSync(path.join(repo, 'docs/api.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
if (docBlocks.length !== 5) throw new Error(`docs/api.md: expected 5 TypeScript examples, found ${docBlocks.length}`);

const files: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2),
  'tsconfig.json': JSON.stringify(
    { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, allowImportingTsExtensions: true, types: ['node'] }, include: ['scenarios', 'plugged', 'test', 'docs', 'api.ts'] },
    null,
    2,
  ),
  // The user's own implementation and scenario (docs/api.md's, so the page stays true): a durable counter
  // that must keep every acknowledged increment across power losses.
  'scenarios/counter.ts': docBlocks[0]!,
  // docs/api.md's vitest and API examples: type-checked only (they name a variant of the user's own).
  'docs/vitest-example.ts': docBlocks[1]!,
  'docs/api-example.ts': docBlocks[2]!,
  // docs/api.md's check-trace example: type-checked against the package's declarations.
  'docs/check-trace-example.ts': docBlocks[3]!,
  // docs/api.md's seam example: the package's stock peer scenarios with the user's own HLC plugged in.
  'plugged/my-hlc.ts': docBlocks[4]!,
  'api.ts': `import { exitCodeOfRuns, loadScenarios, runSeeds, coverageReport } from 'syncbench';

const loaded = await loadScenarios('scenarios');
const out = await runSeeds(loaded.map((l) => l.scenario), { seeds: '0..5', workers: 2 });
const passed = out.file.runs.filter((r) => r.verdict === 'pass').length;
console.log(\`api: \${out.file.runs.length} runs, \${passed} passed, exit \${exitCodeOfRuns(out.file.runs)}, models \${coverageReport(out.file).models.length}\`);
if (passed !== 6) process.exit(1);
`,
  'test/counter.test.ts': `import { loadScenarios } from 'syncbench';
import { scenarioTest } from 'syncbench/vitest';

const [counter] = await loadScenarios('scenarios');
scenarioTest(counter!.scenario, { seeds: '0..3' });
// A sweep that expects a failure the scenario does not have: each seed must fail, with its replay command.
if (process.env.EXPECT_FAIL === '1') scenarioTest(counter!.scenario, { seeds: '9..9', expect: 'correctness' });
`,
  // docs/trace-schema.md's way of validating a trace file, on the replay's trace: the records of the bench's
  // own kinds must follow the schema (the project's own kinds are not in it).
  'trace-check.ts': `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TRACE_SCHEMA_VERSION, knownKind, validateRecord } from 'syncbench';

const schema = createRequire(import.meta.url)('syncbench/trace-schema.json') as { $id: string };
const records = readFileSync('t.jsonl', 'utf8').split('\\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { kind: string; data: { schemaVersion?: number } });
const ours = records.filter((r) => knownKind(r.kind));
const errors = ours.map((r) => validateRecord(r)).filter((e) => e !== null);
console.log(\`trace: \${records.length} records, \${ours.length} of the bench's kinds, \${errors.length} invalid (\${schema.$id})\`);
if (errors.length > 0 || ours.length === 0 || records[0]!.data.schemaVersion !== TRACE_SCHEMA_VERSION) process.exit(1);
`,
};

try {
  console.log(`pack-install: ${work}`);
  step('npm run build', 'npm', ['run', '-s', 'build'], repo);
  const packed = JSON.parse(step('npm pack', 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repo)) as { filename: string; files: { path: string }[] }[];
  const tarball = path.join(work, packed[0]!.filename);
  const shipped = packed[0]!.files.map((f) => f.path);
  for (const bad of ['src/', 'test/', 'bench/', '.scratch/', 'node_modules/']) {
    if (shipped.some((f) => f.startsWith(bad))) throw new Error(`the package ships ${bad} (files: ${shipped.filter((f) => f.startsWith(bad)).slice(0, 3).join(', ')}…)`);
  }
  for (const needed of ['docs/trace-schema.json', 'docs/trace-schema.md', 'dist/src/trace/schema.js']) {
    if (!shipped.includes(needed)) throw new Error(`the package does not ship ${needed}`);
  }
  console.log(`ok   package: ${shipped.length} files, ${packed[0]!.filename}`);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(project, f)), { recursive: true });
    writeFileSync(path.join(project, f), text);
  }
  const versions = JSON.parse(execFileSync('npm', ['ls', '--json', '--depth=0', 'vitest', 'typescript', '@types/node'], { cwd: repo, encoding: 'utf8' })) as { dependencies: Record<string, { version: string }> };
  const pin = (n: string): string => `${n}@${versions.dependencies[n]!.version}`;
  step('npm install the tarball (+ vitest, typescript)', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, pin('vitest'), pin('typescript'), pin('@types/node')], project);
  const cli = path.join(project, 'node_modules/.bin/syncbench');
  const listed = step('syncbench list --scenarios-dir scenarios', cli, ['list', '--scenarios-dir', 'scenarios'], project);
  if (!listed.includes('counter-power-loss')) throw new Error(`list does not show the project's scenario:\n${listed}`);
  step('syncbench run counter-power-loss --seeds 0..9', cli, ['run', 'counter-power-loss', '--scenarios-dir', 'scenarios', '--seeds', '0..9', '--report', 'reports/latest'], project);
  step('syncbench replay counter-power-loss --seed 3 --trace t.jsonl', cli, ['replay', 'counter-power-loss', '--seed', '3', '--scenarios-dir', 'scenarios', '--quiet', '--trace', 't.jsonl'], project);
  step('syncbench check-trace counter-power-loss t.jsonl (the user scenario\'s models on its recorded trace)', cli, ['check-trace', 'counter-power-loss', 't.jsonl', '--scenarios-dir', 'scenarios'], project);
  step('syncbench check-trace storage <the package\'s golden failing trace> exits 1', cli, ['check-trace', 'storage', 'node_modules/syncbench/golden/recovery/fail-keep-pending.jsonl'], project, 1);
  step(
    'syncbench run the stock peer-clock scenarios with the user\'s HLC plugged in (withImplementations)',
    cli,
    ['run', 'my-hlc-peer-clock-skew', 'my-hlc-peer-clock-drift-rejected', '--scenarios-dir', 'plugged', '--seeds', '0..2', '--no-report'],
    project,
  );
  step('tsc --noEmit (the project against the package types)', process.execPath, [path.join(project, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
  console.log(step('the API: runSeeds over 6 seeds on 2 threads', process.execPath, ['--import', 'tsx', 'api.ts'], project).trim());
  console.log(step('the trace schema: the replay\'s trace validates', process.execPath, ['--import', 'tsx', 'trace-check.ts'], project).trim());
  step('vitest with syncbench/vitest', process.execPath, [path.join(project, 'node_modules/vitest/vitest.mjs'), 'run'], project);
  process.env.EXPECT_FAIL = '1';
  step('vitest: a seed that gives another verdict fails the suite', process.execPath, [path.join(project, 'node_modules/vitest/vitest.mjs'), 'run'], project, 1);
  delete process.env.EXPECT_FAIL;
  // Start-up, best of 5 each, side by side.
  const best = (args: string[]): number => {
    let b = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      execFileSync(args[0]!, args.slice(1), { cwd: project, stdio: 'ignore' });
      b = Math.min(b, performance.now() - t0);
    }
    return b;
  };
  const node0 = best([process.execPath, '-e', '0']);
  const help = best([cli, '--help']);
  const list = best([cli, 'list']);
  console.log(`start-up: node -e 0 ${node0.toFixed(0)} ms; syncbench --help ${help.toFixed(0)} ms (${(help / node0).toFixed(2)}x); syncbench list ${list.toFixed(0)} ms (${(list / node0).toFixed(2)}x)`);
  console.log('pack-install: all steps passed');
} catch (e) {
  process.stderr.write(`pack-install: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
