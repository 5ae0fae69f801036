/** Shared helpers for runner tests: the fixture scenarios (clock/timer/trace only, no disk or network). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarios } from '../../src/scenario/registry.ts';
import type { Scenario } from '../../src/scenario/types.ts';

/** Folder of the fixture scenarios. */
export const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'scenarios');

/** The fixture scenarios by name. */
export async function fixtures(): Promise<Map<string, Scenario>> {
  return new Map((await loadScenarios(FIXTURES_DIR)).map((l) => [l.scenario.name, l.scenario]));
}

/** One fixture scenario. */
export async function fixture(name: string): Promise<Scenario> {
  const s = (await fixtures()).get(name);
  if (s === undefined) throw new Error(`no fixture ${name}`);
  return s;
}
