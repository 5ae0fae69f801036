/**
 * watch: a receiver never misses the latest value (after the last change it reads the final value), sees
 * versions only move forward, and learns of the close; explored over interleavings by fast-check's scheduler.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { watch } from '../../src/impl/async/index.ts';
import { Rules, step } from './scheduling.ts';

/** Sends 1..values (one per scheduled step) then closes; receivers loop changed() + borrowAndUpdate(). */
async function watchRun(s: fc.Scheduler, values: number, slowness: number[]): Promise<void> {
  const rules = new Rules();
  const { sender, receiver } = watch(0);
  const seen = slowness.map(() => [] as number[]);
  const ended = slowness.map(() => false);
  const read = async (r: number): Promise<void> => {
    const rx = receiver();
    for (;;) {
      for (let k = 0; k < slowness[r]!; k++) await step(s, `receiver ${r} busy`);
      if (!(await rx.changed())) break;
      seen[r]!.push(rx.borrowAndUpdate());
    }
    ended[r] = true;
    rules.check(rx.borrow() === values, `receiver ${r}: borrow() after close is ${rx.borrow()}, not the last value ${values}`);
  };
  slowness.forEach((_, r) => void read(r).catch(rules.unexpected));
  const send = async (): Promise<void> => {
    for (let v = 1; v <= values; v++) {
      await step(s, `send ${v}`);
      sender.send(v);
    }
    await step(s, 'close');
    sender.close();
  };
  void send().catch(rules.unexpected);
  await s.waitIdle();
  seen.forEach((vs, r) => {
    rules.check(ended[r]!, `receiver ${r}: changed() still pending after close`);
    rules.check(vs.every((v, k) => k === 0 || v > vs[k - 1]!), `receiver ${r}: values went back or repeated: [${vs.join()}]`);
    rules.check(values === 0 || vs.at(-1) === values, `receiver ${r}: missed the latest value ${values}: [${vs.join()}]`);
  });
  rules.verify();
}

describe('watch', { timeout: 10_000 }, () => {
  it('receivers never miss the latest value, never see one twice, and end on close (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 0, max: 8 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), watchRun),
      { numRuns: 300 },
    );
  });

  it('changed() coalesces sends since the last look, borrow() does not mark seen, close ends a pending wait', async () => {
    const { sender, receiver } = watch('a');
    const rx = receiver();
    sender.send('b');
    sender.send('c');
    expect(rx.borrow()).toBe('c');
    expect(await rx.changed()).toBe(true); // one change for two sends
    const pending = rx.changed();
    sender.close();
    expect(await pending).toBe(false);
    expect(rx.borrow()).toBe('c');
    expect(() => sender.send('d')).toThrow(/after close/);
    const fresh = receiver();
    expect(await fresh.changed()).toBe(false); // it saw the current version at creation
  });

  it('a version sent before the close is still reported, then false', async () => {
    const { sender, receiver } = watch(1);
    const rx = receiver();
    sender.send(2);
    sender.close();
    expect(await rx.changed()).toBe(true);
    expect(rx.borrowAndUpdate()).toBe(2);
    expect(await rx.changed()).toBe(false);
  });
});
