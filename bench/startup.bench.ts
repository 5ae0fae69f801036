/**
 * CLI start-up: `syncbench --help` and `syncbench list` of the compiled package (what an installed package
 * runs: dist/, built first if missing) against `node -e 0`, best of 7 each, measured side by side (goal:
 * within 3x). From the sources through tsx (a checkout) for comparison, without a goal.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/syncbench.js');

function best(args: string[], env: Record<string, string | undefined>, n = 7): number {
  let b = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore', env: { ...process.env, ...env } });
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}

export async function benchStartup(): Promise<BenchResult[]> {
  if (!existsSync(path.join(root, 'dist/src/cli/main.js'))) execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  const compiled = { SYNCBENCH_COMPILED: '1' };
  const source = { SYNCBENCH_COMPILED: undefined };
  const node0 = best(['-e', '0'], {});
  const help = best([bin, '--help'], compiled);
  const list = best([bin, 'list'], compiled);
  const helpSrc = best([bin, '--help'], source, 3);
  const listSrc = best([bin, 'list'], source, 3);
  return [
    { name: 'node -e 0', value: node0, unit: 'ms' },
    { name: 'syncbench --help (compiled) / node -e 0', value: help / node0, unit: 'x', goal: 3, lowerIsBetter: true },
    { name: 'syncbench list (compiled) / node -e 0', value: list / node0, unit: 'x', goal: 3, lowerIsBetter: true },
    { name: 'syncbench --help from the sources (tsx) / node -e 0', value: helpSrc / node0, unit: 'x' },
    { name: 'syncbench list from the sources (tsx) / node -e 0', value: listSrc / node0, unit: 'x' },
  ];
}
