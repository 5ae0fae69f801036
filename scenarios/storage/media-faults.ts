/**
 * Block store scenarios with media faults: a torn marker write, bit rot on read, ENOSPC in the middle of a
 * commit, and a power loss right after an acknowledged forceSync (strict profile: nothing unsynced survives).
 */
import type { FaultPlan } from '../../src/faults/plan.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import {
  blockData,
  doForceSync,
  doVerifiedRead,
  doWrite,
  withLastCopy,
  type StorageSetup,
  type StoreHandle,
  scriptedScenario,
} from './_harness.ts';

const NODE = 'S';

function scenario(name: string, description: string, setup: StorageSetup, script: (ctx: ScenarioContext) => void, faults: FaultPlan, inDefault = false): Scenario {
  return scriptedScenario({ name, description, setup, node: NODE, script, faults, suites: inDefault ? ['smoke', 'ci', 'default'] : ['smoke', 'ci'] });
}

const weak: StorageSetup = { backend: 'file', blockSize: 2048, blocks: 8, profile: 'weak' };
const strict: StorageSetup = { ...weak, profile: 'strict' };

/** `commits` forced commits of `perCommit` random blocks each, 100 ms apart from 100 ms. */
function commits(setup: StorageSetup, count: number, perCommit: number) {
  return (ctx: ScenarioContext): void => {
    for (let c = 0; c < count; c++) {
      ctx.at(100 + c * 100, () => {
        for (let k = 0; k < perCommit; k++) doWrite(ctx, NODE, ctx.rng.int(setup.blocks), blockData(ctx, setup.blockSize));
        doForceSync(ctx, NODE);
      });
    }
  };
}

/**
 * Four forced commits, 200 ms apart from 100 ms, of three blocks each, in block order (commit c writes
 * blocks 3c..3c+2 modulo the store's size): a fault armed at the nth commit's operation meets a known batch.
 */
function fourCommitsOfThree(ctx: ScenarioContext): void {
  for (let c = 0; c < 4; c++) {
    ctx.at(100 + c * 200, () => {
      for (let k = 0; k < 3; k++) doWrite(ctx, NODE, (c * 3 + k) % weak.blocks, blockData(ctx, weak.blockSize));
      doForceSync(ctx, NODE);
    });
  }
}

const tornMarker = scenario(
  'storage-torn-marker',
  'The marker write of commit 2 is torn and the device loses power (weak profile): the half-written marker must never count; recovery rolls commit 2 back to commit 1.',
  weak,
  (ctx) => {
    for (let c = 0; c < 3; c++) {
      ctx.at(100 + c * 100, () => {
        for (let k = 0; k < 3; k++) doWrite(ctx, NODE, (c * 3 + k) % weak.blocks, blockData(ctx, weak.blockSize));
        doForceSync(ctx, NODE);
      });
    }
  },
  // writeFiles counted from the start: commit 1 writes 3 blocks, pending.json and marker.tmp (#1-5);
  // commit 2 writes 3 blocks and pending.json (#6-9): #10 is its marker.tmp.
  { events: [{ kind: 'tornWrite', atMs: 0, node: NODE, nth: 10 }] },
  true,
);

const bitRot = scenario(
  'storage-bit-rot-read',
  'Reads return a flipped bit now and then (the medium is intact): every read must return the committed bytes or fail with ECHECKSUM, never other bytes; startup verification must not mistake a flipped read for rot.',
  strict,
  (ctx) => {
    commits(strict, 2, 6)(ctx);
    for (let k = 0; k < 60; k++) ctx.at(400 + k * 20, () => doVerifiedRead(ctx, NODE, ctx.rng.int(strict.blocks)));
  },
  {
    events: [
      { kind: 'bitFlip', atMs: 350, node: NODE, probability: 0.3, durationMs: 1_500 },
      { kind: 'crash', atMs: 1_000, node: NODE, powerLoss: true, restartAfterMs: 50 },
    ],
  },
  true,
);

const enospc = scenario(
  'storage-enospc-commit',
  'A block write of commit 3 fails with ENOSPC: the forceSync caller gets the error, nothing committed is lost, the batch stays dirty and commits later; then a power loss and recovery.',
  weak,
  commits(weak, 5, 3),
  {
    events: [
      { kind: 'diskError', atMs: 290, node: NODE, op: 'writeFile', code: 'ENOSPC', nth: 2 },
      { kind: 'crash', atMs: 900, node: NODE, powerLoss: true, restartAfterMs: 100 },
    ],
  },
);

const powerLossAfterAck = scenario(
  'storage-power-loss-after-ack',
  'Power loss (strict profile: every unsynced operation is lost) shortly after forceSync acknowledged commits: everything acknowledged must survive, including the new block files and the marker rename.',
  strict,
  commits(strict, 3, 4),
  { events: [{ kind: 'crash', atMs: 390, node: NODE, powerLoss: true, restartAfterMs: 100 }] },
);

const markerFsyncFails = scenario(
  'storage-marker-fsync-fails',
  'The fsync of the store directory right after the marker rename of commit 2 fails with EIO: the caller gets the error and the store cannot know whether commit 2 took effect; before its next commit it recovers in place and must not apply the batch twice; then a power loss.',
  weak,
  fourCommitsOfThree,
  {
    events: [
      // Armed before commit 2 (at 300 ms): its fsyncs are 3 blocks, pending.json, blocks/, /store,
      // marker.tmp, then /store after the rename: the 8th.
      { kind: 'fsyncFail', atMs: 290, node: NODE, nth: 8 },
      { kind: 'crash', atMs: 1_200, node: NODE, powerLoss: true, restartAfterMs: 50 },
    ],
  },
);

