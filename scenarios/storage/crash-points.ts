/**
 * Scripted crash scenarios of the block store: a power loss at a chosen step of a commit, of its
 * finalize, or of recovery itself, under the weak persistence profile (unsynced operations land, vanish
 * or tear independently). Every recovery is checked by the oracle (docs/storage.md) and the recovery model.
 */
import { epochSurvivesRecovery } from '../../src/model/storage/index.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import type { FaultPlan } from '../../src/faults/plan.ts';
import {
  blockData,
  doForceSync,
  doWrite,
  oracleOf,
  withLastCopy,
  type StorageSetup,
  type StoreHandle,
  scriptedScenario,
} from './_harness.ts';

const NODE = 'S';

/** A block store scenario over one node with a scripted workload and fault plan. */
function scripted(
  name: string,
  description: string,
  setup: StorageSetup,
  script: (ctx: ScenarioContext) => void,
  faults: FaultPlan,
  suites = ['smoke', 'ci'],
): Scenario {
  return scriptedScenario({ name, description, setup, node: NODE, script, faults, suites });
}

const weak: StorageSetup = { backend: 'file', blockSize: 2048, blocks: 8, profile: 'weak' };

/** Commit 1 writes blocks 0-3; commit 2 writes blocks 2-7 (4-7 are new). */
function twoCommits(ctx: ScenarioContext): void {
  ctx.at(100, () => {
    for (let id = 0; id < 4; id++) doWrite(ctx, NODE, id, blockData(ctx, weak.blockSize));
    doForceSync(ctx, NODE);
  });
  ctx.at(300, () => {
    for (let id = 2; id < 8; id++) doWrite(ctx, NODE, id, blockData(ctx, weak.blockSize));
    doForceSync(ctx, NODE);
  });
}

const crashAt = (op: string, target: string, nth = 1, when: 'before' | 'after' = 'before'): FaultPlan['events'][number] => ({
  kind: 'crash',
  node: NODE,
  powerLoss: true,
  restartAfterMs: 100,
  when,
  trigger: { node: NODE, area: 'disk', op, target, nth },
});

const mixedPresence = scripted(
  'storage-crash-mixed-presence',
  'Power loss while commit 2 writes its 6 blocks (before the 5th block file is fsynced): some block files landed, some are torn, some missing. Recovery must give exactly commit 1, delete the strays and keep the new blocks absent.',
  weak,
  twoCommits,
  { events: [crashAt('fsync', '/store/blocks/6.2')] },
  ['smoke', 'ci', 'default'],
);

const afterSynced = scripted(
  'storage-crash-after-data-synced',
  'Power loss right after commit 2 made its blocks and pending metadata durable, before the marker write started: recovery must roll the pending metadata back, however complete it looks.',
  weak,
  twoCommits,
  // marker.tmp is written and fsynced before the marker rename (the commit point): a crash before its
  // fsync leaves commit 2 complete on the medium but not committed.
  { events: [crashAt('fsync', '/store/marker.tmp', 2)] },
);

const beforeMarker = scripted(
  'storage-crash-before-marker',
  'Power loss just before the marker rename of commit 2: its blocks and pending metadata are durable, the marker is not. Recovery must roll commit 2 back (no block newer than the marker becomes visible).',
  weak,
  twoCommits,
  { events: [crashAt('rename', '/store/marker.tmp', 2)] },
);

const afterMarker = scripted(
  'storage-crash-after-marker',
  'Power loss right after the marker rename of commit 2 took effect, before finalize: recovery may find the marker at 1 or 2 (the rename was not yet fsynced) and must finalize or roll back accordingly, all or nothing.',
  weak,
  twoCommits,
  { events: [crashAt('rename', '/store/marker.tmp', 2, 'after')] },
);

/** Commit 1 writes blocks 0-3; commit 2 rewrites 0 and deallocates 2. */
function deallocation(ctx: ScenarioContext): void {
  ctx.at(100, () => {
    for (let id = 0; id < 4; id++) doWrite(ctx, NODE, id, blockData(ctx, weak.blockSize));
    doForceSync(ctx, NODE);
  });
  ctx.at(300, () => {
    doWrite(ctx, NODE, 0, blockData(ctx, weak.blockSize));
    doWrite(ctx, NODE, 2, null);
    doForceSync(ctx, NODE);
  });
}

const pendingDealloc = scripted(
  'storage-pending-dealloc-stray',
  'Power loss during the finalize of a commit that deallocated block 2, before its file is unlinked: the file is a stray. Recovery must delete it durably and the block must stay absent.',
  weak,
  deallocation,
  { events: [crashAt('unlink', '/store/blocks/2.1')] },
);

const tombstoneFinalize = scripted(
  'storage-tombstone-across-finalize',
  'Power loss after the marker of a commit that deallocated block 2, before finalize renamed its pending metadata into place: recovery finalizes the pending metadata and the tombstone must persist (no resurrection).',
  weak,
  deallocation,
  { events: [crashAt('rename', '/store/pending.json', 2)] },
);

