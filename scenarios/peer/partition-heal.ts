/**
 * Three to five devices, partitions and heals, concurrent edits to the same shared records.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { converged, deviceIds, peerChecking, peerProgram, peerTopology, randomWrites, PEER_SEAMS } from './_common.ts';

const three = deviceIds(3);
const five = deviceIds(5);

const partitionHealTopology = peerTopology(three);

const partitionHeal: Scenario = {
  name: 'peer-partition-heal',
  description:
    'Three devices edit device-owned and shared records (the same shared records concurrently) while a partition splits {A} from {B, C} and later {A, B} from {C}; after healing all converge, nothing acknowledged is lost, deletes stick, logs are pruned only after every ack.',
  suites: ['smoke', 'ci', 'default'],
  topology: partitionHealTopology,
  program: peerProgram(three),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, three, 120, 200, 50),
  faults: {
    events: [
      { kind: 'partition', atMs: 1_000, a: ['A'], b: ['B', 'C'], durationMs: 2_500 },
      { kind: 'partition', atMs: 4_500, a: ['A', 'B'], b: ['C'], durationMs: 1_500 },
    ],
  },
  durationMs: 7_000,
  liveness: converged(three),
  ...peerChecking(partitionHealTopology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const fivePartitionsTopology = peerTopology(five);

const fivePartitions: Scenario = {
  name: 'peer-five-partitions',
  description:
    'Five devices under a rolling series of partitions and a crash with restart, with concurrent edits to shared records; after healing all converge.',
  suites: ['ci', 'nightly'],
  topology: fivePartitionsTopology,
  program: peerProgram(five),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, five, 300, 200, 25),
  faults: {
    events: [
      { kind: 'partition', atMs: 800, a: ['A', 'B'], b: ['C', 'D', 'E'], durationMs: 2_000 },
      { kind: 'crash', atMs: 2_000, node: 'D', restartAfterMs: 800 },
      { kind: 'partition', atMs: 3_500, a: ['A', 'C', 'E'], b: ['B', 'D'], durationMs: 2_000 },
      { kind: 'isolate', atMs: 6_000, node: 'E', durationMs: 1_200 },
    ],
  },
  durationMs: 8_000,
  liveness: converged(five),
  ...peerChecking(fivePartitionsTopology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

/**
 * Resends after an ack timeout: A's log keeps what C (cut off) has not acknowledged, B acknowledges as it
 * receives, then A's messages to B are held: B leaves A's head unacknowledged past `ackTimeoutMs` while the
 * connection stays open, so A resends, and must resend only what B has not acknowledged
 * (invariant:resend-unacked; resends are rare elsewhere).
 */
const resendCloggedTopology = { ...peerTopology(three), net: { connTimeoutMs: 4_000 } };

const resendClogged: Scenario = {
  name: 'peer-resend-clogged',
  description:
    "A writes shared records while C is cut off (A keeps them in its log until C acknowledges) and B acknowledges them; then A's messages to B are held for 3 s: A resends what B has not acknowledged, and only that. All converge.",
  suites: ['smoke', 'ci'],
  topology: resendCloggedTopology,
  program: peerProgram(three),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, ['A'], 40, 200, 100),
  faults: {
    events: [
      { kind: 'isolate', atMs: 300, node: 'C', durationMs: 5_000 },
      { kind: 'clog', atMs: 1_500, from: 'A', to: 'B', durationMs: 3_000 },
    ],
  },
  durationMs: 7_000,
  liveness: converged(three),
  ...peerChecking(resendCloggedTopology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [partitionHeal, fivePartitions, resendClogged];
