/**
 * Incremental catch-up on reconnect: only what is newer than the per-resource watermarks travels, and a
 * catch-up cut between batches resumes without skipping.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { converged, deviceIds, peerChecking, peerProgram, peerTopology, randomWrites, PEER_SEAMS } from './_common.ts';

const three = deviceIds(3);

const catchupCutTopology = { ...peerTopology(three), net: { connTimeoutMs: 1_000 } };

const catchupCut: Scenario = {
  name: 'peer-catchup-cut',
  description:
    'C is cut off long enough for its connections to reset while A and B write hundreds of records (the retry queues overflow, so catch-up must do the work); right after C reconnects its connections are reset again, mid catch-up. Per-resource watermarks must resume each resource where it stopped: all converge, and each catch-up moves at most the delta plus one batch.',
  suites: ['smoke', 'ci', 'default'],
  topology: catchupCutTopology,
  program: peerProgram(three, { batchSize: 40, retryQueueMax: 4 }),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, ['A', 'B'], 400, 300, 8),
  faults: {
    events: [
      { kind: 'isolate', atMs: 500, node: 'C', durationMs: 3_000 },
      { kind: 'resetConnections', atMs: 3_560, a: 'C' },
      { kind: 'resetConnections', atMs: 3_900, a: 'C' },
    ],
  },
  durationMs: 6_000,
  liveness: converged(three),
  ...peerChecking(catchupCutTopology, { options: { batchSize: 40, retryQueueMax: 4 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [catchupCut];
