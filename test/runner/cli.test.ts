/** The CLI end to end (in-process through main()): exit codes, usage errors, reports, merge, shrink, replay. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli/main.ts';
import { FIXTURES_DIR } from './fixtures.ts';

const io = captureOutput();

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'syncbench-cli-'));
const run = (...args: string[]): Promise<number> => main([...args, '--scenarios-dir', FIXTURES_DIR]);
const DYING_DIR = path.join(path.dirname(FIXTURES_DIR), 'dying');
const THROWING_DIR = path.join(path.dirname(FIXTURES_DIR), 'throwing');
const BIN = path.join(path.dirname(FIXTURES_DIR), '..', '..', '..', 'bin', 'syncbench.js');
/** Runs the real CLI in a child process (for scenarios that could end the process running them). */
const cli = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('syncbench run', () => {
  it('exit code is the worst verdict: 0 pass, 1 correctness, 2 liveness, 3 crash', async () => {
    expect(await run('run', 'fixture-flaky', '--seeds', '0..0', '--workers', '1', '--no-report')).toBe(0);
    expect(await run('run', 'fixture-flaky', '--seeds', '0..1', '--workers', '1', '--no-report')).toBe(1);
    expect(await run('run', 'fixture-flaky', '--seeds', '2', '--workers', '1', '--no-report')).toBe(2);
    expect(await run('run', 'fixture-flaky', '--seeds', '0..3', '--workers', '1', '--no-report')).toBe(3);
    expect(io.out()).toContain('replay: npx syncbench replay fixture-flaky --seed 3');
    expect(io.out()).toMatch(/fixture-flaky\s+4\s+1\s+1\s+1\s+1/);
  });

  it.each([
    [['run', 'no-such-thing', '--seeds', '0..1'], /unknown scenario or suite 'no-such-thing'; suites: .*`syncbench list` shows all/],
    [['run', 'fixture-tiker', '--seeds', '0..1'], /'fixture-tiker' \(did you mean fixture-ticker\?\)/],
    [['run', 'fixture', '--seeds', '5..1'], /seed range '5..1' is empty/],
    [['run', 'fixture', '--seeds', 'x'], /is not a seed/],
    [['run', 'fixture', '--shard', '3/2'], /--shard '3\/2'/],
    [['run', 'fixture', '--workers', '0'], /--workers '0'/],
    [['run', 'fixture', '--variant', 'nope'], /unknown variant 'nope'/],
    [['replay', 'fixture', '--seed', '1'], /is a suite/],
    [['coverage', '/nonexistent/dir'], /cannot read: ENOENT/],
    // Report folders are created and write-tested before any run (an empty path would mean the current folder).
    [['run', 'fixture', '--seeds', '0..1', '--report', ''], /--report: the path is empty/],
    [['run', 'fixture', '--seeds', '0..1', '--report', '/proc/syncbench-x'], /--report \/proc\/syncbench-x: cannot write there \(ENOENT\)/],
    // What the user typed is echoed with its control bytes escaped, never raw to the terminal.
    [['run', 'bad\u001b[31mname\u0007', '--seeds', '0..1'], /unknown scenario or suite 'bad\\x1b\[31mname\\x07'/],
  ])('%j is a usage error (64) saying what is wrong', async (args, message) => {
    expect(await run(...args)).toBe(64);
    expect(io.err()).toMatch(message);
  });

  it('a missing, empty or non-folder scenarios folder is a usage error (64) naming it, before any run', async () => {
    expect(await main(['list', '--scenarios-dir', '/nonexistent-syncbench-dir'])).toBe(64);
    expect(io.err()).toMatch(/scenarios folder \/nonexistent-syncbench-dir: does not exist/);
    const file = path.join(tmp(), 'a-file');
    writeFileSync(file, '');
    expect(await main(['run', 'x', '--scenarios-dir', file])).toBe(64);
    expect(io.err()).toMatch(/scenarios folder .*a-file: is a file, not a folder/);
    expect(await main(['list', '--scenarios-dir', ''])).toBe(64);
    expect(io.err()).toMatch(/scenarios folder: the path is empty/);
  });

  it('a scenario that fails to validate is a usage error naming the file and the field', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'bad.ts'), "export default { name: 'bad-one', description: 'd', suites: ['x'], topology: { nodes: [{ id: 'A' }] }, program: () => () => ({}), durationMs: -5 };\n");
    expect(await main(['run', 'x', '--scenarios-dir', dir])).toBe(64);
    expect(io.err()).toMatch(/bad\.ts: bad-one\.durationMs: must be a positive number of ms, got -5/);
    const dir2 = tmp();
    writeFileSync(path.join(dir2, 'broken.ts'), 'export default {;\n');
    expect(await main(['list', '--scenarios-dir', dir2])).toBe(64);
    expect(io.err()).toMatch(/broken\.ts: failed to load/);
  });

  it.each([
    ["models: [{ name: 'm' }]", /bad\.ts: bad-one\.models\[0\]\.machine: must be an xstate machine/],
    ['models: 5', /bad\.ts: bad-one\.models: must be a list of model specs/],
    ['checks: 5', /bad\.ts: bad-one\.checks: must be a list of checks/],
    ['checks: [{ final: 1 }]', /bad\.ts: bad-one\.checks\[0\]\.name: must be a non-empty string/],
    ['liveness: { withinMs: 100 }', /bad\.ts: bad-one\.liveness\.done: must be a function/],
    ['liveness: 5', /bad\.ts: bad-one\.liveness: must be an object/],
  ])('a scenario with %s is a usage error (64) naming the file and the field', async (field, message) => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'bad.ts'), `export default { name: 'bad-one', description: 'd', suites: ['x'], topology: { nodes: [{ id: 'A' }] }, program: () => () => ({}), durationMs: 100, ${field} };\n`);
    expect(await main(['run', 'x', '--seeds', '0', '--workers', '1', '--no-report', '--scenarios-dir', dir])).toBe(64);
    expect(io.err()).toMatch(message);
  });

  it('writes a report folder; sharded runs merge into the same results as one run', async () => {
    const dir = tmp();
    expect(await run('run', 'fixture-ticker', '--seeds', '0..5', '--workers', '1', '--report', path.join(dir, 'all'))).toBe(0);
    for (const f of ['results.json', 'coverage.json', 'junit.xml', 'index.html']) expect(existsSync(path.join(dir, 'all', f))).toBe(true);
    for (const i of [1, 2]) expect(await run('run', 'fixture-ticker', '--seeds', '0..5', '--workers', '1', '--shard', `${i}/2`, '--report', path.join(dir, `s${i}`))).toBe(0);
    expect(await run('merge', path.join(dir, 's1'), path.join(dir, 's2'), '--out', path.join(dir, 'merged'))).toBe(0);
    const runsOf = (d: string) => (JSON.parse(readFileSync(path.join(dir, d, 'results.json'), 'utf8')) as { runs: { traceHash: string; seed: number }[] }).runs.map((r) => [r.seed, r.traceHash]);
    expect(runsOf('merged')).toEqual(runsOf('all'));
    expect(await run('merge', path.join(dir, 's1'), path.join(dir, 's1'))).toBe(64);
    expect(io.err()).toMatch(/shards must not overlap/);
  });

  it('a corrupt results file is a usage error for merge and coverage', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'results.json'), '{"format":"syncbench-results","version":1,"meta":');
    expect(await run('merge', dir)).toBe(64);
    expect(io.err()).toMatch(/corrupt results file/);
    expect(await main(['coverage', dir])).toBe(64);
  });

  it.each([
    ['scenarios.fixture-ticker.suites = null', (f: Record<string, any>) => (f.scenarios['fixture-ticker'].suites = null), /scenarios\.fixture-ticker\.suites is not a list of names/],
    ["scenarios.fixture-ticker.coverage = [{ model: 'x' }]", (f: Record<string, any>) => (f.scenarios['fixture-ticker'].coverage = [{ model: 'x' }]), /scenarios\.fixture-ticker\.coverage\[0\]\.states is not a map of counts/],
    ['models.ticker.states = 3', (f: Record<string, any>) => (f.models.ticker.states = 3), /models\.ticker\.states is not a list of states/],
  ])('a results file with %s is a usage error (64) naming the field, for merge and coverage', async (_what, corrupt, message) => {
    const dir = tmp();
    expect(await run('run', 'fixture-ticker', '--seeds', '0..1', '--workers', '1', '--report', dir)).toBe(0);
    const file = path.join(dir, 'results.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
    corrupt(json);
    writeFileSync(file, JSON.stringify(json));
    io.clear();
    expect(await main(['coverage', dir])).toBe(64);
    expect(io.err()).toMatch(message);
    io.clear();
    expect(await run('merge', dir, '--out', path.join(dir, 'merged'))).toBe(64);
    expect(io.err()).toMatch(message);
    expect(existsSync(path.join(dir, 'merged'))).toBe(false);
  });

  it('too many runs, a --report that is a file and a --trace in a missing folder are usage errors (64) before any run', async () => {
    expect(await run('run', 'fixture-ticker', '--seeds', '0..10000000', '--no-report')).toBe(64);
    expect(io.err()).toMatch(/10000001 runs is more than the limit of 10000000; split the seed range/);
    const dir = tmp();
    const file = path.join(dir, 'report.txt');
    writeFileSync(file, 'keep me');
    io.clear();
    expect(await run('run', 'fixture-ticker', '--seeds', '0..1', '--workers', '1', '--report', file)).toBe(64);
    expect(io.err()).toMatch(/--report .*report\.txt: is a file, not a folder/);
    expect(io.out()).not.toMatch(/fixture-ticker/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(await run('run', 'fixture-ticker', '--seeds', '0..1', '--workers', '1', '--report', path.join(file, 'sub'))).toBe(64);
    expect(await run('merge', dir, '--out', file)).toBe(64);
    expect(await run('replay', 'fixture-ticker', '--seed', '1', '--trace', '/nonexistent/dir/t.jsonl')).toBe(64);
    expect(io.err()).toMatch(/--trace \/nonexistent\/dir\/t\.jsonl: folder \/nonexistent\/dir does not exist/);
    expect(await run('replay', 'fixture-ticker', '--seed', '1', '--trace', dir)).toBe(64);
    expect(io.err()).toMatch(/is a folder, not a file/);
  });

  it('--fail-fast marks the results partial, like an interrupted run; merge warns about partial files', async () => {
    const dir = tmp();
    expect(await run('run', 'fixture-flaky', '--seeds', '0..7', '--workers', '1', '--fail-fast', '--report', dir)).toBe(1);
    expect(io.err()).toMatch(/--fail-fast stopped the sweep after 2 of 8 runs \(results marked partial\)/);
    const file = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { meta: { partial?: boolean }; runs: unknown[] };
    expect(file.runs).toHaveLength(2);
    expect(file.meta.partial).toBe(true);
    io.clear();
    expect(await run('merge', dir, '--out', path.join(dir, 'merged'))).toBe(1);
    expect(io.err()).toMatch(/warning: .*results\.json is partial/);
    expect((JSON.parse(readFileSync(path.join(dir, 'merged', 'results.json'), 'utf8')) as { meta: { partial?: boolean } }).meta.partial).toBe(true);
    io.clear();
    const whole = tmp();
    expect(await run('run', 'fixture-ticker', '--seeds', '0..1', '--workers', '1', '--fail-fast', '--report', whole)).toBe(0);
    expect(await run('merge', whole, '--out', path.join(whole, 'merged'))).toBe(0);
    expect(io.err()).toBe('');
  });

  it('coverage prints states, never-reached states and probes', async () => {
    const dir = tmp();
    await run('run', 'fixture-ticker', '--seeds', '0..3', '--workers', '1', '--report', dir);
    io.clear();
    expect(await main(['coverage', dir])).toBe(0);
    expect(io.out()).toMatch(/model ticker: states 2\/3/);
    expect(io.out()).toMatch(/NEVER {2}probe ticker.never/);
  });
});

