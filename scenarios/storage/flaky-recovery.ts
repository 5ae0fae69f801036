/**
 * Recovery under flaky reads: tiny blocks (16 bytes, so two flipped reads often flip the same bit) read
 * through frequent bit flips while the store restarts again and again. Recovery must not take reads that
 * happen to agree for damage at rest: no committed version may be rolled back or deleted on them
 * (invariant:last-copy-kept, invariant:atomic-batch). Refusing such a repair (reporting the block
 * corrupt, to be decided later) is allowed.
 */
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import {
  blockData,
  doForceSync,
  doVerifiedRead,
  doWrite,
  oracleCheck,
  storageTopology,
  storeLiveness,
  storageEvidence,
  storeProgram,
  STORAGE_SEAMS,
  verifyAfterRecovery,
  withLastCopy,
  type StorageSetup,
} from './_harness.ts';

const NODE = 'S';
const nodes = [NODE];
const setup: StorageSetup = { backend: 'file', blockSize: 16, blocks: 8, profile: 'strict', corruption: 'repair', allowCorruption: true };

/** Six power losses 150 ms apart from 400 ms, each followed by a restart 10 ms later. */
const restarts: FaultEvent[] = Array.from({ length: 6 }, (_, k) => ({ kind: 'crash', atMs: 400 + k * 150, node: NODE, powerLoss: true, restartAfterMs: 10 }));

const flakyRecovery: Scenario = {
  name: 'storage-flaky-recovery-reads',
  description:
    'Two commits of 16-byte blocks, then six power losses and restarts while 60% of reads return a flipped bit: recovery must never roll back or delete a committed block on reads that may be transient (the same flip twice is likely with 128 bits); refusing the repair and reporting the block corrupt is allowed.',
  suites: ['smoke', 'ci'],
  topology: storageTopology(nodes, setup),
  program: (_node, ctx) => storeProgram(setup, ctx),
  seams: STORAGE_SEAMS,
  workload: (ctx) => {
    verifyAfterRecovery(ctx, NODE, setup.blocks);
    for (let c = 0; c < 2; c++) {
      ctx.at(100 + c * 100, () => {
        for (let id = 0; id < setup.blocks; id++) doWrite(ctx, NODE, id, blockData(ctx, setup.blockSize));
        doForceSync(ctx, NODE);
      });
    }
    for (let k = 0; k < 40; k++) ctx.at(320 + k * 30, () => doVerifiedRead(ctx, NODE, ctx.rng.int(setup.blocks)));
  },
  faults: { events: [{ kind: 'bitFlip', atMs: 300, node: NODE, probability: 0.6, durationMs: 1_200 }, ...restarts] },
  durationMs: 2_000,
  liveness: storeLiveness(nodes),
  checks: [oracleCheck(setup)],
  models: [recoveryModel],
  evidence: storageEvidence(setup),
  variantAreas: ['storage'],
  probes: STORAGE_PROBES,
};

export default [flakyRecovery].map(withLastCopy);
