/**
 * Stuck and not stuck: a long but healthy outage (the server down for 20 s) is "disconnected", never
 * "stuck"; a connection that opens but never completes its handshake is stuck after three attempts, and
 * the user's Nuke and Resync (pushing first where the server takes the changes) recovers.
 */
import type { Scenario } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, statusSeen, userNukes } from './_common.ts';

const two = clientIds(2);

const longOutage: Scenario = {
  name: 'cs-long-outage',
  description:
    'The server is down from 2 s to 22 s while both clients keep writing (C2 also crashes and restarts meanwhile): they show disconnected (and connecting while they retry) with their pending counts, never stuck; once the server is back every change reaches it.',
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(two),
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => clientWrites(ctx, two, 80, 300, 300),
  faults: {
    events: [
      { kind: 'crash', atMs: 2_000, node: 'S', restartAfterMs: 20_000 },
      // A client crashing while disconnected restarts disconnected (its pending changes from its durable log).
      { kind: 'crash', atMs: 10_000, node: 'C2', restartAfterMs: 500 },
    ],
  },
  durationMs: 25_000,
  liveness: allSynced(two),
  ...csChecking(two),
};

const four = clientIds(4);

/**
 * The server process hangs (paused) from 1 s to 10 s, its connections reset: the clients' connections open
 * (the kernel accepts) but no handshake completes; each is closed as silent and the third makes the
 * footer stuck. C1 (no writes) and C4 (pending changes) wait: they turn green again once the server runs. The user clicks Nuke and Resync on
 * C2 (its unacknowledged changes are kept and reported). C3 crashes while stuck and starts over.
 */
const stuckHandshake: Scenario = {
  name: 'cs-stuck-handshake',
  description:
    "The server hangs from 1 s to 10 s: the clients' connections open but never complete a handshake, three in a row make them stuck (diagnostics: rapid failures); C1 and C4 wait and are green again once the server runs, the user clicks Nuke and Resync on C2 (which keeps its unacknowledged changes), C3 crashes while stuck; all end synced.",
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(four),
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => {
    // C1 writes nothing: it goes from stuck straight to synced; C4 waits with pending changes (syncing).
    clientWrites(ctx, ['C2', 'C3', 'C4'], 60, 300, 100);
    userNukes(ctx, ['C2'], 1_000, 30_000, 500);
  },
  faults: {
    events: [
      { kind: 'pause', atMs: 1_000, node: 'S', durationMs: 9_000 },
      { kind: 'resetConnections', atMs: 1_100, a: 'S' },
      { kind: 'crash', atMs: 8_500, node: 'C3', restartAfterMs: 200 },
    ],
  },
  durationMs: 12_000,
  liveness: allSynced(four),
  ...csChecking(four),
  checks: [...csChecking(four).checks, statusSeen('C1', ['stuck'], 1_000, 9_000, 'stuck after rapid failures')],
};

export default [longOutage, stuckHandshake];