describe('runner crashes and the report', () => {
  it('a seed that ended its worker thread gets no timeline re-run, the report is written and the exit code is 3 (run and merge)', () => {
    const dir = tmp();
    const r = cli('run', 'fixture-dying', '--scenarios-dir', DYING_DIR, '--seeds', '0..3', '--workers', '2', '--report', path.join(dir, 'rep'));
    expect(r.status).toBe(3);
    const html = readFileSync(path.join(dir, 'rep', 'index.html'), 'utf8');
    expect(html).toMatch(/No timeline for fixture-dying seed 1: its run ended the worker thread running it/);
    expect(existsSync(path.join(dir, 'rep', 'junit.xml'))).toBe(true);
    const m = cli('merge', path.join(dir, 'rep'), '--out', path.join(dir, 'merged'), '--scenarios-dir', DYING_DIR);
    expect(m.status).toBe(3);
    expect(readFileSync(path.join(dir, 'merged', 'index.html'), 'utf8')).toMatch(/No timeline for fixture-dying seed 3/);
  }, 30_000);

  it('a seed whose setup throws: the report is written with a note instead of its timeline, exit code 3', async () => {
    const dir = tmp();
    expect(await main(['run', 'fixture-throwing', '--scenarios-dir', THROWING_DIR, '--seeds', '0..3', '--workers', '1', '--report', dir])).toBe(3);
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html).toMatch(/No timeline for fixture-throwing seed 1: the re-run failed \(setup boom for seed 1\)/);
    expect(await main(['merge', dir, '--out', path.join(dir, 'merged'), '--scenarios-dir', THROWING_DIR])).toBe(3);
    expect(existsSync(path.join(dir, 'merged', 'index.html'))).toBe(true);
  });
});

