/**
 * The seed's e2e tests that need no rebuild: local changes survive a reconnection, the footer turns red
 * when the server stops, the pending count while cut off, a lost push and a lost final ACK.
 */
import type { Scenario } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, serverRecords, statusSeen } from './_common.ts';

const three = clientIds(3);

/** e2e "local changes sync after reconnection": the server is killed while clients write; they push after it returns. */
const reconnect: Scenario = {
  name: 'cs-reconnect-local-changes',
  description:
    'Three clients write while connected; the sync server is killed for 3 s (a power loss: what it had not committed is gone) while they keep writing locally; after it restarts every change is on the server and every client equals it.',
  suites: ['smoke', 'ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, three, 120, 300, 50);
  },
  faults: { events: [{ kind: 'crash', atMs: 2_000, node: 'S', powerLoss: true, restartAfterMs: 3_000 }] },
  durationMs: 8_000,
  liveness: allSynced(three),
  ...csChecking(three),
};

/** e2e "footer shows red when disconnected": no server at first, green once it runs, red when it stops. */
const footerRed: Scenario = {
  name: 'cs-footer-red',
  description:
    'The client starts with no server (footer not green; it crashes once while loading its database), the server starts at 1 s (green), the server stops at 4 s for 3 s (the footer must turn red: disconnected within 2 s), then everything is synced again.',
  suites: ['ci', 'default', 'nightly'],
  topology: { ...csTopology(['C1']), nodes: csTopology(['C1']).nodes.map((n) => (n.role === 'client' ? n : { ...n, startAtMs: 1_000 })) },
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => clientWrites(ctx, ['C1'], 40, 200, 150),
  faults: {
    events: [
      // The client crashes while it loads its database (its first kv commit) and starts again.
      { kind: 'crash', trigger: { node: 'C1', area: 'kv', op: 'commit', nth: 1 }, node: 'C1', restartAfterMs: 100 },
      { kind: 'crash', atMs: 4_000, node: 'S', restartAfterMs: 3_000 },
    ],
  },
  durationMs: 8_000,
  liveness: allSynced(['C1']),
  ...csChecking(['C1']),
  checks: [
    ...csChecking(['C1']).checks,
    statusSeen('C1', ['synced', 'syncing'], 1_000, 3_000, 'green once the server runs'),
    statusSeen('C1', ['disconnected'], 4_000, 2_000, 'red (disconnected) once the server stopped'),
  ],
};

/** e2e "footer shows pending changes count": 5 writes while cut off show 5 pending, then 0. */
const pendingCount: Scenario = {
  name: 'cs-pending-count',
  description:
    'C1 is cut off from the server (partition) for 3 s and makes 5 local changes meanwhile (crashing and restarting after the third): the footer shows 5 pending (acknowledged count, not sent count), and 0 once it reconnected and the server acknowledged them.',
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => {
    clientWrites(ctx, ['C2', 'C3'], 40, 200, 100);
    for (let k = 0; k < 5; k++) {
      ctx.at(1_200 + k * 200, () => {
        void ctx.handle<import('../../src/impl/clientserver/index.ts').ClientHandle>('C1')?.write('book', `offline-${k}`, 'title', `offline ${k}`);
      });
    }
  },
  faults: {
    events: [
      { kind: 'partition', atMs: 1_000, a: ['C1'], b: ['S', 'M'], durationMs: 3_000 },
      // C1 crashes before it noticed the partition (still green, 3 pending): it restarts with them from its durable log.
      { kind: 'crash', atMs: 1_650, node: 'C1', restartAfterMs: 100 },
    ],
  },
  durationMs: 7_000,
  liveness: allSynced(three),
  ...csChecking(three),
  checks: [...csChecking(three).checks, statusSeen('C1', ['disconnected', 'connecting'], 1_000, 2_500, 'not green while cut off', 5)],
};

/**
 * A lost push and a lost final ACK: C1's messages to the server are held for 0.8 s and then its connection
 * is reset (the pushes in flight are lost with it); later the same happens to the server's messages to C1
 * (the ACKs of what the server stored are lost).
 * The handshake's ACK replays both: the client resends what the server lacks and stops counting what it has.
 */
const lostAck: Scenario = {
  name: 'cs-lost-final-ack',
  description:
    "C1 writes continuously; its pushes are held 0.8 s and lost when the connection is reset mid-message, later the server's ACKs to it are lost the same way: after each reconnection the handshake's ACK says what the server holds, C1 resends the rest, nothing is lost or stored twice.",
  suites: ['ci', 'default', 'nightly'],
  topology: csTopology(three),
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => {
    clientWrites(ctx, ['C1'], 60, 200, 80);
    clientWrites(ctx, ['C2', 'C3'], 30, 300, 150);
  },
  faults: {
    events: [
      { kind: 'clog', atMs: 1_500, from: 'C1', to: 'S', durationMs: 1_000 },
      { kind: 'resetConnections', atMs: 2_300, a: 'C1', b: 'S' },
      { kind: 'clog', atMs: 4_000, from: 'S', to: 'C1', durationMs: 1_000 },
      { kind: 'resetConnections', atMs: 4_800, a: 'S', b: 'C1' },
    ],
  },
  durationMs: 7_000,
  liveness: allSynced(three),
  ...csChecking(three),
};

export default [reconnect, footerRed, pendingCount, lostAck];
