/**
 * Damage at rest (`corrupt` faults on durable block files) where the oracle can judge what recovery makes
 * of it: current versions whose previous version is intact (recovery in repair mode must roll back to it),
 * current and previous versions both damaged (nothing verifies: the block stays reported corrupt, never
 * "repaired" to a damaged copy), a previous version alone damaged, a block written again over a version
 * left damaged, and a truncated current version. The node's wall clock is two hours behind, drifts, and
 * jumps back and forth between commits, so the block mtimes the metadata records are held to that node's
 * own clock (invariant:block-mtime).
 */
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import { BlockStore } from '../../src/impl/storage/index.ts';
import { blockData, doForceSync, doVerifiedRead, doWrite, oracleOf, scriptedScenario, withLastCopy, type StorageSetup, type StoreHandle } from './_harness.ts';

const NODE = 'S';
const setup: StorageSetup = { backend: 'file', blockSize: 2048, blocks: 8, profile: 'strict', corruption: 'repair', allowCorruption: true, demandRepair: true };
const kvSetup: StorageSetup = { ...setup, backend: 'kv' };

/** A forced commit at `atMs` writing `ids`. */
function commit(ctx: ScenarioContext, atMs: number, ids: number[]): void {
  ctx.at(atMs, () => {
    for (const id of ids) doWrite(ctx, NODE, id, blockData(ctx, setup.blockSize));
    doForceSync(ctx, NODE);
  });
}

const damage = (atMs: number, file: string, mode: 'flip' | 'zero' | 'truncate'): FaultEvent => ({ kind: 'corrupt', atMs, node: NODE, path: `/store/blocks/${file}`, mode });
const powerCycle = (atMs: number): FaultEvent => ({ kind: 'crash', atMs, node: NODE, powerLoss: true, restartAfterMs: 50 });

const all = [0, 1, 2, 3, 4, 5, 6, 7];

/** The workload of both scenarios: five forced commits, reads between them. */
function script(ctx: ScenarioContext): void {
  commit(ctx, 100, all); // commit 1: every block v1
  commit(ctx, 200, all); // commit 2: v2 (previous v1)
  commit(ctx, 300, [0, 1, 2, 3]); // commit 3: blocks 0-3 v3 (previous v2)
  commit(ctx, 700, [1, 5, 6]); // commit 4: block 1 v4 over the damaged v3; 5 and 6 v4 (previous v1 / v2)
  commit(ctx, 1_100, all); // commit 5
  for (let k = 0; k < 20; k++) ctx.at(1_000 + k * 5, () => doVerifiedRead(ctx, NODE, k % setup.blocks));
}

/**
 * Reads every block through `BlockStore.readCommitted` (kv: one read-only transaction, no open, as another
 * tab does), the oracle judging each answer as it does the store's own reads: an error is an answer, bytes
 * the workload never committed there are not. Only the built-in store has it (a plugged store is not asked).
 */
function committedReads(ctx: ScenarioContext): void {
  const h = ctx.handle<StoreHandle>(NODE);
  if (h === null || h.env === undefined || h.options === undefined || !(h.store instanceof BlockStore)) return;
  const oracle = oracleOf(ctx);
  for (let id = 0; id < setup.blocks; id++) {
    const before = oracle.expected(NODE).get(id);
    BlockStore.readCommitted(h.env, h.options, id).then(
      (got) => oracle.verifyRead(NODE, id, before, got),
      (e: unknown) => oracle.verifyRead(NODE, id, before, e instanceof Error ? e : new Error(String(e))),
    );
  }
}

/** The workload of `script`, plus committed reads by another path while blocks lie damaged and after each recovery. */
function kvScript(ctx: ScenarioContext): void {
  script(ctx);
  for (const t of [420, 620, 820, 1_000, 1_300]) ctx.at(t, () => committedReads(ctx));
}

const clock = { offsetMs: -7_200_000, driftPpm: 400 };
const kvDamage = (atMs: number, mode: 'flip' | 'zero'): FaultEvent => ({ kind: 'corrupt', atMs, node: NODE, area: 'kv', path: 'store:blocks', mode });

/** A power loss at the nth disk `op` (on `target`, if given; the node restarts 30 ms later: four fit before commit 4). */
const repairCrash = (op: string, target: string | undefined, nth: number, when: 'before' | 'after'): FaultEvent => ({
  kind: 'crash',
  node: NODE,
  powerLoss: true,
  restartAfterMs: 30,
  when,
  trigger: { node: NODE, area: 'disk', op, nth, ...(target === undefined ? {} : { target }) },
});

/** A power loss right after the nth kv transaction on the metadata alone (a recovery's adopt: commits also write blocks). */
const kvRepairCrash = (nth: number): FaultEvent => ({
  kind: 'crash',
  node: NODE,
  powerLoss: true,
  restartAfterMs: 50,
  when: 'after',
  trigger: { node: NODE, area: 'kv', op: 'commit', target: 'store:meta', nth },
});

