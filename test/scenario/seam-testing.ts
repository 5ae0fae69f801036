/**
 * Helpers of the seam tests (test/<area>/<seam>-seam.test.ts): a stock scenario with an implementation
 * plugged in through withImplementations, and the check that the built-in implementation plugged in
 * explicitly gives the stock trace hashes.
 */
import { expect } from 'vitest';
import { withImplementations, type Implementations } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';

/** The stock scenario `name` of `stock`, or an error naming it. */
export function stockNamed(stock: readonly Scenario[], name: string): Scenario {
  const s = stock.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no stock scenario ${name}`);
  return s;
}

/** The stock scenario `name` with `impl` plugged in, named `<label>-<name>`. */
export function plugged(stock: readonly Scenario[], name: string, label: string, impl: Implementations): Scenario {
  const [copy] = withImplementations([stockNamed(stock, name)], { label, ...impl });
  expect(copy!.name).toBe(`${label}-${name}`);
  return copy!;
}

/**
 * Runs each of `names` on each of `seeds` stock and with `impl` plugged in (renamed back to the stock
 * name: the trace header names the scenario) and expects both to pass with the same trace hash.
 */
export async function expectStockHashes(stock: readonly Scenario[], names: readonly string[], impl: Implementations, seeds: readonly number[] = [0, 1]): Promise<void> {
  for (const name of names) {
    const copy = plugged(stock, name, 'builtin', impl);
    for (const seed of seeds) {
      const a = await runScenario(stockNamed(stock, name), seed);
      const b = await runScenario({ ...copy, name }, seed);
      expect(`${name}#${seed} ${a.verdict} ${b.verdict}`).toBe(`${name}#${seed} pass pass`);
      expect(`${name}#${seed} ${b.traceHash}`).toBe(`${name}#${seed} ${a.traceHash}`);
    }
  }
}