const duringRecovery = scripted(
  'storage-crash-during-recovery',
  'Power loss after the marker of commit 2, then another power loss while recovery finalizes it (at its metadata rename), then a clean recovery: the result must equal one clean recovery (idempotence).',
  weak,
  twoCommits,
  {
    // Finalize renames pending.json to meta.json, and so does recovery when it finalizes. The second rule
    // counts the first commit's rename but not the one the first crash hit: its 2nd is recovery's.
    events: [crashAt('rename', '/store/pending.json', 2), crashAt('rename', '/store/pending.json', 2)],
  },
  ['smoke', 'ci', 'default'],
);

const lostMarker = scripted(
  'storage-lost-marker-crash-in-recovery',
  "Power loss right after commit 2's marker rename (weak disk: the rename may land, be lost, or remove the old marker and leave none), then power losses right after each metadata or marker rename of the recoveries that follow: a recovery rewriting meta.json through a rename that removes it must never leave the store without committed metadata (all blocks would then look like strays).",
  weak,
  twoCommits,
  {
    events: [
      crashAt('rename', '/store/marker.tmp', 2, 'after'),
      crashAt('rename', '/store/meta.tmp', 1, 'after'),
      crashAt('rename', '/store/pending.json', 2, 'after'),
      // Counted from the start, but not at an operation another crash already hit: recovery's marker rewrite is the 2nd.
      crashAt('rename', '/store/marker.tmp', 2, 'after'),
    ],
  },
);

const kv: StorageSetup = { backend: 'kv', blockSize: 2048, blocks: 8 };

const kvCommitAt = (when: 'before' | 'after'): FaultPlan['events'][number] => ({
  kind: 'crash',
  node: NODE,
  powerLoss: true,
  restartAfterMs: 100,
  when,
  trigger: { node: NODE, area: 'kv', op: 'commit', target: 'store:blocks,store:meta', nth: 2 },
});

const kvBeforeCommit = scripted(
  'storage-kv-crash-before-commit',
  'Transactional backend: power loss as commit 2 (blocks, metadata and marker in one transaction) is about to apply: recovery must give exactly commit 1, with no block record of commit 2 left.',
  { ...kv, blocks: 8 },
  twoCommits,
  { events: [kvCommitAt('before')] },
);

const kvAfterCommit = scripted(
  'storage-kv-crash-after-commit',
  'Transactional backend: power loss right after commit 2 applied (strict durability), before its caller heard back and before finalize: recovery must give exactly commit 2, all of it.',
  { ...kv, blocks: 8 },
  twoCommits,
  { events: [kvCommitAt('after')] },
);

const EPOCH_ACKED = 'storage.epoch-acked';

/** Commit 1 writes blocks 0-3, commit 2 blocks 2-7, both at fencing epoch 1 (the store was fenced by a leader). */
function twoFencedCommits(ctx: ScenarioContext): void {
  const commit = (ids: number[]): void => {
    const h = ctx.handle<StoreHandle>(NODE);
    if (h === null) return;
    for (const id of ids) {
      const data = blockData(ctx, weak.blockSize);
      oracleOf(ctx).noteWrite(NODE, h.store.write(id, data, { epoch: 1 }).seq, id, data);
    }
    h.store.forceSync({ epoch: 1 }).then(
      (info) => {
        oracleOf(ctx).noteAck(NODE, info.commit);
        ctx.shared.set(EPOCH_ACKED, 1);
        ctx.emit('workload.force-synced', { node: NODE, commit: info.commit });
      },
      (e: unknown) => ctx.emit('workload.force-sync-failed', { node: NODE, code: (e as { code?: string }).code ?? String(e) }),
    );
  };
  ctx.at(100, () => commit([0, 1, 2, 3]));
  ctx.at(300, () => commit([2, 3, 4, 5, 6, 7]));
}

/** invariant:epoch-survives-recovery against the epoch this workload saw acknowledged (src/model/storage/). */
const epochSurvives = epochSurvivesRecovery((ctx) => ctx.shared.get(EPOCH_ACKED) as number | undefined);

const lostMarkerFenced: Scenario = {
  ...scripted(
    'storage-lost-marker-fenced',
    "A store fenced at epoch 1 (file backend, weak disk) loses power right after commit 2's marker rename: the rename may land, be lost, or remove the old marker and leave none. Recovery must give commit 1 or 2, all or nothing, and leave the durable marker at epoch 1: a marker rewritten from the committed metadata keeps its epoch.",
    weak,
    twoFencedCommits,
    { events: [crashAt('rename', '/store/marker.tmp', 2, 'after')] },
  ),
};
lostMarkerFenced.checks = [...(lostMarkerFenced.checks ?? []), epochSurvives];

export default [kvBeforeCommit, kvAfterCommit, mixedPresence, afterSynced, beforeMarker, afterMarker, pendingDealloc, tombstoneFinalize, duringRecovery, lostMarker, lostMarkerFenced].map(
  withLastCopy,
);