describe('syncbench shrink and replay', () => {
  it('shrink prints the minimal plan and a replay command that reproduces the failure', async () => {
    const dir = tmp();
    const planFile = path.join(dir, 'plan.json');
    expect(await run('shrink', 'fixture-shrink', '--seed', '2', '--out', planFile)).toBe(1);
    expect(io.out()).toMatch(/fault plan: 7 -> 1 events/);
    expect(io.out()).toMatch(/pause node=A/);
    const cmd = /replay: (npx syncbench replay .*)/.exec(io.out())![1]!;
    expect(cmd).toContain(`--faults ${planFile}`);
    expect(cmd).toMatch(/--workload-scale 0\.1\d*/);
    expect(cmd).toContain('--scenarios-dir test/runner/fixtures/scenarios');
    const args = cmd.split(' ').slice(2);
    io.clear();
    expect(await main([...args, '--quiet'])).toBe(1);
    expect(io.out()).toMatch(/verdict: correctness \(invariant:no-pause-with-3-items: A was paused and 3 items were added\)/);
  });

  it('replay ends with the trace hash, equal to the sweep; filters and JSONL work', async () => {
    await run('run', 'fixture-flaky', '--seeds', '3', '--workers', '1', '--json', '--no-report');
    const hash = (JSON.parse(io.out().trim()) as { traceHash: string }).traceHash;
    io.clear();
    expect(await run('replay', 'fixture-flaky', '--seed', '3', '--node', 'B', '--kind', 'ticker.')).toBe(3);
    const lines = io.out().trim().split('\n');
    expect(lines.at(-1)).toBe(`trace-hash: ${hash}`);
    expect(lines.filter((l) => l.startsWith('#')).every((l) => / B +ticker\./.test(l))).toBe(true);
    io.clear();
    await run('replay', 'fixture-flaky', '--seed', '3', '--jsonl', '--kind', 'sim.failure');
    expect(JSON.parse(io.out().split('\n')[0]!)).toMatchObject({ node: 'sim', kind: 'sim.failure', data: { kind: 'crash' } });
  });
});

