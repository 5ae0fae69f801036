/**
 * Disk benchmarks (wall time, trace hashed as in a real run):
 * - 4 KiB write + fsync pairs per second, one node overwriting one file;
 * - the same spread over 64 files with an fsyncDir every 64 pairs;
 * - wall time of resolving one power loss of a disk holding 1,000 durable 4 KiB files, each (or 10 of
 *   them) with one unsynced 4 KiB rewrite pending ('weak' profile: every pending write is drawn and
 *   applied), including bringing the visible file system in line; and of a durable snapshot;
 * - relaxed kv commits (one put each) per second.
 * Figures are medians of 5 repetitions.
 */
import type { Env } from '../src/impl/env.ts';
import { Simulation } from '../src/sim/simulation.ts';
import type { BenchResult } from './types.ts';

const KIB4 = 4096;
const REPS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `program` on one node until quiescence and returns the wall seconds it took. */
async function timed(seed: number, program: (env: Env) => Promise<void>): Promise<{ sim: Simulation; seconds: number }> {
  const sim = new Simulation({ seed });
  sim.addNode('A', { program });
  sim.start('A');
  const t0 = performance.now();
  await sim.run();
  const seconds = (performance.now() - t0) / 1000;
  if (sim.failure !== null) throw new Error(`disk bench failed: ${sim.failure.message}`);
  return { sim, seconds };
}

/** Write+fsync pairs per wall second over `files` files. */
async function pairsPerSecond(pairs: number, files: number): Promise<number> {
  const data = new Uint8Array(KIB4).fill(7);
  const { seconds } = await timed(1, async (env) => {
    for (let i = 0; i < pairs; i++) {
      const path = `/f${i % files}`;
      await env.disk.write(path, 0, data);
      await env.disk.fsync(path);
      if (files > 1 && i % files === files - 1) await env.disk.fsyncDir('/');
    }
  });
  return pairs / seconds;
}

/**
 * Wall ms of one power loss with `files` durable files of which `pending` carry one unsynced rewrite;
 * and of a durable snapshot afterwards.
 */
async function powerLossMs(files: number, pending: number): Promise<{ powerLoss: number; snapshot: number }> {
  const data = new Uint8Array(KIB4).fill(1);
  const rewrite = new Uint8Array(KIB4).fill(2);
  const sim = new Simulation({ seed: 2 });
  sim.addDevice('D', { disk: { profile: 'weak' } });
  sim.addNode('A', {
    device: 'D',
    program: async (env) => {
      await env.disk.mkdir('/data');
      await env.disk.fsyncDir('/');
      for (let i = 0; i < files; i++) {
        await env.disk.writeFile(`/data/${i}`, data);
        await env.disk.fsync(`/data/${i}`);
      }
      await env.disk.fsyncDir('/data');
      for (let i = 0; i < pending; i++) await env.disk.write(`/data/${i}`, 0, rewrite);
    },
  });
  sim.start('A');
  await sim.run();
  const disk = sim.device('D').disk;
  if (disk.pendingOps().length !== pending) throw new Error(`expected ${pending} pending writes, got ${disk.pendingOps().length}`);
  const t0 = performance.now();
  sim.powerLoss('D');
  const t1 = performance.now();
  const snap = disk.durableSnapshot();
  const t2 = performance.now();
  if (snap.size !== files) throw new Error(`expected ${files} durable files, got ${snap.size}`);
  return { powerLoss: t1 - t0, snapshot: t2 - t1 };
}

/** Relaxed single-put kv commits per wall second. */
async function kvCommitsPerSecond(commits: number): Promise<number> {
  const { seconds } = await timed(3, async (env) => {
    for (let i = 0; i < commits; i++) {
      await env.kv.transaction(['s'], 'readwrite', (tx) => tx.put('s', i % 1000, { n: i }), { durability: 'relaxed' });
    }
  });
  return commits / seconds;
}

/** Every disk figure. */
export async function benchDisk(): Promise<BenchResult[]> {
  await pairsPerSecond(2_000, 1); // warm-up
  const one: number[] = [];
  const many: number[] = [];
  const loss: number[] = [];
  const lossFew: number[] = [];
  const snap: number[] = [];
  const kv: number[] = [];
  for (let r = 0; r < REPS; r++) {
    one.push(await pairsPerSecond(20_000, 1));
    many.push(await pairsPerSecond(20_000, 64));
    const pl = await powerLossMs(1_000, 1_000);
    lossFew.push((await powerLossMs(1_000, 10)).powerLoss);
    loss.push(pl.powerLoss);
    snap.push(pl.snapshot);
    kv.push(await kvCommitsPerSecond(20_000));
  }
  return [
    { name: '4 KiB write+fsync pairs, 1 file', value: median(one), unit: 'pairs/s' },
    { name: '4 KiB write+fsync pairs, 64 files, fsyncDir per 64', value: median(many), unit: 'pairs/s' },
    { name: 'power loss, 1,000 files x 4 KiB, 1,000 pending (weak)', value: median(loss), unit: 'ms', lowerIsBetter: true },
    { name: 'power loss, 1,000 files x 4 KiB, 10 pending (weak)', value: median(lossFew), unit: 'ms', lowerIsBetter: true },
    { name: 'durable snapshot, 1,000 files', value: median(snap), unit: 'ms', lowerIsBetter: true },
    { name: 'kv relaxed commits (1 put each)', value: median(kv), unit: 'commits/s' },
  ];
}
