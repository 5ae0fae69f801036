/**
 * Signals and kills against the real CLI process: finished runs are never lost, an interrupted command
 * exits 128 + the signal, a trace cut short says so, a report folder is the old one or the new one, and a
 * signal sent only to `npx` reaches the CLI. Each case starts `node bin/syncbench.js` (about 1 s each).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'syncbench.js');
const TICKER = 'test/runner/fixtures/scenarios';
const MISBEHAVING = 'test/robustness/fixtures/misbehaving';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'syncbench-signals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Cli {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves when stdout (or stderr) matches. */
  until(re: RegExp, stream?: 'out' | 'err'): Promise<void>;
  /** Resolves with the exit code (128 + n when killed by signal n without handling it). */
  exit: Promise<number>;
}

function start(cmd: string, args: string[]): Cli {
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const poke = (): void => waiters.splice(0).forEach((w) => w());
  proc.stdout!.on('data', (d: Buffer) => ((out += d.toString()), poke()));
  proc.stderr!.on('data', (d: Buffer) => ((err += d.toString()), poke()));
  const exit = new Promise<number>((resolve) => proc.on('exit', (code, sig) => resolve(code ?? 128 + os.constants.signals[sig!])));
  const until = (re: RegExp, stream: 'out' | 'err' = 'out'): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(stream === 'out' ? out : err)) resolve();
        else if (proc.exitCode !== null) reject(new Error(`exited before ${re}: ${err}`));
        else waiters.push(check);
      };
      void exit.then(() => waiters.push(() => {}) && check());
      check();
    });
  return { proc, out: () => out, err: () => err, until, exit };
}

const cli = (...args: string[]): Cli => start(process.execPath, [BIN, ...args]);

/** A sweep far longer than the test: it is always interrupted. */
const longSweep = (report: string): string[] => ['run', 'fixture-ticker', '--scenarios-dir', TICKER, '--seeds', '0..1000000', '--workers', '1', '--json', '--report', report];

function results(dir: string): { meta: { partial?: boolean }; runs: unknown[] } {
  return JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { meta: { partial?: boolean }; runs: unknown[] };
}

/** Siblings a report write leaves behind when it is interrupted (must be none). */
const strays = (dir: string): string[] => readdirSync(path.dirname(dir)).filter((n) => n.startsWith(`${path.basename(dir)}.`));

