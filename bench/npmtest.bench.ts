/**
 * `npm test`'s wall time on this machine (goal: 3 minutes on the 2-core machine type), measured by running
 * it: `npm run bench -- npmtest`. Only when named (it takes as long as the suite), never in a plain
 * `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function benchNpmTest(): Promise<BenchResult[]> {
  const t0 = performance.now();
  const r = spawnSync('npm', ['test', '--silent'], { cwd: root, stdio: 'ignore' });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`npm test failed (exit ${String(r.status)}): its time would not mean anything`);
  return [{ name: 'npm test, wall time', value: s, unit: 's', goal: 180, lowerIsBetter: true }];
}
