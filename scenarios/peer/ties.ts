/**
 * Equal HLCs from different devices: the last-writer-wins order of shared records is the HLC string, whose
 * device id breaks a tie of physical ms and counter. No other scenario produced such a tie on one record
 * (the devices' clocks differ, or their writes fall on different instants): a tie-break inverted anywhere
 * passed every run. Here four devices with agreeing clocks write the same shared record in the same
 * instant, round after round (a tombstone now and then), live and across a partition and a crash, so ties
 * are decided by live changes, catch-up and the restarted device's reload.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { converged, deviceIds, peerChecking, peerProgram, peerTopology, randomWrites, sharedTies, PEER_SEAMS } from './_common.ts';

const four = deviceIds(4);
const topology = peerTopology(four);

const ties: Scenario = {
  name: 'peer-equal-hlc-ties',
  description:
    'Four devices with agreeing clocks write the same shared record in the same instant, 60 rounds (one tombstone in five rounds), with random writes besides, while B is partitioned off and C crashes: ties of physical ms and counter are decided by the device id (the HLC string) the same way everywhere, and no acknowledged write loses to a write the documented order puts below it.',
  suites: ['smoke', 'ci'],
  topology,
  program: peerProgram(four),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    sharedTies(ctx, four, 'tag', 40, 300, 61);
    sharedTies(ctx, four, 'album', 20, 331, 127);
    randomWrites(ctx, four, 60, 250, 45);
  },
  faults: {
    events: [
      { kind: 'partition', atMs: 1_200, a: ['B'], b: ['A', 'C', 'D'], durationMs: 900 },
      { kind: 'crash', atMs: 2_400, node: 'C', restartAfterMs: 200 },
    ],
  },
  durationMs: 4_000,
  liveness: converged(four),
  ...peerChecking(topology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [ties];