describe('printed replay commands', () => {
  it('name the scenarios folder when it is not the default one, so they work as printed', async () => {
    expect(await run('run', 'fixture-flaky', '--seeds', '1', '--workers', '1', '--no-report')).toBe(1);
    const cmd = /replay: (npx syncbench replay .*)/.exec(io.out())![1]!;
    expect(cmd).toBe('npx syncbench replay fixture-flaky --seed 1 --scenarios-dir test/runner/fixtures/scenarios');
    io.clear();
    expect(await main([...cmd.split(' ').slice(2), '--quiet'])).toBe(1);
    expect(io.out()).toMatch(/verdict: correctness/);
    io.clear();
    expect(await main(['run', 'fixture-throwing', '--scenarios-dir', THROWING_DIR, '--seeds', '1', '--workers', '1', '--no-report'])).toBe(3);
    expect(io.out()).toContain('replay: npx syncbench replay fixture-throwing --seed 1 --scenarios-dir test/runner/fixtures/throwing');
  });

  it('leave the default scenarios folder out', async () => {
    expect(await main(['run', 'demo-partition-heal', '--seeds', '0', '--variant', 'demo-no-anti-entropy', '--workers', '1', '--no-report'])).toBe(2);
    expect(io.out()).toMatch(/replay: npx syncbench replay demo-partition-heal --seed 0 --variant demo-no-anti-entropy\n/);
  });
});

describe('scenarios outside an ES module package', () => {
  it('a valid scenario folder without "type": "module" gets a message saying what to do (64); with it, it runs', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'one.ts'), "export default { name: 'outside-one', description: 'd', suites: ['x'], topology: { nodes: [{ id: 'A' }] }, program: () => () => ({}), durationMs: 100 };\n");
    const r = cli('run', 'outside-one', '--scenarios-dir', dir, '--seeds', '0', '--workers', '1', '--no-report');
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/one\.ts: failed to load: .*not in a package with "type": "module" .*add a package\.json containing \{"type": "module"\} to the scenarios folder/);
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    expect(cli('run', 'outside-one', '--scenarios-dir', dir, '--seeds', '0', '--workers', '1', '--no-report').status).toBe(0);
  }, 30_000);
});

describe('replay of a runner crash', () => {
  it('a scenario whose setup throws replays as a crash verdict with exit code 3, like run', async () => {
    expect(await main(['replay', 'fixture-throwing', '--seed', '1', '--scenarios-dir', THROWING_DIR])).toBe(3);
    expect(io.out()).toMatch(/verdict: crash \(runner: setup boom for seed 1\)/);
    expect(io.out().trim().split('\n').at(-1)).toMatch(/^trace-hash:/);
    expect(await main(['replay', 'fixture-throwing', '--seed', '2', '--scenarios-dir', THROWING_DIR, '--quiet'])).toBe(0);
  });
});

describe('weakened variants through the runner', () => {
  it('a sweep of a real scenario with a weakened variant fails with its kind and prints the variant in the replay command', async () => {
    const code = await main(['run', 'demo-partition-heal', '--seeds', '0..1', '--variant', 'demo-no-anti-entropy', '--workers', '1', '--no-report']);
    expect(code).toBe(2);
    expect(io.out()).toContain('replay: npx syncbench replay demo-partition-heal --seed 0 --variant demo-no-anti-entropy');
  });
});
