/**
 * Helpers of the async primitive tests: switch points under fast-check's scheduler, and the assertion that
 * a weakened primitive makes its property fail (a property that cannot fail checks nothing).
 */
import fc from 'fast-check';
import { expect } from 'vitest';

/** A switch point: resolves when fast-check's scheduler picks it, so tasks interleave in every order. */
export function step(s: fc.Scheduler, label: string): Promise<void> {
  return s.schedule(Promise.resolve(), label);
}

/**
 * The rules a property run checks. Breaks are recorded, not thrown where they happen: a throw inside a
 * scheduled callback would become an unhandled rejection that fast-check never sees. `verify()` at the end
 * of the run throws the first break, and any error a task raised unexpectedly.
 */
export class Rules {
  private readonly broken: string[] = [];

  /** Records `message` when `cond` is false. */
  check(cond: boolean, message: string): void {
    if (!cond) this.broken.push(message);
  }

  /** Records an unexpected error of a task (pass as a promise's rejection handler). */
  readonly unexpected = (error: unknown): void => {
    this.broken.push(`unexpected error: ${String(error)}`);
  };

  /** Throws the first broken rule, if any. */
  verify(): void {
    if (this.broken.length > 0) throw new Error(this.broken[0]);
  }
}

/**
 * Runs `property` with a fixed seed and expects fast-check to find a counterexample whose error names the
 * broken rule (`expected`): the check catches the weakened behaviour, and for the right reason.
 */
export async function expectCaught<T>(property: fc.IAsyncProperty<T>, expected: RegExp, numRuns = 300): Promise<void> {
  const out = await fc.check(property, { numRuns, seed: 13 });
  expect(out.failed, 'the weakened primitive passed its property').toBe(true);
  expect(String(out.errorInstance)).toMatch(expected);
}
