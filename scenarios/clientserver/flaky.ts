/**
 * Windows the other scenarios do not reach (found by planting bugs, docs/client-server.md "Variants"):
 * - failed handshakes that are not in a row: a hung server makes each client's next handshake fail once,
 *   three times, with green sessions in between. "Stuck" counts failures *in a row*: a client that never
 *   resets its count at a completed handshake shows stuck at the third (model:sync-status).
 * - a Nuke and Resync whose changes were never sent on any connection: C1 writes only after its last green
 *   connection closed, so its pending changes reach the server through the Nuke's own handshake or not at
 *   all (in cs-nuke-push-first they were already sent on the old connection, which the server takes on
 *   resume and which hides a Nuke session that pushes the wrong range).
 */
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, nukeAfterHang, statusSeen } from './_common.ts';

const three = clientIds(3);

/**
 * Three hangs of the server (2.2 s each: one handshake fails, the next one after it resumes completes),
 * each starting with its connections reset, so every client loses its green session and fails once.
 */
const hangs: FaultEvent[] = [1_000, 5_000, 9_000].flatMap((atMs): FaultEvent[] => [
  { kind: 'pause', atMs, node: 'S', durationMs: 2_200 },
  { kind: 'resetConnections', atMs: atMs + 50, a: 'S' },
]);

const flakyHandshakes: Scenario = {
  name: 'cs-flaky-handshakes',
  description:
    'The server hangs three times for 2.2 s (1 s, 5 s, 9 s), each time with its connections reset: every client fails one handshake per hang and is green again in between, three failed handshakes in all but never three in a row, so no footer may show stuck; all end synced.',
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => clientWrites(ctx, three, 45, 300, 100),
  faults: { events: hangs },
  durationMs: 14_000,
  liveness: allSynced(three),
  ...csChecking(three),
  checks: [...csChecking(three).checks, statusSeen('C1', ['synced', 'syncing'], 3_600, 1_300, 'green between the first and second hang')],
};

const pushUnsent = nukeAfterHang(
  'cs-nuke-push-unsent',
  'The server hangs from 1 s to 10 s; C1 writes 5 changes at 4 s, after its last green connection closed, so no connection ever carried them; stuck after three failed handshakes, the user clicks Nuke and Resync at 9.8 s: its own handshake, answered when the server resumes, must push all 5 (from the first one the server lacks) before the wipe, and nothing is reported unsaved.',
  { fromMs: 4_000, everyMs: 100, tag: 'unsent' },
);

export default [flakyHandshakes, pushUnsent];
