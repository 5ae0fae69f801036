/**
 * A crash in the middle of a shared-change catch-up: B, cut off while A writes a backlog of shared
 * changes, catches it up in batches of 10 on reconnection and loses power right after one of its batch
 * commits, with more batches to come; restarted, it gets A's next live changes before its catch-up has
 * fetched the rest. What B stored as its contiguous point of A's shared stream (what it acknowledges) must
 * not run ahead of what it holds (invariant:ack-held, on B's durable image).
 */
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { converged, deviceIds, peerChecking, peerProgram, peerTopology, sharedTransactions, PEER_SEAMS } from './_common.ts';

const two = deviceIds(2);
const topology = { ...peerTopology(two), net: { connTimeoutMs: 1_000 } };
const options = { batchSize: 10, retryQueueMax: 1 };

/**
 * B's kv commits (every peer commit writes the stores rec, log and meta) after which it loses power and
 * restarts 40 ms later: with its first commits (start, live changes) and one per catch-up batch, these fall
 * inside its catch-up of A's 'tag' stream (6 of seeds 0..9 with more batches to come): three power losses, two commits apart.
 */
const CRASH_AFTER: readonly number[] = [7, 9, 11];

const crashes: FaultEvent[] = CRASH_AFTER.map((nth) => ({ kind: 'crash', node: 'B', powerLoss: true, restartAfterMs: 40, when: 'after', trigger: { node: 'B', area: 'kv', op: 'commit', nth } }));

const crashMidCatchup: Scenario = {
  name: 'peer-crash-mid-shared-catchup',
  description: 'B is cut off while A writes 120 shared changes; B catches them up in batches of 10 and loses power right after a batch commit with more to come, then gets A\'s next live changes before its catch-up resumes: B\'s acknowledgements must never cover a change it does not durably hold; all converge.',
  suites: ['smoke', 'ci'],
  topology,
  program: peerProgram(two, options),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    sharedTransactions(ctx, 'A', 'tag', 4, 30, 400, 20);
    sharedTransactions(ctx, 'A', 'tag', 1, 80, 2_780, 15);
  },
  faults: {
    events: [{ kind: 'isolate', atMs: 300, node: 'B', durationMs: 2_500 }, ...crashes],
  },
  durationMs: 5_000,
  liveness: converged(two),
  ...peerChecking(topology, { options }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [crashMidCatchup];
