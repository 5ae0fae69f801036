/**
 * The seed's critical e2e test "shows stuck dialog when server DB is rebuilt", with and without the meta
 * channel, and a schema upgrade on both sides.
 */
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import { clientIds, clientWrites, csScenario, META, serverRecords, statusSeen, userNukes, userWrite } from './_common.ts';

const three = clientIds(3);

/** C1 writes while the server is down for its rebuild: its changes are pending when the user nukes. */
function offlineWrites(ctx: ScenarioContext, fromMs: number, n: number): void {
  for (let k = 0; k < n; k++) {
    ctx.at(fromMs + k * 100, () => void userWrite(ctx, 'C1', 'book', `unsynced-${k}`, 'title', `unsynced ${k}`)?.catch(() => {}));
  }
}

/**
 * Around a rebuild at 3 s: a database on the server, writes on every client, `offline` writes of C1 while
 * the server is down for it, (with `fresh`) records on the rebuilt server, and the user who nukes.
 */
function aroundRebuild(offline: number, fresh: boolean): (ctx: ScenarioContext) => void {
  return (ctx) => {
    serverRecords(ctx, 100, 100);
    clientWrites(ctx, three, 60, 300, 40);
    offlineWrites(ctx, 3_050, offline);
    if (fresh) serverRecords(ctx, 30, 4_000, 'rebuilt');
    userNukes(ctx, three, 3_000, 30_000);
  };
}

/** The server's restart into its rebuilt database (`deploy.rebuildsAtMs: [3_000]`), shared by the rebuild scenarios. */
const REBUILD_RESTART: FaultEvent = { kind: 'crash', atMs: 3_000, node: 'S', restartAfterMs: 300 };

/** e2e "shows stuck dialog when server DB is rebuilt" (the meta channel works: it warns first). */
const rebuilt = csScenario({
  name: 'cs-rebuilt-server',
  description:
    'Three clients sync; at 3 s the server is rebuilt (a fresh database with a new site id) while C1 has changes it has not pushed; every client must show incompatible within 3 s of the rebuild and never green against the new server; the user clicks Nuke and Resync, which keeps and reports C1\'s unsaved changes; then all are synced with the rebuilt server.',
  suites: ['smoke', 'ci', 'default', 'nightly'],
  clients: three,
  deploy: { rebuildsAtMs: [3_000] },
  workload: aroundRebuild(4, true),
  faults: { events: [REBUILD_RESTART] },
  durationMs: 9_000,
  expect: [statusSeen('C1', ['incompatible'], 3_000, 3_000, 'incompatible after the rebuild')],
});

/**
 * Life after Nuke and Resync: the clients keep writing, fewer changes than they made before. Their new
 * change logs must start empty: a Nuke that keeps the old log pushes the old changes again, under the new
 * site id, once a new write wakes the push (invariant:pushes-have-origin).
 */
const nukeThenWrite = csScenario({
  name: 'cs-nuke-then-write',
  description:
    "As cs-rebuilt-server, then every client writes 6 more changes after its Nuke and Resync (each made about 20 before): only those reach the rebuilt server under the clients' new site ids; nothing from before the Nuke is pushed again.",
  suites: ['smoke', 'ci', 'nightly'],
  clients: three,
  deploy: { rebuildsAtMs: [3_000] },
  workload: (ctx) => {
    aroundRebuild(4, true)(ctx);
    clientWrites(ctx, three, 18, 7_000, 150, 'after.');
  },
  faults: { events: [REBUILD_RESTART] },
  durationMs: 12_000,
});

/** The seed's Gap 1: the meta channel is blocked, the sync connection opens; the handshake must still tell. */
const metaBlocked = csScenario({
  name: 'cs-meta-blocked-rebuild',
  description:
    "The meta channel (the seed's HTTP /meta) is blocked for the whole run while the sync connection works; the server is rebuilt at 3 s: the in-protocol handshake alone must report incompatible within 3 s (the seed's remaining risk), and Nuke and Resync recovers.",
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  deploy: { rebuildsAtMs: [3_000] },
  workload: aroundRebuild(3, false),
  faults: {
    events: [
      { kind: 'isolate', atMs: 0, node: META, durationMs: 8_900 },
      REBUILD_RESTART,
    ],
  },
  durationMs: 9_000,
  expect: [statusSeen('C2', ['incompatible'], 3_000, 3_000, 'incompatible with the meta channel blocked')],
});

