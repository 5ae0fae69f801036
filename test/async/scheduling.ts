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
 * A sender that sends `count` values, one per scheduled step (`send(k)` for k = 0..count-1), while receivers
 * join: receiver r starts (`start(r, sent)`, with the number of values sent so far) at the first step at which
 * at least `subscribeAfter` values were sent, and every receiver has started when the returned promise
 * resolves. `started[r]` tells whether receiver r started yet.
 */
export function sendWhileSubscribing(
  s: fc.Scheduler,
  count: number,
  receivers: readonly { subscribeAfter: number }[],
  start: (r: number, sent: number) => void,
  send: (k: number) => void,
): { started: boolean[]; done: Promise<void> } {
  const started = receivers.map(() => false);
  let sent = 0;
  const startDue = (): void =>
    receivers.forEach((spec, r) => {
      if (started[r] || spec.subscribeAfter > sent) return;
      started[r] = true;
      start(r, sent);
    });
  const run = async (): Promise<void> => {
    for (let k = 0; k < count; k++) {
      startDue();
      await step(s, `send ${k}`);
      send(k);
      sent++;
    }
    startDue();
  };
  return { started, done: run() };
}

/**
 * What each promise settled with once every pending microtask ran (a real macrotask later): its value, the
 * `name` of its error, or 'pending'. For example tests that must not hang when a wake-up is lost.
 */
export async function settled(promises: Promise<unknown>[]): Promise<unknown[]> {
  const states: unknown[] = promises.map(() => 'pending');
  promises.forEach((p, k) => void p.then((v) => (states[k] = v), (e: unknown) => (states[k] = e instanceof Error ? e.name : String(e))));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return states;
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
