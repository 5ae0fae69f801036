/**
 * The catalogue of the compiled package's own scenarios (`dist/scenarios/catalogue.json`): the name, suites
 * and description of each, written by the build right after it compiles them (src/build/build.ts). With it,
 * `syncbench list` of the package's scenarios prints without importing every scenario module and all the
 * code they pull in (the bulk of its start-up). The build rewrites dist/ as a whole, so the catalogue is
 * never older than the modules it describes; running from the sources (a checkout), it is never used, and
 * a scenarios folder of the user's is always loaded.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCENARIOS_DIR, loadScenarios } from './registry.ts';

/** What `list` shows of a scenario. */
export interface CatalogueEntry {
  name: string;
  suites: string[];
  description: string;
}

const FILE = 'catalogue.json';

/** The catalogue of `dir` when it is the compiled package's own scenarios folder and has one; else null. */
export function readCatalogue(dir: string): CatalogueEntry[] | null {
  if (!import.meta.url.endsWith('.js') || path.resolve(dir) !== SCENARIOS_DIR) return null;
  const file = path.join(SCENARIOS_DIR, FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CatalogueEntry[]) : null;
}

/** Loads (and so validates) every scenario of `dir` and writes its catalogue there. */
export async function writeCatalogue(dir: string): Promise<number> {
  const all = await loadScenarios(dir);
  const entries: CatalogueEntry[] = all.map(({ scenario: s }) => ({ name: s.name, suites: [...s.suites], description: s.description }));
  writeFileSync(path.join(dir, FILE), `${JSON.stringify(entries, null, 1)}\n`);
  return entries.length;
}
