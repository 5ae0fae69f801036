/**
 * Swarm runs: faults drawn from the seed (crashes with and without power loss, pauses, partitions, clogs,
 * stalls, connection resets, lossy and slow links, clock jumps and drift, kv errors, and on the server's
 * block store disk errors, failing fsyncs, torn writes and flipped reads) over the server, its meta
 * endpoint and the clients, with local writes, operator writes on the server and a user who nukes
 * when the footer asks; after healing every client is synced and equal to the server.
 */
import type { FaultKind } from '../../src/faults/plan.ts';
import { FAULT_KINDS } from '../../src/faults/schema.ts';
import { SWARM_OPT_IN_KINDS, type TriggerOp } from '../../src/faults/swarm.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, drawDeployment, drawnDeployment, operatorEdits, serverRecords, userNukes } from './_common.ts';

/**
 * Every kind a swarm draws by default, the disk-file faults included: the server's change log is a block
 * store on its device's disk (docs/client-server.md, "Data and storage"), so fsync failures, torn writes
 * (a power loss in the middle of an append) and flipped reads land there; drawn on a client they find no
 * file (clients keep their database in their kv store). Not damage at rest (opt-in: the storage layer
 * reports a rotten block, it cannot restore it, and a lost acknowledged change is then the medium's).
 */
const KINDS: readonly FaultKind[] = FAULT_KINDS.filter((k) => !SWARM_OPT_IN_KINDS.has(k));

/**
 * kv errors land on commits and key scans (the clients' databases, the meta copy of the server's identity);
 * disk errors on the server's block store: its block and document writes, fsyncs, renames and reads.
 */
const ERROR_OPS = [
  { area: 'kv', op: 'commit' },
  { area: 'kv', op: 'keys' },
  { area: 'disk', op: 'writeFile' },
  { area: 'disk', op: 'fsync' },
  { area: 'disk', op: 'rename' },
  { area: 'disk', op: 'read' },
] as const;

/** Where triggered faults land: operations every node performs often (the server's block store: writes). */
const TRIGGER_OPS: readonly TriggerOp[] = [
  { area: 'kv', op: 'commit', perSec: 10 },
  { area: 'disk', op: 'writeFile', perSec: 30 },
  { area: 'net', op: 'send', perSec: 20 },
  { area: 'net', op: 'connect', perSec: 0.5 },
];

function swarm(name: string, clients: number, durationMs: number, suites: string[], writes: number): Scenario {
  const ids = clientIds(clients);
  return {
    name,
    description: `A server and ${clients} clients under a swarm of faults drawn from the seed for ${durationMs / 1000} s, with local writes, operator writes and a user who nukes a stuck or incompatible footer; after healing every client is synced and equal to the server, and every invariant held throughout.`,
    suites,
    topology: csTopology(ids),
    program: csProgram(drawnDeployment),
    seams: CS_SEAMS,
    workload: (ctx) => {
      drawDeployment(ctx, ids, durationMs);
      serverRecords(ctx, 300, 100);
      clientWrites(ctx, ids, writes, 300, Math.max(5, Math.floor((durationMs - 500) / writes)));
      serverRecords(ctx, 100, durationMs / 2, 'mid');
      // The operator also edits the rows the clients write, under the swarm's faults (operator-writes-win).
      operatorEdits(ctx, 40, 300, Math.max(20, Math.floor((durationMs - 500) / 40)));
      userNukes(ctx, ids, 500, durationMs + 30_000, 2_000);
    },
    faults: { swarm: { kinds: KINDS, errorOps: ERROR_OPS, triggerOps: TRIGGER_OPS } },
    durationMs,
    liveness: allSynced(ids, 30_000),
    ...csChecking(ids),
  };
}

export default [swarm('cs-swarm', 4, 6_000, ['smoke', 'ci', 'default'], 200), swarm('cs-swarm-long', 8, 40_000, ['nightly'], 2_000)];
