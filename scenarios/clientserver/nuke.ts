/**
 * Nuke and Resync twice: what the first one kept aside (unsaved) must survive the second, and the
 * count shown must be what the device keeps.
 */
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, serverRecords, statusSeen, userNukes, userWrite } from './_common.ts';

const three = clientIds(3);

/** C1 writes `n` changes from `fromMs` (while the server is down for a rebuild: they stay pending). */
function offlineWrites(ctx: ScenarioContext, client: string, fromMs: number, n: number, tag: string): void {
  for (let k = 0; k < n; k++) {
    ctx.at(fromMs + k * 100, () => void userWrite(ctx, client, 'book', `${tag}-${k}`, 'title', `${tag} ${k}`)?.catch(() => {}));
  }
}

const twoNukes: Scenario = {
  name: 'cs-two-nukes',
  description:
    'The server is rebuilt at 3 s and again at 8 s; each time C1 has changes it could not push (written while the server was down): every client shows incompatible, the user clicks Nuke and Resync, C1 keeps 4 then 3 more changes unsaved (7 in all, shown in its footer), none silently deleted by the second Nuke; then all are synced with the twice-rebuilt server.',
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram({ rebuildsAtMs: [3_000, 8_000] }),
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, three, 60, 300, 40);
    offlineWrites(ctx, 'C1', 3_050, 4, 'first');
    offlineWrites(ctx, 'C1', 8_050, 3, 'second');
    userNukes(ctx, three, 3_000, 40_000);
  },
  faults: {
    events: [
      { kind: 'crash', atMs: 3_000, node: 'S', restartAfterMs: 300 },
      { kind: 'crash', atMs: 8_000, node: 'S', restartAfterMs: 300 },
    ],
  },
  durationMs: 14_000,
  liveness: allSynced(three),
  ...csChecking(three),
  checks: [...csChecking(three).checks, statusSeen('C1', ['incompatible'], 8_000, 3_000, 'incompatible after the second rebuild')],
};

/**
 * A reload after Nuke and Resync: the changes it kept aside (`unsaved`) are in the database, not only in the
 * process that kept them. C1 keeps 4 changes at the rebuild's Nuke, then its tab is reloaded (a crash and
 * restart at 7 s, and again at 9 s while it is cut off from the server): its footer must still count them
 * (a client that does not load the count shows 0 unsaved after a reload: invariant:pending-count).
 */
const nukeThenReload: Scenario = {
  ...twoNukes,
  name: 'cs-nuke-then-reload',
  description:
    'The server is rebuilt at 3 s while C1 has 4 changes it could not push; the user clicks Nuke and Resync, C1 keeps them unsaved; its tab is reloaded at 7 s, and at 9 s while it is cut off from the server: after each reload its footer still shows the 4 unsaved changes, then all are synced.',
  program: csProgram({ rebuildsAtMs: [3_000] }),
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, three, 60, 300, 40);
    offlineWrites(ctx, 'C1', 3_050, 4, 'first');
    userNukes(ctx, three, 3_000, 40_000);
  },
  faults: {
    events: [
      { kind: 'crash', atMs: 3_000, node: 'S', restartAfterMs: 300 },
      { kind: 'crash', atMs: 7_000, node: 'C1', restartAfterMs: 200 },
      { kind: 'partition', atMs: 8_800, a: ['C1'], b: ['S', 'M'], durationMs: 2_000 },
      { kind: 'crash', atMs: 9_000, node: 'C1', restartAfterMs: 200 },
    ],
  },
  durationMs: 13_000,
  checks: csChecking(three).checks,
};

export default [twoNukes, nukeThenReload];