export default [
  scriptedScenario({
    name: 'storage-damage-at-rest-repair',
    description:
      'Block files damaged at rest between commits, then power cycles (repair mode): a damaged current version with an intact previous one must be repaired to it; one whose previous version is damaged too (before, or after the block was rewritten over it) must stay reported corrupt, never be rolled back to the damaged copy; a previous version damaged alone or a truncated current one changes nothing else. The node\'s clock is skewed, drifts and jumps: block mtimes must be its wall clock during each commit.',
    setup,
    node: NODE,
    clock,
    script,
    faults: {
      events: [
        { kind: 'clockJump', atMs: 250, node: NODE, deltaMs: -45_000 },
        damage(400, '0.3', 'flip'), // repairable: 0.2 intact
        damage(400, '1.3', 'zero'), // 1.3 and 1.2 both damaged: stays corrupt
        damage(400, '1.2', 'flip'),
        damage(400, '4.1', 'flip'), // a previous version alone
        damage(400, '5.2', 'truncate'), // the current version cut short (5.1 intact)
        powerCycle(450),
        powerCycle(560), // the repairs of the recovery at 500 must be durable: no commit since
        { kind: 'clockJump', atMs: 650, node: NODE, deltaMs: 30_000 },
        damage(800, '1.4', 'flip'), // its previous version is 1.3, damaged since 400: stays corrupt
        damage(800, '6.4', 'zero'), // repairable: 6.2 intact
        damage(800, '2.3', 'flip'), // repairable: 2.2 intact
        powerCycle(850),
        powerCycle(1_200),
      ],
    },
  }),
  scriptedScenario({
    name: 'storage-damage-at-rest-repair-kv',
    description:
      'The kv backend under damage at rest (repair mode): block values picked by the seed (current or previous versions, some twice) get a flipped bit or a zeroed run between commits and power cycles: every repair must roll back to a previous version that verifies, a block with an intact previous version must be repaired, one without must stay reported corrupt. The node\'s clock is skewed, drifts and jumps: block mtimes must be its wall clock during each commit.',
    setup: kvSetup,
    node: NODE,
    clock,
    script,
    faults: {
      events: [
        { kind: 'clockJump', atMs: 250, node: NODE, deltaMs: -45_000 },
        ...[0, 1, 2, 3, 4].map((k) => kvDamage(400, k % 2 === 0 ? 'flip' : 'zero')),
        powerCycle(450),
        { kind: 'clockJump', atMs: 650, node: NODE, deltaMs: 30_000 },
        ...[0, 1, 2, 3].map((k) => kvDamage(800, k % 2 === 0 ? 'zero' : 'flip')),
        powerCycle(850),
        powerCycle(1_200),
      ],
    },
  }),
  scriptedScenario({
    name: 'storage-repair-crash',
    description:
      'Power losses in the middle of repairs (weak disk: unsynced writes and renames land, vanish or tear): blocks damaged at rest, then the recovery that repairs them loses power right after writing its metadata, the next one right after renaming it into place, the next one right before it deletes the damaged 0.3; later damage, and a power loss right after a repair deleted the damaged 6.4. Every recovery after that must give the committed data (repaired to intact previous versions, or reported corrupt), never an unreadable store nor a lost block.',
    setup: { ...setup, profile: 'weak' },
    node: NODE,
    clock,
    script,
    faults: {
      events: [
        damage(400, '0.3', 'flip'), // repairable: 0.2 intact
        damage(400, '1.3', 'zero'), // both versions damaged: stays corrupt
        damage(400, '1.2', 'flip'),
        damage(400, '5.2', 'truncate'), // repairable: 5.1 intact
        powerCycle(450),
        // Counted over every file, whatever the store names them: commits 1-3 made 26 writes and 26 file
        // fsyncs (20 blocks, 3 metadata, 3 markers), 6 renames and 4 unlinks (commit 3's finalize), and the
        // recovery at 500 ms deletes the truncated 5.2 (the 5th unlink) before it repairs. That recovery
        // loses power right after the repair's first write (not synced), the next one right after its
        // first fsync, the next one right after its first rename, and the next one right before it deletes
        // the damaged 0.3 (by a repair or as a stray; named: the next deletion counted over every file is
        // mostly recovery's removal of a leftover pending.json).
        repairCrash('writeFile', undefined, 27, 'after'),
        repairCrash('fsync', undefined, 27, 'after'),
        repairCrash('rename', undefined, 7, 'after'),
        repairCrash('unlink', '/store/blocks/0.3', 1, 'before'),
        damage(800, '6.4', 'zero'), // repairable: 6.2 intact
        damage(800, '2.3', 'flip'), // repairable: 2.2 intact
        powerCycle(850),
        repairCrash('unlink', '/store/blocks/6.4', 1, 'after'),
        powerCycle(1_200),
      ],
    },
  }),
  scriptedScenario({
    name: 'storage-repair-crash-kv',
    description:
      'The kv backend: block values damaged at rest (picked by the seed), then a power loss right after the recovery that repairs them made its metadata durable, before it deleted the damaged versions; again after later damage. The next recovery must finish the repair from what is durable. Another path reads committed blocks without opening the store (BlockStore.readCommitted) while they lie damaged and after each recovery: never damaged bytes.',
    setup: kvSetup,
    node: NODE,
    clock,
    script: kvScript,
    faults: {
      events: [
        ...[0, 1, 2, 3, 4].map((k) => kvDamage(400, k % 2 === 0 ? 'flip' : 'zero')),
        powerCycle(450),
        kvRepairCrash(1),
        ...[0, 1, 2, 3].map((k) => kvDamage(800, k % 2 === 0 ? 'zero' : 'flip')),
        powerCycle(850),
        // The first metadata-only commit after the first crash fired: a rule that fired does not count the
        // operations after it (src/faults/rules.ts), so nth 1 again, not 2. It fires when the recovery at
        // 850 ms has something to repair (the seed picks the damaged values: 11 of seeds 0..19).
        kvRepairCrash(1),
        powerCycle(1_200),
      ],
    },
  }),
].map(withLastCopy);