describe('signals during a sweep', () => {
  // SIGINT: see the npx case and the second-signal case.
  for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${sig}: the finished runs are written (partial), exit ${code}`, async () => {
      const report = path.join(tmp, `sweep-${sig}`);
      const c = cli(...longSweep(report));
      await c.until(/^(?:[^\n]*\n){20}/);
      c.proc.kill(sig);
      expect(await c.exit).toBe(code);
      const r = results(report);
      expect(r.meta.partial).toBe(true);
      // Every run the CLI announced as finished is in the file.
      const announced = c.out().trim().split('\n').length;
      expect(r.runs.length).toBeGreaterThanOrEqual(announced);
      expect(c.err()).toMatch(new RegExp(`${sig}: stopped after \\d+ of 1000001 runs \\(results marked partial\\)`));
      expect(existsSync(path.join(report, 'index.html'))).toBe(true);
      expect(strays(report)).toEqual([]);
    });
  }

  it('a second signal abandons a hung run in flight and writes the finished ones at once', async () => {
    const report = path.join(tmp, 'second-signal');
    // One worker; a passing scenario first, then one that hangs with a budget far longer than the test.
    const c = cli('run', 'misbehave-declared-env', 'misbehave-sync-loop', '--scenarios-dir', MISBEHAVING, '--seeds', '0', '--workers', '1', '--run-timeout', '600', '--json', '--report', report);
    await c.until(/misbehave-declared-env/);
    c.proc.kill('SIGINT');
    await c.until(/finishing the runs in flight/, 'err');
    c.proc.kill('SIGINT');
    expect(await c.exit).toBe(130);
    expect(c.err()).toMatch(/SIGINT again: abandoning the runs in flight/);
    const r = results(report);
    expect(r.meta.partial).toBe(true);
    expect(r.runs).toHaveLength(1);
  });
});

describe('signals during replay', () => {
  it('an interrupted replay --trace ends with a sim.incomplete record and exits 130', async () => {
    const trace = path.join(tmp, 'hung.jsonl');
    const c = cli('replay', 'misbehave-sync-loop', '--seed', '0', '--scenarios-dir', MISBEHAVING, '--run-timeout', '600', '--trace', trace);
    await c.until(/misbehave\.start/);
    c.proc.kill('SIGINT');
    expect(await c.exit).toBe(130);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ i: 3, node: 'sim', kind: 'sim.incomplete', data: { reason: 'interrupted by SIGINT' } });
    expect(c.err()).toMatch(/SIGINT: replay stopped after 3 trace records/);
  });
});

describe('signals through npx', () => {
  it('SIGINT sent only to npx reaches the CLI (the project .npmrc makes npm exec it without a shell in between)', async () => {
    const report = path.join(tmp, 'npx');
    const c = start('npx', ['syncbench', ...longSweep(report)]);
    await c.until(/^(?:[^\n]*\n){5}/);
    c.proc.kill('SIGINT');
    expect(await c.exit).toBe(130);
    expect(results(report).meta.partial).toBe(true);
  });
});

/** Ends an orphaned CLI that did not stop (the test then fails on its missing report), so none outlives the test. */
function killOrphan(report: string): void {
  spawnSync('pkill', ['-KILL', '-f', report]);
}

describe('a CLI whose parent dies', () => {
  it('stops like at SIGHUP and writes the finished runs (npm killed, or a shell that died of a signal)', async () => {
    const report = path.join(tmp, 'orphan');
    // `; true` keeps sh from exec-ing node, so sh stays its parent; killing sh orphans the CLI.
    const args = [BIN, ...longSweep(report)].map((a) => `'${a}'`).join(' ');
    const sh = start('sh', ['-c', `'${process.execPath}' ${args} > /dev/null; true`]);
    await new Promise((r) => setTimeout(r, 2500));
    sh.proc.kill('SIGKILL');
    await sh.exit;
    for (let i = 0; i < 100 && !existsSync(path.join(report, 'results.json')); i++) await new Promise((r) => setTimeout(r, 100));
    killOrphan(report);
    expect(results(report).meta.partial).toBe(true);
  });

  it('stops also when the parent dies while the scenarios are still loading', async () => {
    const report = path.join(tmp, 'orphan-early');
    const args = [BIN, ...longSweep(report)].map((a) => `'${a}'`).join(' ');
    const sh = start('sh', ['-c', `'${process.execPath}' ${args} > /dev/null; true`]);
    // Half a second in: node has started, the scenarios (TypeScript, through tsx) are still loading.
    await new Promise((r) => setTimeout(r, 500));
    sh.proc.kill('SIGKILL');
    await sh.exit;
    for (let i = 0; i < 300 && !existsSync(path.join(report, 'results.json')); i++) await new Promise((r) => setTimeout(r, 100));
    killOrphan(report);
    expect(results(report).meta.partial).toBe(true);
  });
});

describe('kills during the report write', () => {
  it('SIGKILL at any moment leaves the old report or the new one, never a mix; the next write cleans up', async () => {
    const report = path.join(tmp, 'killed');
    // An old report the kill must not corrupt: every file marked.
    const c0 = cli('run', 'fixture-ticker', '--scenarios-dir', TICKER, '--seeds', '0..3', '--report', report);
    expect(await c0.exit).toBe(0);
    const old = readFileSync(path.join(report, 'results.json'), 'utf8');
    for (const delay of [300, 900, 1500]) {
      // Node started with --single-threaded-gc: the CLI does not start itself again (gc-relaunch.test.ts), so
      // the process killed is the one writing the report.
      const c = start(process.execPath, ['--single-threaded-gc', BIN, 'run', 'fixture-ticker', '--scenarios-dir', TICKER, '--seeds', '0..40', '--report', report]);
      await new Promise((r) => setTimeout(r, delay));
      c.proc.kill('SIGKILL');
      await c.exit;
      const files = readdirSync(report).sort();
      expect(files, `killed after ${delay} ms`).toEqual(['coverage.json', 'index.html', 'junit.xml', 'results.json']);
      const now = readFileSync(path.join(report, 'results.json'), 'utf8');
      const n = (JSON.parse(now) as { runs: unknown[] }).runs.length;
      expect(now === old || n === 41, `killed after ${delay} ms: ${n} runs`).toBe(true);
      // coverage and JUnit belong to the same report as results.json
      const junit = readFileSync(path.join(report, 'junit.xml'), 'utf8');
      expect((junit.match(/<testcase /g) ?? []).length, `killed after ${delay} ms`).toBe(now === old ? 4 : 41);
    }
    const c = cli('run', 'fixture-ticker', '--scenarios-dir', TICKER, '--seeds', '0..3', '--report', report);
    expect(await c.exit).toBe(0);
    expect(strays(report)).toEqual([]);
  });
});
