import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/sim/scheduler.ts';

async function nested(depth: number, log: string[], tag: string): Promise<void> {
  if (depth === 0) {
    log.push(tag);
    return;
  }
  await Promise.resolve();
  await nested(depth - 1, log, tag);
}

for (const forceNextTickDrain of [false, true]) {
  describe(`Scheduler (${forceNextTickDrain ? 'nextTick' : 'v8'} drain)`, () => {
    it('orders events by (time, insertion order)', async () => {
      const s = new Scheduler({ forceNextTickDrain });
      const log: string[] = [];
      s.at(20, () => log.push('c'));
      s.at(10, () => log.push('a'));
      s.at(10, () => log.push('b'));
      s.at(5, () => log.push('z'));
      expect(await s.run()).toBe('quiescent');
      expect(log).toEqual(['z', 'a', 'b', 'c']);
      expect(s.now).toBe(20);
    });

    it('runs all continuations of an event before the next event, without advancing time', async () => {
      const s = new Scheduler({ forceNextTickDrain });
      const log: string[] = [];
      s.at(1, () => {
        void nested(4, log, `deep@${s.now}`);
      });
      s.at(1, () => log.push(`second@${s.now}`));
      await s.run();
      expect(log).toEqual(['deep@1', 'second@1']);
    });

    it('cancels events and stops at a deadline and a budget', async () => {
      const s = new Scheduler({ forceNextTickDrain });
      const log: number[] = [];
      const id = s.at(3, () => log.push(3));
      for (const t of [1, 2, 4, 5, 6]) s.at(t, () => log.push(t));
      s.cancel(id);
      expect(await s.run({ untilUs: 4 })).toBe('deadline');
      expect(log).toEqual([1, 2, 4]);
      expect(await s.run({ maxEvents: 4 })).toBe('budget');
      expect(log).toEqual([1, 2, 4, 5]);
    });

    it('reports a throwing task as a rejection', async () => {
      const s = new Scheduler({ forceNextTickDrain });
      s.at(1, () => {
        throw new Error('boom');
      });
      await expect(s.run()).rejects.toThrow('boom');
    });

    it('handles many events (heap growth) in order', async () => {
      const s = new Scheduler({ forceNextTickDrain, sliceEvents: 1000 });
      const times: number[] = [];
      let x = 12345;
      for (let i = 0; i < 5000; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        const t = x % 1000;
        s.at(t, () => times.push(t));
      }
      await s.run();
      expect(times.length).toBe(5000);
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    });
  });
}

it('uses the fast V8 drain by default', async () => {
  const s = new Scheduler();
  s.at(1, () => {});
  await s.run();
  expect(s.drainUsed).toBe('v8');
});