/**
 * Schema upgrades: the server is upgraded to schema 2 at 3 s (clients on schema 1 must show incompatible
 * and never green), the clients are upgraded (restarted on schema 2) at 5-5.4 s and sync again without a
 * nuke: the same lineage, a compatible schema.
 */
const schemaUpgrade = csScenario({
  name: 'cs-schema-upgrade',
  description:
    'The server restarts on schema 2 at 3 s: clients still on schema 1 show incompatible (schema) within 3 s and never green; each client restarts on schema 2 between 5 and 5.4 s and syncs again with its data (same server lineage).',
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  deploy: { serverSchema: [[2_900, 2]], clientSchema: Object.fromEntries(three.map((c, i) => [c, [[5_000 + i * 200, 2]] as const])) },
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
  expect: [statusSeen('C3', ['incompatible'], 3_000, 2_300, 'incompatible on a schema mismatch')],
});

/**
 * A client down across the rebuild: C2 crashes at 2.8 s, the server is rebuilt at 3 s, C2 comes back at
 * 4 s. Only its durable memory of the server it synced with can tell it the server it meets now is another
 * one: it must show incompatible, never green, and must not merge its old lineage into the new server.
 */
const rebuildClientDown = csScenario({
  name: 'cs-rebuild-client-down',
  description:
    'C2 crashes at 2.8 s and is down while the server is rebuilt at 3 s; it restarts at 4 s and must show incompatible (from the server site id it remembers durably) within 3 s, never green against the new server; after Nuke and Resync all are synced with the rebuilt server.',
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  deploy: { rebuildsAtMs: [3_000] },
  workload: aroundRebuild(0, true),
  faults: {
    events: [
      { kind: 'crash', atMs: 2_800, node: 'C2', restartAfterMs: 1_200 },
      REBUILD_RESTART,
    ],
  },
  durationMs: 9_000,
  expect: [statusSeen('C2', ['incompatible'], 4_000, 3_000, 'incompatible after its restart')],
});

/**
 * The client side upgraded first: C1 restarts on schema 2 at 2 s while the server still runs schema 1
 * (C1 must show incompatible, never green, and keep writing locally); the server is upgraded at 4 s, C2
 * and C3 follow at 4.5 and 4.7 s; C1's user reloads the app at 6 s and it syncs with its data and the
 * changes it made meanwhile (the same lineage, a compatible schema now: no Nuke).
 */
const schemaClientFirst = csScenario({
  name: 'cs-schema-client-first',
  description:
    'C1 restarts on schema 2 at 2 s, ahead of the server (schema 1 until 4 s): it shows incompatible (schema) within 2 s and never green while it writes locally; C2 and C3 are upgraded after the server; C1 reloads at 6 s and syncs every change it made, without a Nuke.',
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  deploy: { serverSchema: [[3_900, 2]], clientSchema: { C1: [[1_900, 2]], C2: [[4_400, 2]], C3: [[4_600, 2]] } },
  workload: (ctx) => {
    serverRecords(ctx, 60, 100);
    clientWrites(ctx, three, 100, 300, 60);
  },
  faults: {
    events: [
      { kind: 'crash', atMs: 2_000, node: 'C1', restartAfterMs: 100 },
      { kind: 'crash', atMs: 4_000, node: 'S', restartAfterMs: 200 },
      { kind: 'crash', atMs: 4_500, node: 'C2', restartAfterMs: 100 },
      { kind: 'crash', atMs: 4_700, node: 'C3', restartAfterMs: 100 },
      { kind: 'crash', atMs: 6_000, node: 'C1', restartAfterMs: 100 },
    ],
  },
  durationMs: 9_000,
  expect: [statusSeen('C1', ['incompatible'], 2_100, 2_000, 'incompatible while ahead of the server')],
});

export default [rebuilt, nukeThenWrite, metaBlocked, schemaUpgrade, rebuildClientDown, schemaClientFirst];
