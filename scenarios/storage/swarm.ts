/**
 * Long random workloads on two stores (one device each) under swarm faults drawn from the seed: power
 * losses at disk or kv operations, I/O errors and ENOSPC, failing fsyncs, torn writes and flipped reads
 * (file backend; the kv backend gets power losses and errors at its commits).
 * AutoSync commits in the background; the workload forces syncs now and then and reads back with
 * verification. One scenario per backend: the same model and oracle check both.
 */
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';
import type { SwarmOptions } from '../../src/faults/swarm.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import {
  oracleCheck,
  storageEvidence,
  randomWorkload,
  storageTopology,
  storeLiveness,
  storeProgram,
  STORAGE_SEAMS,
  verifyAfterRecovery,
  withLastCopy,
  type StorageSetup,
} from './_harness.ts';

const nodes = ['S1', 'S2'];

function swarm(name: string, description: string, setup: StorageSetup, suites: string[], ops: number, durationMs: number, damage = false): Scenario {
  const kinds = setup.backend === 'kv' ? KV_SWARM : FILE_SWARM;
  return {
    name,
    description,
    suites,
    topology: storageTopology(nodes, setup),
    program: (_node, ctx) => storeProgram(setup, ctx),
    seams: STORAGE_SEAMS,
    workload: (ctx) => {
      for (const n of nodes) verifyAfterRecovery(ctx, n, setup.blocks);
      randomWorkload(ctx, nodes, setup, { ops, everyMs: durationMs / ops, deallocP: 0.05, forceSyncP: 0.1, readP: 0.15 });
    },
    faults: { swarm: damage ? withDamage(kinds, setup) : kinds },
    durationMs,
    liveness: storeLiveness(nodes, 10_000),
    checks: [oracleCheck(setup)],
    models: [recoveryModel],
    evidence: storageEvidence(setup),
    variantAreas: ['storage'],
    probes: STORAGE_PROBES,
  };
}

/**
 * The file backend: crashes (power losses or the process alone) at the disk operations the store
 * performs (rough rates per store in a no-fault run: writeFile, fsync and fsyncDir ~25/s, reads ~15/s,
 * renames ~10/s, unlinks ~5/s; it never calls write), I/O errors and ENOSPC at those operations,
 * failing fsyncs, torn writes, flipped reads.
 */
const FILE_SWARM: SwarmOptions = {
  kinds: ['crash', 'diskError', 'fsyncFail', 'tornWrite', 'bitFlip'],
  triggerOps: [
    { area: 'disk', op: 'writeFile', perSec: 15 },
    { area: 'disk', op: 'fsync', perSec: 15 },
    { area: 'disk', op: 'fsyncDir', perSec: 15 },
    { area: 'disk', op: 'rename', perSec: 6 },
    { area: 'disk', op: 'read', perSec: 8 },
    { area: 'disk', op: 'unlink', perSec: 3 },
  ],
  errorOps: [
    { area: 'disk', op: 'writeFile' },
    { area: 'disk', op: 'fsync' },
    { area: 'disk', op: 'fsyncDir' },
    { area: 'disk', op: 'read' },
    { area: 'disk', op: 'rename' },
    { area: 'disk', op: '*' },
  ],
};

/**
 * The kv backend has no files: its faults are crashes at commits and reads (~10/s each per store) and
 * errors (EIO, ENOSPC) at them. Fsync failures, torn writes and flipped reads are disk faults that a
 * kv-only program never meets.
 */
const KV_SWARM: SwarmOptions = {
  kinds: ['crash', 'diskError'],
  triggerOps: [
    { area: 'kv', op: 'commit', perSec: 6 },
    { area: 'kv', op: 'get', perSec: 8 },
  ],
  errorOps: [
    { area: 'kv', op: 'commit' },
    { area: 'kv', op: 'get' },
  ],
};

/**
 * The long swarms also damage block versions at rest (`corrupt` on the store's block files or values,
 * current or previous versions, at a time or at an operation): recovery must repair a damaged current
 * version from an intact previous one and never roll back to a damaged one (invariant:checksums-valid,
 * judged from the simulator's damage records). Documents (metadata, marker, pending) are not damaged
 * here: a store keeps one copy of each, so their damage can legitimately lose acknowledged writes.
 */
function withDamage(o: SwarmOptions, setup: StorageSetup): SwarmOptions {
  const target = setup.backend === 'kv' ? { area: 'kv' as const, path: 'store:blocks' } : { area: 'disk' as const, path: '/store/blocks/*' };
  return { ...o, kinds: [...(o.kinds ?? []), 'corrupt'], corruptTargets: [target] };
}

const fileSetup: StorageSetup = {
  backend: 'file',
  blockSize: 2048,
  blocks: 16,
  profile: 'weak',
  autosync: { intervalMs: 200, maxDirtyBlocks: 6, debounceMs: 5 },
};

const kvSetup: StorageSetup = {
  backend: 'kv',
  blockSize: 2048,
  blocks: 16,
  relaxedCommits: true,
  autosync: { intervalMs: 200, maxDirtyBlocks: 6, debounceMs: 5 },
};

export default [
  swarm(
    'storage-swarm-file',
    'Random writes, deallocations, forced syncs and verified reads on two file-backed stores (weak disks) with AutoSync, under a swarm of power losses, disk errors, fsync failures, torn writes and bit flips.',
    fileSetup,
    ['smoke', 'ci', 'default'],
    150,
    3_000,
  ),
  swarm(
    'storage-swarm-kv',
    'The same random workload on two stores over the transactional kv backend (relaxed background commits, strict forced ones) under a swarm of power losses at commits and failed commits (EIO, ENOSPC).',
    kvSetup,
    ['smoke', 'ci', 'default'],
    150,
    3_000,
  ),
  swarm(
    'storage-swarm-file-long',
    'A long random workload on two file-backed stores under swarm faults and damage to block files at rest (nightly).',
    { ...fileSetup, allowCorruption: true },
    ['nightly'],
    3_000,
    60_000,
    true,
  ),
  swarm('storage-swarm-kv-long', 'A long random workload on two kv-backed stores under swarm faults and damage to block values at rest (nightly).', { ...kvSetup, allowCorruption: true }, ['nightly'], 3_000, 60_000, true),
].map(withLastCopy);
