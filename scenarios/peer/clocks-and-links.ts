/**
 * Clocks and unreliable links: skewed clocks and a clock stepping back (HLC stays monotonic and causal),
 * duplicated and reordered datagrams (heartbeats deduplicated by sequence, RTT from echoes) and lossy,
 * reordering links.
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { converged, deviceIds, ownedTransactions, peerChecking, peerProgram, peerTopology, randomWrites, sharedTransactions, PEER_SEAMS } from './_common.ts';

const four = deviceIds(4);

const clockSkewTopology = peerTopology(four, {
  A: { clock: { offsetMs: 4_000 } },
  B: { clock: { offsetMs: -2_000, driftPpm: 300 } },
  D: { clock: { offsetMs: 6_000, driftPpm: -200 } },
});

const clockSkew: Scenario = {
  name: 'peer-clock-skew',
  description:
    'Four devices whose wall clocks are skewed by up to 6 s (and drift); C steps back 5 s and A forward 3 s mid-run, then A partitions off. HLCs must stay strictly increasing per device and causal; concurrent shared edits resolve the same everywhere.',
  suites: ['smoke', 'ci', 'default'],
  topology: clockSkewTopology,
  program: peerProgram(four),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, four, 200, 200, 25),
  faults: {
    events: [
      { kind: 'clockJump', atMs: 1_500, node: 'C', deltaMs: -5_000 },
      { kind: 'clockJump', atMs: 2_500, node: 'A', deltaMs: 3_000 },
      { kind: 'partition', atMs: 3_000, a: ['A'], b: ['B', 'C', 'D'], durationMs: 1_500 },
      { kind: 'crash', atMs: 3_500, node: 'C', restartAfterMs: 300 },
    ],
  },
  durationMs: 6_000,
  liveness: converged(four),
  ...peerChecking(clockSkewTopology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const datagramsTopology = peerTopology(four);

const datagrams: Scenario = {
  name: 'peer-duplicated-datagrams',
  description:
    'Every link duplicates 30% and reorders 30% of datagrams and loses 10%, with a long latency tail, while four devices write: stale and duplicated heartbeats are ignored, RTT stays measured, and all converge.',
  suites: ['smoke', 'ci', 'default'],
  topology: datagramsTopology,
  program: peerProgram(four, { heartbeatMs: 100 }),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, four, 200, 200, 25),
  faults: {
    events: [{ kind: 'linkFaults', atMs: 100, dupRate: 0.3, reorderRate: 0.3, lossRate: 0.1, tailProbability: 0.1, tailMs: 80, durationMs: 5_500 }],
  },
  durationMs: 6_000,
  liveness: converged(four),
  ...peerChecking(datagramsTopology, { options: { heartbeatMs: 100 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const driftRejectedTopology = peerTopology(['A', 'B', 'C', 'D'], { D: { clock: { offsetMs: 8_000 } } });

const driftChecking = peerChecking(driftRejectedTopology, { options: { maxDriftMs: 5_000 } });

const driftRejected: Scenario = {
  name: 'peer-clock-drift-rejected',
  description:
    'D\'s clock runs 8 s ahead (max drift 5 s) while it writes, then is corrected: its changes are rejected with an Error (logged) until the others\' clocks are within the bound, and only then applied; all converge.',
  suites: ['smoke', 'ci'],
  topology: driftRejectedTopology,
  program: peerProgram(['A', 'B', 'C', 'D'], { maxDriftMs: 5_000 }),
  seams: PEER_SEAMS,
  workload: (ctx) => randomWrites(ctx, ['D'], 20, 200, 50),
  faults: { events: [{ kind: 'clockJump', atMs: 1_500, node: 'D', deltaMs: -8_000 }] },
  explore: {
    kinds: ['crash', 'pause', 'isolate', 'partition', 'resetConnections', 'clog'],
    why: 'no added clock jumps or drift: devices sync only while their clocks are within maxDriftMs (5 s here) of the newest HLC, and jumps are not undone at heal (docs/peer-sync.md, Known limits); the scenario places the one jump it is about',
  },
  durationMs: 4_000,
  liveness: converged(['A', 'B', 'C', 'D']),
  checks: [
    ...driftChecking.checks,
    {
      name: 'probe:drift-rejected',
      setup(ctx) {
        let rejected = 0;
        ctx.trace.on('peer.hlc.rejected', () => void rejected++);
        ctx.shared.set('peer.drift-rejected', () => rejected);
      },
      final(ctx) {
        if ((ctx.shared.get('peer.drift-rejected') as () => number)() === 0) {
          ctx.fail('correctness', 'probe:drift-rejected', 'no remote HLC was rejected although D ran 8 s ahead with a 5 s bound');
        }
      },
    },
  ],
  models: driftChecking.models,
  evidence: driftChecking.evidence,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const chain = ['A', 'B', 'C', 'D'];

const driftChainTopology = peerTopology(chain, { B: { clock: { offsetMs: 3_000 } }, C: { clock: { offsetMs: 7_000 } } });

const driftChain: Scenario = {
  name: 'peer-clock-drift-chain',
  description:
    "B's wall clock runs 3 s ahead of A's and D's and C's 7 s (max drift 5 s). B writes first: A and D take its HLC (3 s ahead). Then C writes: A and D must refuse C's HLC, 7 s ahead of their wall clocks even though it is only 4 s ahead of their HLCs, while B takes it (4 s ahead of B). C is corrected at 1 s; once the others' clocks are within 5 s of the HLCs C left behind, all converge. No device's HLC may lead its own wall clock by more than the bound.",
  suites: ['smoke', 'ci'],
  topology: driftChainTopology,
  program: peerProgram(chain, { maxDriftMs: 5_000 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    randomWrites(ctx, ['B'], 3, 200, 50);
    randomWrites(ctx, ['C'], 3, 600, 50);
    randomWrites(ctx, chain, 40, 1_500, 50);
  },
  faults: { events: [{ kind: 'clockJump', atMs: 1_000, node: 'C', deltaMs: -7_000 }] },
  durationMs: 5_000,
  liveness: converged(chain),
  ...peerChecking(driftChainTopology, { options: { maxDriftMs: 5_000 } }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const two = deviceIds(2);
const aheadTopology = peerTopology(two, { A: { clock: { offsetMs: 4_000, driftPpm: 200 } }, B: { clock: { offsetMs: -1_000 } } });

/**
 * A's clock is 5 s ahead of B's. A writes shared transactions of 6 records: each record its own HLC, all in
 * one millisecond of A's clock (counters 0..5), sent as one SharedChangeBatch; B writes a shared record
 * every 3 ms. Between a batch and A's next heartbeat (500 ms), B's next HLC must still order after the
 * whole batch (its largest timestamp), not only after its first: B's wall clock is far behind, so its
 * HLC is whatever it took from A. Every other scenario's batches spanned no counters beyond the clock the
 * heartbeats carried by the time the next local write came (the hunt of 2026-12-07's fourth pass: a
 * receiver observing a batch's smallest timestamp passed them all).
 */
