/**
 * WaitQueue (the FIFO behind Semaphore and Notify) against an array: push, shift, remove from anywhere,
 * drain; a removed or shifted entry cannot leave twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaitQueue, type QueueEntry } from '../../src/impl/async/wait-queue.ts';

type Op = { op: 'push' } | { op: 'shift' } | { op: 'remove'; pick: number } | { op: 'drain' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ op: 'push' as const }) },
  fc.constant({ op: 'shift' as const }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat(40) }) },
  fc.constant({ op: 'drain' as const }),
);

describe('WaitQueue', { timeout: 10_000 }, () => {
  it('behaves as an array with splice (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const queue = new WaitQueue<number>();
        const model: number[] = [];
        const entries: QueueEntry<number>[] = [];
        for (const o of ops) {
          if (o.op === 'push') {
            entries.push(queue.push(entries.length));
            model.push(entries.length - 1);
          } else if (o.op === 'shift') {
            expect(queue.shift()).toBe(model.shift());
          } else if (o.op === 'drain') {
            expect(queue.drain()).toEqual(model.splice(0));
          } else if (o.pick < entries.length) {
            const entry = entries[o.pick]!;
            const at = model.indexOf(entry.value);
            expect(queue.isFirst(entry)).toBe(at === 0);
            expect(queue.remove(entry)).toBe(at >= 0);
            if (at >= 0) model.splice(at, 1);
          }
          expect(queue.size).toBe(model.length);
          expect(queue.peek()).toBe(model[0]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
