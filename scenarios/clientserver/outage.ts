/**
 * Stuck and not stuck: a long but healthy outage (the server down for 20 s) is "disconnected", never
 * "stuck"; a connection that opens but never completes its handshake is stuck after three attempts, and
 * the user's Nuke and Resync (pushing first where the server takes the changes) recovers.
 */
import type { Scenario } from '../../src/scenario/types.ts';
import { allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, statusSeen, userNukes } from './_common.ts';

const two = clientIds(2);

const longOutage: Scenario = {
  name: 'cs-long-outage',
  description:
    'The server is down from 2 s to 22 s while both clients keep writing: they show disconnected (and connecting while they retry) with their pending counts, never stuck; once the server is back every change reaches it.',
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(two),
  program: csProgram(),
  workload: (ctx) => clientWrites(ctx, two, 80, 300, 300),
  faults: { events: [{ kind: 'crash', atMs: 2_000, node: 'S', restartAfterMs: 20_000 }] },
  durationMs: 25_000,
  liveness: allSynced(two),
  ...csChecking(two),
};

/**
 * The server process hangs (paused) from 1 s to 8 s, its connections reset: the clients' connections open
 * (the kernel accepts) but no handshake completes; each is closed as silent and the third makes the
 * footer stuck. The user clicks Nuke and Resync; once the server runs again the clients sync (their
 * unacknowledged changes kept and reported).
 */
const stuckHandshake: Scenario = {
  name: 'cs-stuck-handshake',
  description:
    "The server hangs from 1 s to 8 s: the clients' connections open but never complete a handshake, three in a row make them stuck (diagnostics: rapid failures); the user clicks Nuke and Resync, which keeps their unacknowledged changes; once the server runs again they sync.",
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(two),
  program: csProgram(),
  workload: (ctx) => {
    clientWrites(ctx, two, 60, 300, 100);
    userNukes(ctx, two, 1_000, 30_000, 500);
  },
  faults: {
    events: [
      { kind: 'pause', atMs: 1_000, node: 'S', durationMs: 7_000 },
      { kind: 'resetConnections', atMs: 1_100, a: 'S' },
    ],
  },
  durationMs: 10_000,
  liveness: allSynced(two),
  ...csChecking(two),
  checks: [...csChecking(two).checks, statusSeen('C1', ['stuck'], 1_000, 7_000, 'stuck after rapid failures')],
};

export default [longOutage, stuckHandshake];
