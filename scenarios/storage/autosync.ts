/**
 * AutoSync alone commits the workload's writes (no forceSync until the end), with tight dirty limits, and
 * its first background commit fails: the manager must keep committing (invariant:autosync-keeps-up), and
 * the store's backpressure and ELIMIT answers must follow the data actually outstanding
 * (invariant:dirty-limits-honest), both judged from the workload's own record of its writes. At the end the
 * store is closed right after a forceSync was called: close waits for the commit (the recovery model
 * refuses a close while a commit is in flight), and everything acknowledged survives the restart.
 *
 * The other storage scenarios call forceSync often (the swarms) or run no AutoSync, and open the store
 * with the default limits (256 and 1,024 blocks): a manager that stops after a failed commit, or a dirty
 * counter that is not released after commits, passed them all.
 */
import type { FaultPlan } from '../../src/faults/plan.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import {
  blockData,
  closeStore,
  doDrain,
  doForceSync,
  doWrite,
  pollAutosync,
  withLastCopy,
  writePressureCheck,
  type StorageSetup,
  scriptedScenario,
} from './_harness.ts';

const NODE = 'S';
const INTERVAL_MS = 50;
/** Two intervals and a commit's worth of slack (a commit of a few blocks takes a few ms here). */
const BOUND_MS = 2 * INTERVAL_MS + 60;

function autosyncScenario(name: string, description: string, setup: StorageSetup, firstCommitFault: FaultPlan['events'][number]): Scenario {
  return scriptedScenario({
    name,
    description,
    setup,
    node: NODE,
    script: (ctx) => {
      // A write every 10 ms (block ids in turn) from 20 ms to 900 ms: about five blocks per interval.
      for (let k = 0; k < 89; k++) ctx.at(20 + k * 10, () => void doWrite(ctx, NODE, k % setup.blocks, blockData(ctx, setup.blockSize)));
      pollAutosync(ctx, NODE, 100, 950, 10, BOUND_MS);
      // Closed right after a forceSync was called (its commit in flight), then restarted.
      ctx.at(1_000, () => {
        doWrite(ctx, NODE, 0, blockData(ctx, setup.blockSize));
        doForceSync(ctx, NODE);
        closeStore(ctx, NODE);
      });
      ctx.at(1_050, () => {
        ctx.sim.stop(NODE);
        ctx.sim.start(NODE);
      });
    },
    faults: { events: [firstCommitFault, { kind: 'crash', atMs: 1_300, node: NODE, powerLoss: true, restartAfterMs: 50 }] },
    checks: [writePressureCheck(setup, BOUND_MS)],
  });
}

const limits = { blockSize: 2048, blocks: 8, backpressureBytes: 12 * 2048, maxDirtyBytes: 16 * 2048 };
const file: StorageSetup = { backend: 'file', profile: 'weak', autosync: { intervalMs: INTERVAL_MS, maxDirtyBlocks: 64, debounceMs: 5 }, ...limits };
const kv: StorageSetup = { backend: 'kv', relaxedCommits: true, autosync: { intervalMs: INTERVAL_MS, maxDirtyBlocks: 64, debounceMs: 5 }, ...limits };
/** A threshold of 4 dirty blocks behind a 1 s interval: only the threshold can commit within the bound. */
const threshold: StorageSetup = { backend: 'file', profile: 'weak', blockSize: 2048, blocks: 16, autosync: { intervalMs: 1_000, maxDirtyBlocks: 4, debounceMs: 5 } };
/** 5 ms of quiet and a commit's worth of slack. */
const THRESHOLD_BOUND_MS = 60;

export default [
  autosyncScenario(
    'storage-autosync-after-failure-file',
    'AutoSync (every 50 ms) alone commits a write every 10 ms on a file store with tight dirty limits (backpressure at 12 blocks, ELIMIT at 16); its first background commit fails (ENOSPC): the next intervals must commit everything, every write within 160 ms, with no false backpressure or ELIMIT; then the store is closed with a forceSync in flight, restarted, and loses power.',
    file,
    // Armed before the first background commit (50 ms): its first block file write fails.
    { kind: 'diskError', atMs: 30, node: NODE, op: 'writeFile', code: 'ENOSPC', nth: 1 },
  ),
  autosyncScenario(
    'storage-autosync-after-failure-kv',
    'The kv variant (relaxed background commits): the first background commit transaction fails (EIO); AutoSync must keep committing every write within 160 ms, with honest backpressure and ELIMIT answers; then a close with a forceSync in flight, a restart and a power loss.',
    kv,
    { kind: 'diskError', atMs: 30, node: NODE, area: 'kv', op: 'commit', code: 'EIO', nth: 1 },
  ),
  scriptedScenario({
    name: 'storage-autosync-threshold',
    description:
      "AutoSync's dirty-block threshold alone commits (interval 1 s, threshold 4 blocks, 5 ms of quiet): bursts of 4 distinct blocks every 100 ms, nothing else; each burst crosses the threshold and must be committed within 5 ms of quiet plus a commit's time (60 ms bound), long before the interval. Hunt 7: a threshold test needing both the block and the byte threshold (|| for &&) committed only at the interval and passed every scenario (the swarms' thresholds are backed by a 200 ms interval and no check bounds them tighter).",
    setup: threshold,
    node: NODE,
    script: (ctx) => {
      for (let b = 0; b < 9; b++) {
        ctx.at(50 + b * 100, () => {
          for (let j = 0; j < 4; j++) doWrite(ctx, NODE, (b * 4 + j) % threshold.blocks, blockData(ctx, threshold.blockSize));
        });
      }
      pollAutosync(ctx, NODE, 60, 960, 10, THRESHOLD_BOUND_MS);
    },
    faults: { events: [] },
    checks: [writePressureCheck(threshold, THRESHOLD_BOUND_MS)],
  }),
  scriptedScenario({
    name: 'storage-drain-relaxed-kv',
    description:
      "AutoSync commits a write every 10 ms with relaxed durability (kv), then drainAndShutdown is called right after a write: its result promises everything written before it durable (it is acknowledged like a forceSync, ackDurable), though the background commits before it may not be yet; then a restart and a power loss: everything the drain acknowledged survives. Hunt 7: a drain committing with sync() instead of forceSync() passed every scenario (the only drain ran on a strict store).",
    setup: kv,
    node: NODE,
    script: (ctx) => {
      // Blocks 0..5 in turn; the drain's batch writes block 7 for the first time: a commit that replaces no
      // older version, so its finalize deletes nothing (no strict transaction after it flushes it).
      for (let k = 0; k < 30; k++) ctx.at(20 + k * 10, () => void doWrite(ctx, NODE, k % 6, blockData(ctx, kv.blockSize)));
      ctx.at(305, () => {
        doWrite(ctx, NODE, 7, blockData(ctx, kv.blockSize));
        doDrain(ctx, NODE);
      });
      ctx.at(500, () => {
        ctx.sim.stop(NODE);
        ctx.sim.start(NODE);
      });
    },
    faults: { events: [{ kind: 'crash', atMs: 700, node: NODE, powerLoss: true, restartAfterMs: 50 }] },
  }),
].map(withLastCopy);