const aheadBatches: Scenario = {
  name: 'peer-clock-ahead-batches',
  description:
    "A's clock runs 5 s ahead of B's; A writes shared transactions of 6 records (one HLC each, sent as one batch) while B writes a shared record every 3 ms: B's writes after each batch must order after all of it (invariant:hlc), though B's own wall clock is far behind.",
  suites: ['smoke', 'ci'],
  topology: aheadTopology,
  program: peerProgram(two),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    sharedTransactions(ctx, 'A', 'tag', 6, 30, 300, 97);
    sharedTransactions(ctx, 'B', 'album', 1, 1_000, 300, 3);
  },
  durationMs: 5_000,
  liveness: converged(two),
  ...peerChecking(aheadTopology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

const restartTopology = peerTopology(two);

/**
 * A device whose wall clock steps back 20 s, then restarts while cut off from every peer: its first writes
 * after the restart must still order after every timestamp it issued before (the HLC is raised to the
 * largest one its store holds, docs/peer-sync.md). Connected, the peers' heartbeats would raise it first.
 * In every other scenario a restarted device either heard a peer before its next write or its wall clock had
 * not gone back (the hunt of 2026-12-07's fourth pass: a restart that never restored the floor failed 1 of
 * 105 peer ci runs).
 */
const restartClockBack: Scenario = {
  name: 'peer-restart-clock-back',
  description:
    "A writes, is cut off, its wall clock steps back 20 s and it restarts still cut off, then writes again: its new HLCs must order after all it issued before the restart (invariant:hlc), though no peer's clock can raise it.",
  suites: ['smoke', 'ci'],
  topology: restartTopology,
  program: peerProgram(two),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    // New records (owned: they never lose a merge, so every write commits), and shared edits by both.
    ownedTransactions(ctx, 'A', 'entry', 2, 120, 300, 20);
    sharedTransactions(ctx, 'A', 'tag', 1, 60, 310, 40);
    sharedTransactions(ctx, 'B', 'tag', 1, 60, 320, 40);
  },
  faults: {
    events: [
      { kind: 'partition', atMs: 1_000, a: ['A'], b: ['B'], durationMs: 2_000 },
      { kind: 'clockJump', atMs: 1_150, node: 'A', deltaMs: -20_000 },
      { kind: 'crash', atMs: 1_200, node: 'A', restartAfterMs: 300 },
    ],
  },
  durationMs: 5_000,
  liveness: converged(two),
  ...peerChecking(restartTopology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

/**
 * A restarted device is a new incarnation whose heartbeat sequence starts over: its peers must take its
 * heartbeats from the first one of the new boot (docs/peer-sync.md, heartbeats), not drop them as stale
 * until the count passes the previous life's. B writes from 0.5 s to 9.2 s, heartbeating A for 8 s (a
 * dozen and more heartbeats), is cut off from A at 8 s, crashes at 10 s while still cut off and comes back
 * as the partition heals; it writes nothing after the restart, so only its heartbeats can tell A what it
 * lacks. A must catch up from them at once: convergence within 3 s of the end (a peer that drops the new
 * boot's heartbeats as duplicates waits about 8 s more: variant peer-boot-seq-kept). Found by the sixth bug hunt: every scenario's restarted peer had run a few seconds only,
 * or wrote again after its restart, or the liveness window (20 s) outlasted the wait.
 */
const restartLongRun: Scenario = {
  name: 'peer-restart-long-run',
  description:
    "B writes from 0.5 s (heartbeating A for 8 s), is cut off from A at 8 s, crashes at 10 s and restarts as the partition heals, writing nothing more: A must take the new boot's heartbeats at once (its sequence starts over) and catch up B's stream, converging within 3 s of the end.",
  suites: ['ci'],
  topology: restartTopology,
  program: peerProgram(two),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    ownedTransactions(ctx, 'A', 'entry', 2, 10, 300, 50);
    ownedTransactions(ctx, 'B', 'entry', 2, 30, 500, 300);
    sharedTransactions(ctx, 'B', 'tag', 1, 15, 600, 600);
  },
  faults: {
    events: [
      { kind: 'partition', atMs: 8_000, a: ['A'], b: ['B'], durationMs: 2_500 },
      { kind: 'crash', atMs: 10_000, node: 'B', restartAfterMs: 500 },
    ],
  },
  durationMs: 12_000,
  liveness: converged(two, 3_000),
  ...peerChecking(restartTopology),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [clockSkew, datagrams, driftRejected, driftChain, aheadBatches, restartClockBack, restartLongRun];
