/**
 * Kernel benchmarks: scheduler events per second with synchronous callbacks, with async/await
 * continuations (one await per event, and nested async calls), and both drains.
 */
import { Scheduler } from '../src/sim/scheduler.ts';
import type { BenchResult } from './types.ts';

/** Synchronous callbacks: `tasks` self-rescheduling chains keep the heap at about `tasks` entries. */
async function syncEvents(total: number, tasks: number): Promise<number> {
  const s = new Scheduler();
  let left = total;
  let x = 1;
  const tick = (): void => {
    if (--left <= 0) return;
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s.after(1 + (x % 1000), tick);
  };
  for (let i = 0; i < tasks; i++) s.after(i, tick);
  const t0 = performance.now();
  await s.run();
  return s.events / ((performance.now() - t0) / 1000);
}

/** Async continuations: `tasks` async loops, each awaiting a promise the scheduler resolves. */
async function asyncEvents(total: number, tasks: number, depth: number, forceNextTickDrain: boolean): Promise<number> {
  const s = new Scheduler({ forceNextTickDrain });
  let left = total;
  const wait = (us: number): Promise<void> => new Promise((res) => s.after(us, res));
  const nested = async (d: number, us: number): Promise<void> => {
    if (d === 0) return wait(us);
    await nested(d - 1, us);
  };
  const loop = async (seed: number): Promise<void> => {
    let x = seed;
    while (left-- > 0) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      await nested(depth, 1 + (x % 1000));
    }
  };
  for (let i = 0; i < tasks; i++) void loop(i + 1);
  const t0 = performance.now();
  await s.run();
  return s.events / ((performance.now() - t0) / 1000);
}

/** Runs the kernel benchmarks. */
export async function benchKernel(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  await syncEvents(200_000, 1000); // warm-up
  out.push({ name: 'scheduler: sync callbacks (heap 1k)', value: await syncEvents(3_000_000, 1000), unit: 'events/s', goal: 2_000_000 });
  out.push({ name: 'scheduler: sync callbacks (heap 100k)', value: await syncEvents(2_000_000, 100_000), unit: 'events/s' });
  await asyncEvents(100_000, 100, 0, false); // warm-up
  out.push({ name: 'scheduler: one await per event (v8 drain)', value: await asyncEvents(2_000_000, 100, 0, false), unit: 'events/s', goal: 1_000_000 });
  out.push({ name: 'scheduler: nested async depth 4 (v8 drain)', value: await asyncEvents(1_000_000, 100, 4, false), unit: 'events/s' });
  out.push({ name: 'scheduler: one await per event (nextTick drain)', value: await asyncEvents(1_000_000, 100, 0, true), unit: 'events/s' });
  return out;
}
