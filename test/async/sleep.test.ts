/**
 * sleep: resolves when its timer fires, rejects with Cancelled as soon as its token fires (at once if it
 * already has, without a timer), clears its timer on cancellation and removes its token listener when the
 * timer fires. Timers and cancellations interleave in every order under fast-check's scheduler, on a fake
 * clock that knows which timers are still set.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Cancelled, CancellationToken, sleep } from '../../src/impl/async/index.ts';
import type { Clock, Env } from '../../src/impl/env.ts';
import { Rules, step } from './scheduling.ts';

/** A clock whose timers fire at scheduled points (in any order); `live` holds the timers set and not yet fired or cleared. */
function fakeClock(s: fc.Scheduler): { clock: Clock; live: Map<number, number>; fired: number[] } {
  const live = new Map<number, number>(); // timer id -> ms
  const fired: number[] = [];
  let next = 1;
  const setTimeout = (fn: () => void, ms: number): number => {
    const id = next++;
    live.set(id, ms);
    void step(s, `timer ${id}`).then(() => {
      if (!live.delete(id)) return; // cleared
      fired.push(id);
      fn();
    });
    return id;
  };
  const clock: Clock = {
    now: () => 0,
    monotonic: () => 0,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    setTimeout,
    setInterval: () => {
      throw new Error('sleep never uses an interval');
    },
    clearTimer: (id) => void live.delete(id),
  };
  return { clock, live, fired };
}

interface SleepSpec {
  ms: number;
  /** null: no token; 'before': a token cancelled before the call; 'during': one cancelled at a scheduled point; 'never'. */
  token: null | 'before' | 'during' | 'never';
}

async function sleepRun(s: fc.Scheduler, sleeps: SleepSpec[]): Promise<void> {
  const rules = new Rules();
  const { clock, live, fired } = fakeClock(s);
  const env = { clock } as unknown as Env;
  const outcome = sleeps.map(() => 'pending');
  const timerOf: (number | undefined)[] = [];
  const tokens = sleeps.map((spec) => (spec.token === null ? undefined : new CancellationToken()));
  sleeps.forEach((spec, k) => {
    const token = tokens[k];
    if (spec.token === 'before') token!.cancel('before');
    const ids = [...live.keys()];
    sleep(env, spec.ms, token).then(
      () => (outcome[k] = 'resolved'),
      (e: unknown) => (outcome[k] = e instanceof Cancelled ? 'cancelled' : String(e)),
    );
    const created = [...live.keys()].filter((id) => !ids.includes(id));
    rules.check(created.length === (spec.token === 'before' ? 0 : 1), `sleep ${k}: set ${created.length} timers (token ${spec.token})`);
    rules.check(created.every((id) => live.get(id) === spec.ms), `sleep ${k}: a timer of ${created.map((id) => live.get(id)).join()} ms for ${spec.ms}`);
    timerOf[k] = created[0];
    if (spec.token === 'during') {
      void step(s, `cancel ${k}`).then(() => {
        const firedFirst = fired.includes(timerOf[k]!);
        token!.cancel('during');
        // Cancelled before its timer fired: the timer is cleared at once, not left to fire into nothing.
        if (!firedFirst) rules.check(!live.has(timerOf[k]!), `sleep ${k}: its timer is still set after the cancellation`);
      });
    }
  });
  await s.waitIdle();
  sleeps.forEach((spec, k) => {
    const timerFired = timerOf[k] !== undefined && fired.includes(timerOf[k]);
    const expected = spec.token === 'before' || (spec.token === 'during' && !timerFired) ? 'cancelled' : 'resolved';
    rules.check(outcome[k] === expected, `sleep ${k} (token ${spec.token}, timer fired ${timerFired}): ${outcome[k]}, expected ${expected}`);
    rules.check((tokens[k]?.listenerCount ?? 0) === 0, `sleep ${k}: its token keeps ${tokens[k]?.listenerCount} listeners`);
  });
  rules.check(live.size === 0, `${live.size} timers still set after every sleep ended`);
  rules.verify();
}

const sleepSpec: fc.Arbitrary<SleepSpec> = fc.record({
  ms: fc.integer({ min: 0, max: 1_000 }),
  token: fc.constantFrom<SleepSpec['token']>(null, 'before', 'during', 'never'),
});

const property = fc.asyncProperty(fc.scheduler(), fc.array(sleepSpec, { minLength: 1, maxLength: 5 }), sleepRun);

describe('sleep', { timeout: 10_000 }, () => {
  it('resolves when its timer fires, else rejects at the cancellation, clearing its timer and listener (property)', async () => {
    await fc.assert(property, { numRuns: 300 });
  });
});
