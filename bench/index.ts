/**
 * `npm run bench`: every benchmark, printed as a table. Not part of `npm test` (figures depend on the
 * machine). `npm run bench -- kernel disk` runs only the named groups; `--json FILE` also writes JSON.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Group name -> module file and exported function name. */
const GROUPS: [string, string, string][] = [
  ['kernel', 'kernel.bench.ts', 'benchKernel'],
  ['disk', 'disk.bench.ts', 'benchDisk'],
  ['net', 'net.bench.ts', 'benchNet'],
  ['demo', 'demo.bench.ts', 'benchDemo'],
  ['storage', 'storage.bench.ts', 'benchStorage'],
  ['election', 'election.bench.ts', 'benchElection'],
  ['peer', 'peer.bench.ts', 'benchPeer'],
  ['provider', 'provider.bench.ts', 'benchProvider'],
  ['client-server', 'clientserver.bench.ts', 'benchClientServer'],
  ['runner', 'runner.bench.ts', 'benchRunner'],
  ['explore', 'explore.bench.ts', 'benchExplore'],
  ['coverage', 'coverage.bench.ts', 'benchCoverage'],
  ['startup', 'startup.bench.ts', 'benchStartup'],
  ['memory', 'memory.bench.ts', 'benchMemory'],
  ['npmtest', 'npmtest.bench.ts', 'benchNpmTest'],
];

/** Groups run only when named: they take minutes (npmtest runs the whole test suite). */
const ONLY_WHEN_NAMED = new Set(['npmtest']);

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  const wanted = args.filter((a, i) => !a.startsWith('--') && (jsonAt < 0 || i !== jsonAt + 1));
  const unknown = wanted.filter((w) => !GROUPS.some(([g]) => g === w));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown group(s) ${unknown.join(', ')} (groups: ${GROUPS.map(([g]) => g).join(', ')})\n`);
    process.exit(64);
  }
  const all: (BenchResult & { group: string })[] = [];
  for (const [group, file, fn] of GROUPS) {
    if (wanted.length > 0 ? !wanted.includes(group) : ONLY_WHEN_NAMED.has(group)) continue;
    const full = path.join(here, file);
    if (!existsSync(full)) continue;
    const mod = (await import(pathToFileURL(full).href)) as Record<string, () => Promise<BenchResult[]>>;
    process.stderr.write(`bench: ${group}...\n`);
    for (const r of await mod[fn]!()) {
      all.push({ ...r, group });
      const goal = r.goal === undefined ? '' : `  (goal ${r.lowerIsBetter ? '<=' : '>='} ${fmt(r.goal)}: ${(r.lowerIsBetter ? r.value <= r.goal : r.value >= r.goal) ? 'met' : 'NOT met'})`;
      process.stdout.write(`${group.padEnd(9)} ${r.name.padEnd(58)} ${fmt(r.value).padStart(14)} ${r.unit}${goal}\n`);
    }
  }
  if (jsonFile !== undefined) writeFileSync(jsonFile, `${JSON.stringify(all, null, 2)}\n`);
}

await main();
