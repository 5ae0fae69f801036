/**
 * Programs on `Env` that use every async primitive, for the runs under the simulator and on the real Node
 * runtime. `pipeline` is timed so that no two of its timers race (deadlines at least one unit apart, 20 ms
 * by default), so its log is the same on both; `swarm` draws its timings from `env.random` for seeded runs.
 */
import type { Env } from '../../src/impl/env.ts';
import { broadcast, Cancelled, CancellationToken, Notify, Semaphore, sleep, spawn, watch } from '../../src/impl/async/index.ts';

/** The log `pipeline` writes (docs/async.md walks through it). */
export const PIPELINE_LOG = [
  'enter 0',
  'enter 1',
  'enter 2 after 0 left', // w2 queued at 4 units, gets w0's permit at 5
  'progress 1',
  'enter 3 after 1 left', // w3 queued at 6 units, gets w1's permit at 7
  'progress 2',
  'recv lagged 1', // the receiver, capacity 1, first reads at 8.5 units: value 0 was overwritten by 1
  'recv value 1',
  'recv value 2', // at 10 units w2 sends 2, then counts progress 3: the receiver, waiting, is woken first
  'progress 3',
  'recv value 3',
  'progress 4',
  'all done',
  'sleeper cancelled: shutdown',
  'failing task: boom',
  'recv closed',
  'progress closed',
];

/**
 * Four workers share a Semaphore(2) (start 2 units apart, hold 5 units), publish their index on a broadcast
 * channel of capacity 1 read by a slow receiver, and count progress on a watch channel; the last one
 * notifies the main task, which aborts a long sleeper, joins a failing task and closes the channels.
 */
export async function pipeline(env: Env, log: (line: string) => void, unitMs = 20): Promise<void> {
  const sem = new Semaphore(2);
  const { sender, subscribe } = broadcast<number>(1);
  const progress = watch(0);
  const done = new Notify();
  const root = new CancellationToken();
  const left: number[] = [];
  let finished = 0;

  const reader = spawn(async () => {
    const rx = subscribe();
    await sleep(env, 8.5 * unitMs);
    for (;;) {
      const got = await rx.recv();
      log(got.kind === 'value' ? `recv value ${got.value}` : got.kind === 'lagged' ? `recv lagged ${got.missed}` : 'recv closed');
      if (got.kind === 'closed') return;
    }
  });
  const watcher = spawn(async () => {
    const rx = progress.receiver();
    while (await rx.changed()) log(`progress ${rx.borrowAndUpdate()}`);
    log('progress closed');
  });
  const worker = (k: number) => async (token: CancellationToken) => {
    await sleep(env, 2 * unitMs * k, token);
    await sem.withPermit(async () => {
      log(left.length > 0 && k >= 2 ? `enter ${k} after ${left.at(-1)} left` : `enter ${k}`);
      await sleep(env, 5 * unitMs, token);
      left.push(k);
    }, token);
    sender.send(k);
    progress.sender.send(++finished);
    if (finished === 4) done.notifyOne();
  };
  const workers = [0, 1, 2, 3].map((k) => spawn(worker(k), root));
  const sleeper = spawn((token) => sleep(env, 10_000, token), root);
  const failing = spawn(async () => {
    await sleep(env, unitMs / 2);
    throw new Error('boom');
  });

  await done.notified();
  await Promise.all(workers.map((w) => w.join()));
  log('all done');
  root.cancel('shutdown');
  await sleeper.join().catch((e: unknown) => log(e instanceof Cancelled ? `sleeper ${e.message}` : `sleeper ${String(e)}`));
  await failing.join().catch((e: unknown) => log(`failing task: ${(e as Error).message}`));
  sender.close();
  await reader.join();
  progress.sender.close();
  await watcher.join();
}

/** What `swarm` observed, checked by the test against the primitives' guarantees. */
export interface SwarmReport {
  maxHeld: number;
  permitsBack: boolean;
  accounted: boolean;
  lastProgressSeen: number;
  tasks: number;
}

/**
 * `tasks` workers with random delays (env.random) through a Semaphore(3), publishing on a broadcast of
 * capacity 4 read by a receiver of random slowness, progress on a watch, a random fraction aborted midway.
 * Every step goes into the trace, so the trace hash is a fingerprint of the interleaving.
 */
export async function swarm(env: Env, tasks: number): Promise<SwarmReport> {
  const sem = new Semaphore(3);
  const { sender, subscribe } = broadcast<number>(4);
  const progress = watch(0);
  const root = new CancellationToken();
  let held = 0;
  let maxHeld = 0;
  let finished = 0;
  const rx = subscribe();
  let accounted = 0;
  const reader = spawn(async () => {
    for (;;) {
      await sleep(env, env.random.int(30));
      const got = await rx.recv();
      env.trace.emit('async.recv', { ...got });
      if (got.kind === 'closed') return;
      accounted += got.kind === 'lagged' ? got.missed : 1;
    }
  });
  const watcher = spawn(async () => {
    const w = progress.receiver();
    let last = 0;
    while (await w.changed()) last = w.borrowAndUpdate();
    return last;
  });
  const handles = Array.from({ length: tasks }, (_, k) =>
    spawn(async (token) => {
      await sleep(env, env.random.int(100), token);
      await sem.withPermit(async () => {
        maxHeld = Math.max(maxHeld, ++held);
        env.trace.emit('async.enter', { k, held });
        try {
          await sleep(env, 1 + env.random.int(40), token);
        } finally {
          held--;
        }
      }, token);
      sender.send(k);
      progress.sender.send(++finished);
    }, root.child()),
  );
  for (const h of handles) if (env.random.float() < 0.2) env.clock.setTimeout(() => h.abort('random abort'), env.random.int(150));
  const outcomes = await Promise.allSettled(handles.map((h) => h.join()));
  env.trace.emit('async.outcomes', { ok: outcomes.filter((o) => o.status === 'fulfilled').length });
  sender.close();
  progress.sender.close();
  await reader.join();
  const lastProgressSeen = await watcher.join();
  return { maxHeld, permitsBack: sem.available === 3 && sem.waiting === 0, accounted: accounted === finished, lastProgressSeen, tasks: finished };
}
