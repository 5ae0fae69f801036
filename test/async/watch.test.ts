/**
 * watch: a receiver never misses the latest value (a send wakes it; after the last change it reads the final
 * value), sees versions only move forward (also after borrowAndUpdate() alone: it marks the version seen, and
 * so does changed()), and learns of the close; explored over interleavings by fast-check's scheduler.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { watch } from '../../src/impl/async/index.ts';
import { Rules, sendWhileSubscribing, settled, step } from './scheduling.ts';

interface ReceiverSpec {
  /** Values sent before it subscribes (it subscribes at the first send step at or after this count). */
  subscribeAfter: number;
  /** Scheduled steps before each wait: a slow receiver misses intermediate values. */
  slowness: number;
  /** Reads with borrowAndUpdate() before each changed(), which must then wait for a newer version. */
  peeks: boolean;
  /** How it reads after changed(): borrow() relies on changed() having marked the version seen. */
  reads: 'borrow' | 'borrowAndUpdate';
}

/**
 * Sends 1..values (one per scheduled step), lets everything settle, then closes (maybe right after one
 * more send). Receivers subscribe along
 * the way and loop [borrowAndUpdate()] + changed() + borrow() or borrowAndUpdate(). The value sent is its
 * version, so the test knows which version each read saw and which one was current at a subscription.
 */
async function watchRun(s: fc.Scheduler, values: number, receivers: ReceiverSpec[], lastBeforeClose: boolean): Promise<void> {
  const rules = new Rules();
  const { sender, receiver } = watch(0);
  const final = lastBeforeClose ? values + 1 : values;
  const last = receivers.map(() => -1); // the newest version each receiver read (or had seen at subscription)
  const waiting = receivers.map(() => false);
  const ended = receivers.map(() => false);
  const read = async (r: number, sent: number): Promise<void> => {
    const spec = receivers[r]!;
    const rx = receiver();
    last[r] = sent; // a new receiver has seen the current version (value k + 1 is the k-th sent)
    for (;;) {
      for (let k = 0; k < spec.slowness; k++) await step(s, `receiver ${r} busy`);
      if (spec.peeks) {
        const peeked = rx.borrowAndUpdate();
        rules.check(peeked >= last[r]!, `receiver ${r}: borrowAndUpdate() read ${peeked} after ${last[r]}`);
        last[r] = peeked;
      }
      waiting[r] = true;
      const changed = await rx.changed();
      waiting[r] = false;
      if (!changed) break;
      // Sends happen only at scheduled steps, so none falls between changed() resolving and this read.
      const v = spec.reads === 'borrow' ? rx.borrow() : rx.borrowAndUpdate();
      if (v <= last[r]!) {
        // Reported and ended here: a receiver told of changes that are not there would loop without a wait.
        rules.check(false, `receiver ${r}: changed() reported a change, then read ${v}, not newer than the ${last[r]} it had seen`);
        return;
      }
      last[r] = v;
    }
    ended[r] = true;
    rules.check(rx.borrow() === final, `receiver ${r}: borrow() after close is ${rx.borrow()}, not the last value ${final}`);
    rules.check(last[r] === final, `receiver ${r}: changed() said false, but it last saw ${last[r]} of ${final}`);
  };
  const { started, done } = sendWhileSubscribing(
    s,
    values,
    receivers,
    (r, sent) => void read(r, sent).catch(rules.unexpected),
    (k) => sender.send(k + 1),
  );
  void done.catch(rules.unexpected);
  await s.waitIdle();
  // Quiescent before the close: a receiver still waiting in changed() must have read the last value.
  waiting.forEach((w, r) => rules.check(!w || last[r] === values, `receiver ${r}: waits in changed() after reading ${last[r]}, though ${values} was sent (a send did not wake it)`));
  if (lastBeforeClose) sender.send(final); // sent just before the close: still reported before false
  sender.close();
  await s.waitIdle();
  ended.forEach((e, r) => rules.check(e || !started[r], `receiver ${r}: changed() still pending after close`));
  rules.verify();
}

const receiverSpec = (values: number): fc.Arbitrary<ReceiverSpec> =>
  fc.record({
    subscribeAfter: fc.integer({ min: 0, max: values }),
    slowness: fc.integer({ min: 0, max: 3 }),
    peeks: fc.boolean(),
    reads: fc.constantFrom('borrow' as const, 'borrowAndUpdate' as const),
  });

const property = fc.asyncProperty(
  fc.scheduler(),
  fc.integer({ min: 0, max: 8 }).chain((values) =>
    fc.record({ values: fc.constant(values), receivers: fc.array(receiverSpec(values), { minLength: 1, maxLength: 3 }) }),
  ),
  fc.boolean(),
  (s, { values, receivers }, lastBeforeClose) => watchRun(s, values, receivers, lastBeforeClose),
);

describe('watch', { timeout: 10_000 }, () => {
  it('receivers never miss the latest value, never see one twice (also after borrowAndUpdate alone), and end on close (property)', async () => {
    await fc.assert(property, { numRuns: 300 });
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

  it('borrowAndUpdate() alone marks the version seen: the next changed() waits for a newer one', async () => {
    const { sender, receiver } = watch(1);
    const rx = receiver();
    sender.send(2);
    expect(rx.borrowAndUpdate()).toBe(2);
    const changed = rx.changed();
    expect(await settled([changed])).toEqual(['pending']); // version 2 was seen through borrowAndUpdate
    sender.send(3);
    expect(await settled([changed])).toEqual([true]);
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
