/**
 * Three to five devices, partitions and heals, concurrent edits to the same shared records.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { converged, deviceIds, peerChecking, peerProgram, peerTopology, randomWrites, sharedTransactions, PEER_SEAMS } from './_common.ts';

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

/**
 * More unacknowledged changes than one batch, with a gap at the receiver: while B is offline A writes 40
 * shared changes one at a time, more than its retry queue for B holds (8: the queue overflows and the
 * oldest queued changes are dropped), so after the heal B holds A's chain with a gap in the middle. B's
 * messages to A (its acknowledgements and the catch-up it asks for at the gap) are then held for 3 s,
 * while A, seeing its head unacknowledged, resends: the resend must be the first batch (8) after what B
 * acknowledged, chained to it, so B's acknowledgement follows only what it holds. A resend of any other
 * part of the log (the newest batch, chained to the last acknowledgement) makes B acknowledge over the gap
 * (invariant:ack-held) and its watermark jump it (invariant:watermark-complete). Nowhere else do more than
 * a batch of changes wait unacknowledged for a connected peer that misses some of them.
 */
const resendPastGapOptions = { batchSize: 4, retryQueueMax: 8, connectTimeoutMs: 5_000 };
const resendPastGapTopology = peerTopology(deviceIds(2));

const resendPastGap: Scenario = {
  name: 'peer-resend-past-gap',
  description:
    "A writes 40 shared changes while B is offline (A's retry queue for B overflows: B gets a chain with a gap); then B's messages to A are held for 3 s while A resends what B has not acknowledged, more than a batch: the resend starts after B's acknowledgement, and B acknowledges only what it holds. Both converge.",
  suites: ['smoke', 'ci'],
  topology: resendPastGapTopology,
  program: peerProgram(deviceIds(2), resendPastGapOptions),
  seams: PEER_SEAMS,
  workload: (ctx) => sharedTransactions(ctx, 'A', 'album', 1, 40, 400, 40),
  faults: {
    events: [
      { kind: 'isolate', atMs: 500, node: 'B', durationMs: 1_600 },
      { kind: 'resetConnections', atMs: 500, a: 'A', b: 'B' },
      { kind: 'linkFaults', atMs: 2_000, from: 'B', to: 'A', latencyMs: 1_500, durationMs: 6_000 },
    ],
  },
  durationMs: 12_000,
  liveness: converged(deviceIds(2)),
  ...peerChecking(resendPastGapTopology, { options: resendPastGapOptions }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [partitionHeal, fivePartitions, resendClogged, resendPastGap];
