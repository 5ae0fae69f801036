/**
 * Swarm runs: faults drawn from the seed (partitions, crashes, clogs, resets, lossy links, clock jumps,
 * kv errors) over founders and a joining device.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { SWARM_ERROR_OPS, SWARM_KINDS, SWARM_MAX_DRIFT_MS, SWARM_TRIGGER_OPS, converged, deviceIds, peerChecking, peerProgram, peerTopology, randomWrites, seedLibrary, PEER_SEAMS } from './_common.ts';

const four = deviceIds(4);
const five = deviceIds(5);

const swarmTopology = peerTopology(four, { D: { role: 'joiner', startAtMs: 1_000 } });

const swarm: Scenario = {
  name: 'peer-swarm',
  description: 'Four devices (D joins after 1 s) under a swarm of faults drawn from the seed; after healing all converge and every invariant holds.',
  suites: ['smoke', 'ci', 'default'],
  topology: swarmTopology,
  program: peerProgram(four, { batchSize: 100, maxDriftMs: SWARM_MAX_DRIFT_MS }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, ['A', 'B', 'C'], 600, 100);
    randomWrites(ctx, four, 200, 300, 25);
  },
  faults: { swarm: { kinds: SWARM_KINDS, errorOps: SWARM_ERROR_OPS, triggerOps: SWARM_TRIGGER_OPS } },
  durationMs: 6_000,
  liveness: converged(four, 30_000),
  ...peerChecking(swarmTopology, { options: { batchSize: 100, maxDriftMs: SWARM_MAX_DRIFT_MS } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const longSwarmTopology = peerTopology(five, { E: { role: 'joiner', startAtMs: 2_000 } });

const longSwarm: Scenario = {
  name: 'peer-swarm-long',
  description: 'Five devices (E joins a 3,000-record library) under a 40 s swarm of faults; after healing all converge and every invariant holds.',
  suites: ['nightly'],
  topology: longSwarmTopology,
  program: peerProgram(five, { batchSize: 200, maxDriftMs: SWARM_MAX_DRIFT_MS }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, ['A', 'B', 'C', 'D'], 3_000, 100);
    randomWrites(ctx, five, 2_000, 500, 20);
  },
  faults: { swarm: { kinds: SWARM_KINDS, errorOps: SWARM_ERROR_OPS, triggerOps: SWARM_TRIGGER_OPS } },
  durationMs: 40_000,
  liveness: converged(five, 40_000),
  ...peerChecking(longSwarmTopology, { options: { batchSize: 200, maxDriftMs: SWARM_MAX_DRIFT_MS } }),
  maxEvents: 5_000_000,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const storageFaultsTopology = peerTopology(four, { D: { role: 'joiner', startAtMs: 600 } });

const storageFaults: Scenario = {
  name: 'peer-kv-errors',
  description:
    'Every device\'s kv commits fail with EIO (5%) or ENOSPC (2%) for 4 s while D backfills and all write: failed writes are refused to the caller, failed applies are fetched again by catch-up, backfill retries; all converge.',
  suites: ['smoke', 'ci'],
  topology: storageFaultsTopology,
  program: peerProgram(four, { batchSize: 100 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, ['A', 'B', 'C'], 900, 100);
    randomWrites(ctx, four, 200, 300, 20);
  },
  faults: {
    events: four.flatMap((node) => [
      { kind: 'diskError' as const, atMs: 500, node, area: 'kv' as const, op: 'commit', code: 'EIO' as const, probability: 0.05, durationMs: 4_000 },
      { kind: 'diskError' as const, atMs: 500, node, area: 'kv' as const, op: 'commit', code: 'ENOSPC' as const, probability: 0.02, durationMs: 4_000 },
    ]),
  },
  durationMs: 5_000,
  liveness: converged(four),
  ...peerChecking(storageFaultsTopology, { options: { batchSize: 100 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [swarm, longSwarm, storageFaults];
