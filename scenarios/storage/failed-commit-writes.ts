/**
 * Writes that arrive while a commit is failing: the writes of a failed commit go back to the dirty set, but
 * a block the workload wrote again meanwhile must keep the newer write (the failed batch's is older), and
 * an in-place recovery that finds the batch applied must drop only the writes that batch took. Every
 * forceSync then acknowledges a commit holding each write made before it was called (the oracle holds
 * each acknowledgment against the workload's own record of its writes, not against the `upTo` the store
 * claims), reads return the newest committed bytes, and reads of uncommitted data (during the commit and after
 * its failure) return the user's latest write (invariant:read-your-writes).
 *
 * In the other storage scenarios a failed commit's blocks are written again after the failure (writes every
 * 0.1 ms in storage-writes-during-reload, random writes in the swarms), which hides a store that puts the
 * older batch back over the newer write (or drops the newer write with it): here the last write to some
 * blocks falls between the commit's start and its failure, and nothing writes them again.
 */
import type { FaultPlan } from '../../src/faults/plan.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import {
  blockData,
  doForceSync,
  doOwnRead,
  doVerifiedRead,
  doWrite,
  ownReadsCheck,
  withLastCopy,
  type StorageSetup,
  scriptedScenario,
} from './_harness.ts';

const NODE = 'S';

/**
 * At `atMs`: `before` blocks written and a forceSync whose commit fails (the plan's fault); 0.05 ms later,
 * while that commit runs, the first `during` of them written again; nothing writes them afterwards. At
 * `atMs` + 100 a forceSync with nothing new (its commit retries the batch, after an in-place recovery when
 * the marker write failed), then verified reads of every block.
 */
function failingRound(ctx: ScenarioContext, setup: StorageSetup, atMs: number, first: number, before: number, during: number): void {
  ctx.at(atMs, () => {
    for (let k = 0; k < before; k++) doWrite(ctx, NODE, (first + k) % setup.blocks, blockData(ctx, setup.blockSize));
    doForceSync(ctx, NODE);
  });
  ctx.at(atMs + 0.05, () => {
    for (let k = 0; k < during; k++) doWrite(ctx, NODE, (first + k) % setup.blocks, blockData(ctx, setup.blockSize));
  });
  // The store's user reads its own writes while the commit runs (in flight and rewritten), and after it failed.
  for (const at of [atMs + 0.06, atMs + 50]) {
    ctx.at(at, () => {
      for (let id = 0; id < setup.blocks; id++) doOwnRead(ctx, NODE, id);
    });
  }
  ctx.at(atMs + 100, () => doForceSync(ctx, NODE));
  ctx.at(atMs + 150, () => {
    for (let id = 0; id < setup.blocks; id++) doVerifiedRead(ctx, NODE, id);
  });
}

function scenario(name: string, description: string, setup: StorageSetup, script: (ctx: ScenarioContext) => void, faults: FaultPlan): Scenario {
  return scriptedScenario({ name, description, setup, node: NODE, script, faults, checks: [ownReadsCheck] });
}

const file: StorageSetup = { backend: 'file', blockSize: 2048, blocks: 8, profile: 'weak' };
const kv: StorageSetup = { backend: 'kv', blockSize: 2048, blocks: 8 };

const fileRounds = scenario(
  'storage-writes-during-failed-commit-file',
  "Blocks are written again while a commit of their older writes fails, and never after: commit 2 fails at its data (ENOSPC on pending.json), commit 3's marker rename fails (rolled back by the in-place recovery), commit 4's directory fsync after its rename fails (finalized by it); each retry must commit the newer writes, and every forceSync acknowledges a commit holding every write made before it; then a power loss.",
  file,
  (ctx) => {
    ctx.at(100, () => {
      for (let id = 0; id < file.blocks; id++) doWrite(ctx, NODE, id, blockData(ctx, file.blockSize));
      doForceSync(ctx, NODE);
    });
    failingRound(ctx, file, 200, 0, 6, 2);
    failingRound(ctx, file, 400, 2, 4, 2);
    failingRound(ctx, file, 600, 4, 4, 2);
  },
  {
    events: [
      // Armed before commit 2 (at 200 ms): it writes 6 block files, then pending.json (the 7th writeFile).
      { kind: 'diskError', atMs: 190, node: NODE, op: 'writeFile', code: 'ENOSPC', nth: 7 },
      // Armed before commit 3 (at 400 ms): its first rename is the marker's.
      { kind: 'diskError', atMs: 390, node: NODE, op: 'rename', code: 'EIO', nth: 1 },
      // Armed before commit 4 (at 600 ms): its fsyncs are 4 blocks, pending.json, blocks/, /store, marker.tmp,
      // then /store after the rename: the 9th.
      { kind: 'fsyncFail', atMs: 590, node: NODE, nth: 9 },
      { kind: 'crash', atMs: 900, node: NODE, powerLoss: true, restartAfterMs: 50 },
    ],
  },
);

const kvRounds = scenario(
  'storage-writes-during-failed-commit-kv',
  'The kv variant: the transactions of commits 2 and 3 fail (EIO) while their blocks are written again, and never after; each is recovered in place before the retry, which must commit the newer writes; every forceSync acknowledges a commit holding every write made before it; then a power loss.',
  kv,
  (ctx) => {
    ctx.at(100, () => {
      for (let id = 0; id < kv.blocks; id++) doWrite(ctx, NODE, id, blockData(ctx, kv.blockSize));
      doForceSync(ctx, NODE);
    });
    failingRound(ctx, kv, 200, 0, 6, 2);
    failingRound(ctx, kv, 400, 3, 4, 2);
  },
  {
    events: [
      { kind: 'diskError', atMs: 190, node: NODE, area: 'kv', op: 'commit', code: 'EIO', nth: 1 },
      { kind: 'diskError', atMs: 390, node: NODE, area: 'kv', op: 'commit', code: 'EIO', nth: 1 },
      { kind: 'crash', atMs: 900, node: NODE, powerLoss: true, restartAfterMs: 50 },
    ],
  },
);

export default [fileRounds, kvRounds].map(withLastCopy);
