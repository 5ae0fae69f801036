/**
 * Devices joining a library: backfill of 10,000 records with a crash mid-backfill, the backfill peer
 * dropping mid-stream, every peer gone and back, and the live-update buffer overflowing.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { converged, deviceIds, peerChecking, peerProgram, peerTopology, randomWrites, seedLibrary, PEER_SEAMS } from './_common.ts';

const five = deviceIds(5);
const four = deviceIds(4);
const founders5 = five.slice(0, 4);
const founders4 = four.slice(0, 3);
const three = deviceIds(3);
const founders3 = three.slice(0, 2);

const join10kTopology = peerTopology(five, { E: { role: 'joiner', startAtMs: 1_500 } });

const join10k: Scenario = {
  name: 'peer-join-10k-crash',
  description:
    'Device E joins a library of 10,000 records held by A-D while they keep writing; E loses power at its 8th kv commit (mid-backfill) and restarts: it must resume from its checkpoint, buffer live updates and apply them once, and converge.',
  suites: ['smoke', 'ci', 'default'],
  topology: join10kTopology,
  program: peerProgram(five),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, founders5, 10_000, 100);
    randomWrites(ctx, founders5, 150, 1_200, 30);
  },
  faults: {
    events: [{ kind: 'crash', node: 'E', trigger: { node: 'E', area: 'kv', op: 'commit', nth: 8 }, powerLoss: true, restartAfterMs: 400 }],
  },
  durationMs: 8_000,
  liveness: converged(five),
  ...peerChecking(join10kTopology),
  maxEvents: 3_000_000,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const peerDropTopology = peerTopology(four, { D: { role: 'joiner', startAtMs: 1_000 } });

const peerDrop: Scenario = {
  name: 'peer-backfill-peer-drop',
  description:
    'Device D backfills 4,000 records; A crashes at D\'s 3rd kv commit and B at its 6th, mid-stream: D saves its checkpoint, switches to the remaining peers (chosen by measured RTT) and resumes without skipping.',
  suites: ['smoke', 'ci', 'default'],
  topology: peerDropTopology,
  program: peerProgram(four, { batchSize: 250 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, founders4, 4_000, 100);
    randomWrites(ctx, founders4, 80, 900, 40);
  },
  faults: {
    events: [
      { kind: 'crash', node: 'A', trigger: { node: 'D', area: 'kv', op: 'commit', nth: 3 }, restartAfterMs: 3_000 },
      { kind: 'crash', node: 'B', trigger: { node: 'D', area: 'kv', op: 'commit', nth: 6 }, restartAfterMs: 3_000 },
    ],
  },
  durationMs: 6_000,
  liveness: converged(four),
  ...peerChecking(peerDropTopology, { options: { batchSize: 250 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const allGoneTopology = { ...peerTopology(four, { D: { role: 'joiner', startAtMs: 1_000 } }), net: { connTimeoutMs: 1_500 } };

const allGone: Scenario = {
  name: 'peer-all-peers-gone',
  description:
    'Device D is cut off from every peer mid-backfill long enough for its connections to reset: it pauses (no peer reachable), loses power while paused, restarts still cut off and pauses again, and resumes from its checkpoint on reconnection; ready devices catch up incrementally afterwards.',
  suites: ['smoke', 'ci', 'default'],
  topology: allGoneTopology,
  program: peerProgram(four, { batchSize: 250 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, founders4, 3_000, 100);
    randomWrites(ctx, four, 120, 900, 40);
  },
  faults: {
    events: [
      { kind: 'isolate', node: 'D', trigger: { node: 'D', area: 'kv', op: 'commit', nth: 3 }, durationMs: 3_000 },
      // While paused (its links reset after 1.5 s): lose power, restart still cut off, pause again.
      { kind: 'crash', atMs: 3_300, node: 'D', powerLoss: true, restartAfterMs: 300 },
    ],
  },
  durationMs: 7_000,
  liveness: converged(four),
  ...peerChecking(allGoneTopology, { options: { batchSize: 250 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const bufferOverflowTopology = peerTopology(four, { D: { role: 'joiner', startAtMs: 800 } });

const bufferOverflow: Scenario = {
  name: 'peer-join-buffer-overflow',
  description:
    'Device D backfills slowly (small batches) while the others write fast: its live-update buffer (bufferMax 40) overflows; the overflow must be visible and followed by catch-up, never a silent drop.',
  suites: ['smoke', 'ci'],
  topology: bufferOverflowTopology,
  program: peerProgram(four, { batchSize: 50, bufferMax: 40 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, founders4, 3_000, 100);
    randomWrites(ctx, founders4, 200, 800, 10);
  },
  durationMs: 5_000,
  liveness: converged(four),
  ...peerChecking(bufferOverflowTopology, { options: { batchSize: 50, bufferMax: 40 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const completeUnderLoadTopology = { ...peerTopology(three, { C: { role: 'joiner', startAtMs: 200 } }), devices: { C: { kv: { strictCommitUs: 4_000 } } } };

const completeUnderLoad: Scenario = {
  name: 'peer-join-complete-under-load',
  description:
    'Device C, whose storage is slow (4 ms a strict commit), joins a small library while A and B write two records a millisecond right through the end of its backfill, with a live-update buffer of 2: updates keep arriving while the buffer is applied (the rounds before Ready), overflowing it or sending it round again; every overflow is visible and followed by catch-up, every update is applied once, and all converge.',
  suites: ['ci'],
  topology: completeUnderLoadTopology,
  program: peerProgram(three, { batchSize: 100, bufferMax: 2 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, founders3, 300, 50);
    // C's links come up about 600 ms after it starts; its backfill then takes some 100 ms.
    randomWrites(ctx, founders3, 600, 750, 0.5);
  },
  durationMs: 2_000,
  liveness: converged(three),
  ...peerChecking(completeUnderLoadTopology, { options: { batchSize: 100, bufferMax: 2 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const twoJoinersTopology = {
  ...peerTopology(five, { C: { role: 'joiner', startAtMs: 600 }, D: { role: 'joiner', startAtMs: 700 }, E: { role: 'joiner', startAtMs: 3_000 } }),
  devices: { C: { kv: { strictCommitUs: 15_000 } } },
};

const twoJoiners: Scenario = {
  name: 'peer-join-two-joiners',
  description:
    'Devices C and D join a library of 3,000 records held by A and B, D while C is still backfilling (C\'s storage is slow: 15 ms a strict commit, batches of 100): D must backfill only from devices holding the whole library (A and B), never from C, whose heartbeats may say ready only once it is complete. Then E joins while A and B are cut off from it (3 s, for 3 s): it backfills from the joiners C and D, now durably complete; all converge.',
  suites: ['smoke', 'ci'],
  topology: twoJoinersTopology,
  program: peerProgram(five, { batchSize: 100 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, founders4.slice(0, 2), 3_000, 100);
    randomWrites(ctx, founders4.slice(0, 2), 100, 700, 20);
  },
  // E's backfill can only come from a joiner: invariant:backfill-from-complete judges its answers.
  faults: { events: [{ kind: 'partition', atMs: 2_900, a: ['A', 'B'], b: ['E'], durationMs: 3_000 }] },
  durationMs: 7_000,
  liveness: converged(five),
  ...peerChecking(twoJoinersTopology, { options: { batchSize: 100 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [join10k, peerDrop, allGone, bufferOverflow, completeUnderLoad, twoJoiners];
