/** Errors in what the user asked for (exit code 64), and helpers that turn bad input into them. */
import { ScenarioError, loadScenarios, resolveTargets, type LoadedScenario } from '../scenario/registry.ts';
import type { Scenario } from '../scenario/types.ts';
import { checkVariant } from '../scenario/variants.ts';
import { SeedError, parseSeed, parseSeedRange } from '../sim/rng.ts';

/** A usage error: printed as `syncbench: <message>`, exit code 64. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs `fn`, turning seed, scenario and variant errors into UsageError. */
export async function asUsage<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SeedError || e instanceof ScenarioError) throw new UsageError(e.message);
    if (e instanceof Error && e.message.startsWith('unknown variant')) throw new UsageError(e.message);
    throw e;
  }
}

/** Loads the scenarios (a broken scenario module is a usage error naming the file and field). */
export function loadAll(): Promise<LoadedScenario[]> {
  return asUsage(() => loadScenarios());
}

/** Resolves targets, seeds and variant, or throws a UsageError naming what is wrong. */
export async function resolveRun(
  targets: string[],
  seeds: string,
  variant: string | undefined,
): Promise<{ scenarios: Scenario[]; from: number; to: number; variant: string }> {
  const all = await loadAll();
  return asUsage(() => {
    const scenarios = resolveTargets(all, targets.length > 0 ? targets : ['default']);
    const { from, to } = parseSeedRange(seeds);
    checkVariant(variant ?? '');
    return { scenarios, from, to, variant: variant ?? '' };
  });
}

/** Parses one seed or throws UsageError. */
export function seedArg(text: string): Promise<number> {
  return asUsage(() => parseSeed(text));
}
