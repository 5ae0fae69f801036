/**
 * Slow links and skewed clocks: the status light stays honest on a slow but working link (green only while
 * a ping answered recently vouches for the connection), and clients whose wall clocks are minutes off or
 * drift sync like the others (the protocol uses monotonic time only).
 */
import type { Scenario } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, serverRecords } from './_common.ts';

const three = clientIds(3);
const base = csTopology(three);

const slowLinks: Scenario = {
  name: 'cs-slow-links',
  description:
    "C1's links are slow (300 ms each way, jitter 100 ms, a 5% tail of 900 ms) for 5 s, then C2's are lossy-slow for 2 s; C2 runs a wall clock 3 min ahead, C3 one 90 s behind drifting +500 ppm: every green shown holds its promises (server changes older than 2 s local, writes stored within 2 s), and all end synced.",
  suites: ['ci', 'default', 'nightly'],
  topology: {
    ...base,
    nodes: base.nodes.map((n) => (n.id === 'C2' ? { ...n, clock: { offsetMs: 180_000 } } : n.id === 'C3' ? { ...n, clock: { offsetMs: -90_000, driftPpm: 500 } } : n)),
  },
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 200, 100);
    clientWrites(ctx, three, 150, 300, 50);
    serverRecords(ctx, 50, 3_000, 'mid');
  },
  faults: {
    events: [
      { kind: 'linkFaults', atMs: 500, from: 'C1', latencyMs: 300, jitterMs: 100, tailProbability: 0.05, tailMs: 900, durationMs: 5_000 },
      { kind: 'linkFaults', atMs: 500, to: 'C1', latencyMs: 300, jitterMs: 100, tailProbability: 0.05, tailMs: 900, durationMs: 5_000 },
      { kind: 'linkFaults', atMs: 4_000, to: 'C2', latencyMs: 200, lossRate: 0.05, durationMs: 2_000 },
    ],
  },
  durationMs: 8_000,
  liveness: allSynced(three),
  ...csChecking(three),
};

export default [slowLinks];