const markerRenameFails = scenario(
  'storage-marker-rename-fails',
  'The marker rename of commit 2 fails with EIO (it never happened): the store cannot know, recovers in place before its next commit, and that in-place recovery fails too (the fsync of the store directory fails); the next commit recovers in place again, rolls commit 2 back and commits its writes anew; then a power loss.',
  weak,
  fourCommitsOfThree,
  {
    events: [
      // Armed before commit 2 (at 300 ms): its first rename is the marker's (finalize renames come after it).
      { kind: 'diskError', atMs: 290, node: NODE, op: 'rename', code: 'EIO', nth: 1 },
      // Armed before commit 3 (at 500 ms): its in-place recovery starts by fsyncing the store directory.
      { kind: 'fsyncFail', atMs: 490, node: NODE, nth: 1 },
      { kind: 'crash', atMs: 1_200, node: NODE, powerLoss: true, restartAfterMs: 50 },
    ],
  },
);

/**
 * A write every 0.1 ms for 10 ms from `atMs` (block ids in turn), with a forceSync right after the first:
 * writes keep arriving through the commit, and through the in-place recovery that precedes it.
 */
function writeWindow(ctx: ScenarioContext, atMs: number, sync = true): void {
  for (let k = 0; k < 100; k++) ctx.at(atMs + k * 0.1, () => void doWrite(ctx, NODE, k % weak.blocks, blockData(ctx, weak.blockSize)));
  if (sync) ctx.at(atMs + 0.05, () => doForceSync(ctx, NODE));
}

/** Closes the store (buffered writes are dropped with it), then restarts the node, which reopens it. */
function closeAndRestart(ctx: ScenarioContext, atMs: number): void {
  ctx.at(atMs, () => void ctx.handle<StoreHandle>(NODE)?.store.close().catch(() => undefined));
  ctx.at(atMs + 10, () => {
    ctx.sim.stop(NODE);
    ctx.sim.start(NODE);
  });
}

/** The faults of storage-writes-during-reload: the nth fsync of marker.tmp arms `fault` (counted from the op after it). */
const atMarkerFsync = (nth: number, fault: { kind: 'diskError' | 'fsyncFail'; op?: string; code?: string; nth: number }): FaultPlan['events'][number] =>
  ({ ...fault, node: NODE, trigger: { node: NODE, area: 'disk', op: 'fsync', target: '/store/marker.tmp', nth } }) as FaultPlan['events'][number];

const writesDuringReload = scenario(
  'storage-writes-during-reload',
  'Writes arrive every 0.1 ms through every commit and through the in-place recoveries after failed marker writes: commit 3\'s marker rename fails (the recovery rolls it back), commit 4\'s directory fsync after the rename fails (the recovery finalizes it), a later rename fails and so does the recovery after it (stalled), and the store is closed while stalled and, later, with writes never committed: each batch applies once, writes taken during a recovery are committed after it, and nothing acknowledged is lost across the closes and a power loss.',
  weak,
  (ctx) => {
    for (const t of [100, 200, 300, 400, 500, 600, 700, 800, 900]) writeWindow(ctx, t);
    closeAndRestart(ctx, 815); // stalled: the recovery before commit 6 failed at 800
    writeWindow(ctx, 1_000, false);
    closeAndRestart(ctx, 1_011); // dirty: the writes of 1,000-1,010 were never committed
  },
  {
    events: [
      // marker.tmp is fsynced once per commit (recovery rewrites the marker only when it is behind): the
      // 3rd is commit 3's; the rename right after it fails, and commit 3 is recovered in place at 400.
      atMarkerFsync(3, { kind: 'diskError', op: 'rename', code: 'EIO', nth: 1 }),
      // The 5th is commit 4's (500): the directory fsync after its rename fails; recovered in place at 600.
      atMarkerFsync(5, { kind: 'fsyncFail', nth: 1 }),
      // The 7th is commit 6's (700): its rename fails, and the first fsync after it, which is the in-place
      // recovery's at 800, fails too.
      atMarkerFsync(7, { kind: 'diskError', op: 'rename', code: 'EIO', nth: 1 }),
      atMarkerFsync(7, { kind: 'fsyncFail', nth: 1 }),
      { kind: 'crash', atMs: 1_100, node: NODE, powerLoss: true, restartAfterMs: 50 },
    ],
  },
);

const finalizeRenameFails = scenario(
  'storage-finalize-rename-fails',
  "The rename that finalizes commit 2 (pending.json to meta.json, after its marker) fails with EIO: commit 2 took effect and is acknowledged, but meta.json is still commit 1's, so finalize must be retried before commit 3 overwrites pending.json; then a power loss just before commit 3's marker write (commit 3 never took effect): recovery must find commit 2, not roll back to commit 1.",
  weak,
  fourCommitsOfThree,
  {
    events: [
      // Armed at commit 2's marker rename (the 2nd rename of marker.tmp): the next rename is its finalize's.
      { kind: 'diskError', node: NODE, op: 'rename', code: 'EIO', nth: 1, trigger: { node: NODE, area: 'disk', op: 'rename', target: '/store/marker.tmp', nth: 2 } },
      // Commit 3 (at 500 ms) writes its blocks and pending.json, then loses power before its marker.tmp.
      { kind: 'crash', node: NODE, powerLoss: true, restartAfterMs: 50, when: 'before', trigger: { node: NODE, area: 'disk', op: 'writeFile', target: '/store/marker.tmp', nth: 3 } },
    ],
  },
);

export default [tornMarker, bitRot, enospc, powerLossAfterAck, markerFsyncFails, markerRenameFails, writesDuringReload, finalizeRenameFails].map(withLastCopy);
