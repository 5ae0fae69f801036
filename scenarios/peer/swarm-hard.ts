/**
 * A harder swarm for nightly runs: five devices, two of them joining mid-run, small batches, a small
 * live-update buffer and retry queue, and frequent crashes, resets, partitions, clock jumps and kv errors.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { SWARM_ERROR_OPS, SWARM_MAX_DRIFT_MS, SWARM_TRIGGER_OPS, converged, deviceIds, peerChecking, peerProgram, peerTopology, randomWrites, seedLibrary, PEER_SEAMS } from './_common.ts';

const five = deviceIds(5);

const hardTopology = { ...peerTopology(five, { D: { role: 'joiner', startAtMs: 800 }, E: { role: 'joiner', startAtMs: 2_500 } }), net: { connTimeoutMs: 2_000 } };

const hard: Scenario = {
  name: 'peer-swarm-hard',
  description:
    'Five devices (D joins at 0.8 s, E at 2.5 s) with small batches, buffer and retry queue under frequent crashes, connection resets, partitions, clock jumps and drift, stalls, clogs, pauses and kv errors; all converge and every invariant holds.',
  suites: ['nightly'],
  topology: hardTopology,
  program: peerProgram(five, { batchSize: 60, bufferMax: 300, retryQueueMax: 16, maxDriftMs: SWARM_MAX_DRIFT_MS }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, ['A', 'B', 'C'], 1_500, 100);
    randomWrites(ctx, five, 600, 300, 15);
  },
  faults: {
    swarm: {
      kinds: ['crash', 'partition', 'isolate', 'resetConnections', 'clockJump', 'clockDrift', 'linkFaults', 'stall', 'pause', 'clog', 'diskError'],
      errorOps: SWARM_ERROR_OPS, triggerOps: SWARM_TRIGGER_OPS,
      enableProbability: 0.7,
      ratePerSec: { crash: { min: 0.3, max: 1 }, resetConnections: { min: 0.3, max: 1 }, partition: { min: 0.2, max: 0.6 } },
    },
  },
  durationMs: 10_000,
  liveness: converged(five, 40_000),
  ...peerChecking(hardTopology, { options: { batchSize: 60, bufferMax: 300, retryQueueMax: 16, maxDriftMs: SWARM_MAX_DRIFT_MS } }),
  maxEvents: 4_000_000,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [hard];
