/**
 * Sweeps run under V8's single-threaded garbage collector: `syncbench run` starts itself again with
 * --single-threaded-gc (bin/syncbench.js), unless node already has it or SYNCBENCH_GC=default; other
 * commands run as they are. The signal tests (signals.test.ts) go through the relaunch too: every signal
 * there reaches the sweep through the first process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'syncbench.js');
const TICKER = 'test/runner/fixtures/scenarios';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'syncbench-relaunch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The command lines of the processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): string[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' '));
}

/**
 * Starts a long sweep, waits for its first result lines, returns what ran it; then stops it with `signal`
 * sent to the first process.
 */
async function sweep(env: NodeJS.ProcessEnv, nodeArgs: string[] = [], signal: NodeJS.Signals = 'SIGINT', report?: string): Promise<{ children: string[]; code: number; err: string }> {
  const args = [...nodeArgs, BIN, 'run', 'fixture-ticker', '--scenarios-dir', TICKER, '--seeds', '0..1000000', '--workers', '1', '--json', ...(report === undefined ? ['--no-report'] : ['--report', report])];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number>((resolve) => proc.on('exit', (code) => resolve(code ?? -1)));
  await new Promise<void>((resolve) =>
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > 5) resolve();
    }),
  );
  const children = childrenOf(proc.pid!);
  proc.kill(signal);
  return { children, code: await exit, err };
}

describe.runIf(process.platform === 'linux')('sweeps relaunch node with --single-threaded-gc', () => {
  it('run: the sweep is a child with the flag; a SIGINT to the first process stops it gently (exit 130)', async () => {
    const r = await sweep({ SYNCBENCH_GC: '' });
    expect(r.children).toHaveLength(1);
    expect(r.children[0]).toContain('--single-threaded-gc');
    expect(r.children[0]).toContain('bin/syncbench.js run fixture-ticker');
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/SIGINT: stopped after \d+ of 1000001 runs/);
  });

  it('SIGKILL of the first process: the sweep sees itself orphaned, stops and writes what it finished', async () => {
    const report = path.join(tmp, 'killed');
    const r = await sweep({ SYNCBENCH_GC: '' }, [], 'SIGKILL', report);
    expect(r.children).toHaveLength(1);
    const file = path.join(report, 'results.json');
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const results = JSON.parse(readFileSync(file, 'utf8')) as { meta: { partial?: boolean }; runs: unknown[] };
    expect(results.meta.partial).toBe(true);
    expect(results.runs.length).toBeGreaterThan(0);
  });

  it('SYNCBENCH_GC=default, or node started with the flag: the sweep runs in the first process', async () => {
    for (const [env, nodeArgs] of [
      [{ SYNCBENCH_GC: 'default' }, []],
      [{ SYNCBENCH_GC: '' }, ['--single-threaded-gc']],
    ] as const) {
      const r = await sweep(env, [...nodeArgs]);
      // (its children are none: worker threads are not processes)
      expect(r.children).toEqual([]);
      expect(r.code).toBe(130);
    }
  });
});
