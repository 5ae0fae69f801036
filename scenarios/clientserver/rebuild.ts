/**
 * The seed's critical e2e test "shows stuck dialog when server DB is rebuilt", with and without the meta
 * channel, and a schema upgrade on both sides.
 */
import type { ClientHandle } from '../../src/impl/clientserver/index.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, META, serverRecords, statusSeen, userNukes } from './_common.ts';

const three = clientIds(3);

/** C1 writes while the server is down for its rebuild: its changes are pending when the user nukes. */
function offlineWrites(ctx: ScenarioContext, fromMs: number, n: number): void {
  for (let k = 0; k < n; k++) {
    ctx.at(fromMs + k * 100, () => void ctx.handle<ClientHandle>('C1')?.write('book', `unsynced-${k}`, 'title', `unsynced ${k}`).catch(() => {}));
  }
}

/** e2e "shows stuck dialog when server DB is rebuilt" (the meta channel works: it warns first). */
const rebuilt: Scenario = {
  name: 'cs-rebuilt-server',
  description:
    'Three clients sync; at 3 s the server is rebuilt (a fresh database with a new site id) while C1 has changes it has not pushed; every client must show incompatible within 3 s of the rebuild and never green against the new server; the user clicks Nuke and Resync, which keeps and reports C1\'s unsaved changes; then all are synced with the rebuilt server.',
  suites: ['smoke', 'ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram({ rebuildsAtMs: [3_000] }),
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 100, 100);
    clientWrites(ctx, three, 60, 300, 40);
    offlineWrites(ctx, 3_050, 4);
    serverRecords(ctx, 30, 4_000, 'rebuilt');
    userNukes(ctx, three, 3_000, 30_000);
  },
  faults: { events: [{ kind: 'crash', atMs: 3_000, node: 'S', restartAfterMs: 300 }] },
  durationMs: 9_000,
  liveness: allSynced(three),
  ...csChecking(three),
  checks: [...csChecking(three).checks, statusSeen('C1', ['incompatible'], 3_000, 3_000, 'incompatible after the rebuild')],
};

/** The seed's Gap 1: the meta channel is blocked, the sync connection opens; the handshake must still tell. */
const metaBlocked: Scenario = {
  name: 'cs-meta-blocked-rebuild',
  description:
    "The meta channel (the seed's HTTP /meta) is blocked for the whole run while the sync connection works; the server is rebuilt at 3 s: the in-protocol handshake alone must report incompatible within 3 s (the seed's remaining risk), and Nuke and Resync recovers.",
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram({ rebuildsAtMs: [3_000] }),
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 100, 100);
    clientWrites(ctx, three, 60, 300, 40);
    offlineWrites(ctx, 3_050, 3);
    userNukes(ctx, three, 3_000, 30_000);
  },
  faults: {
    events: [
      { kind: 'isolate', atMs: 0, node: META, durationMs: 8_900 },
      { kind: 'crash', atMs: 3_000, node: 'S', restartAfterMs: 300 },
    ],
  },
  durationMs: 9_000,
  liveness: allSynced(three),
  ...csChecking(three),
  checks: [...csChecking(three).checks, statusSeen('C2', ['incompatible'], 3_000, 3_000, 'incompatible with the meta channel blocked')],
};

/**
 * Schema upgrades: the server is upgraded to schema 2 at 3 s (clients on schema 1 must show incompatible
 * and never green), the clients are upgraded (restarted on schema 2) at 5-5.4 s and sync again without a
 * nuke: the same lineage, a compatible schema.
 */
const schemaUpgrade: Scenario = {
  name: 'cs-schema-upgrade',
  description:
    'The server restarts on schema 2 at 3 s: clients still on schema 1 show incompatible (schema) within 3 s and never green; each client restarts on schema 2 between 5 and 5.4 s and syncs again with its data (same server lineage).',
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram({ serverSchema: [[2_900, 2]], clientSchema: Object.fromEntries(three.map((c, i) => [c, [[5_000 + i * 200, 2]] as const])) }),
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 60, 100);
    clientWrites(ctx, three, 100, 300, 60);
  },
  faults: {
    events: [
      { kind: 'crash', atMs: 3_000, node: 'S', restartAfterMs: 200 },
      ...three.map((node, i) => ({ kind: 'crash' as const, atMs: 5_000 + i * 200, node, restartAfterMs: 100 })),
    ],
  },
  durationMs: 8_000,
  liveness: allSynced(three),
  ...csChecking(three),
  checks: [...csChecking(three).checks, statusSeen('C3', ['incompatible'], 3_000, 2_300, 'incompatible on a schema mismatch')],
};

export default [rebuilt, metaBlocked, schemaUpgrade];
