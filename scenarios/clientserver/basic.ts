/**
 * The seed's e2e tests that need no rebuild: local changes survive a reconnection, the footer turns red
 * when the server stops, the pending count while cut off, a lost push and a lost final ACK.
 */
import { clientIds, clientWrites, csScenario, operatorEdits, csTopology, serverRecords, statusSeen, userWrite } from './_common.ts';

const three = clientIds(3);

/** e2e "local changes sync after reconnection": the server is killed while clients write; they push after it returns. */
const reconnect = csScenario({
  name: 'cs-reconnect-local-changes',
  description:
    'Three clients write while connected; the sync server is killed for 3 s (a power loss: what it had not committed is gone) while they keep writing locally; after it restarts every change is on the server and every client equals it.',
  suites: ['smoke', 'ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, three, 120, 300, 50);
  },
  faults: { events: [{ kind: 'crash', atMs: 2_000, node: 'S', powerLoss: true, restartAfterMs: 3_000 }] },
  durationMs: 8_000,
});

/**
 * The operator edits the rows the clients write (the seed's execOnRemote on existing records) while they
 * write them too, and the server loses power once: every operator write must supersede the cell's earlier
 * versions in the server's log, before and after the restart (which rebuilds the server's view from its log).
 */
const operatorEditsScenario = csScenario({
  name: 'cs-operator-edits',
  description:
    "Three clients write 20 rows of two tables while the server's operator edits the same rows (60 small writes); the server loses power at 2.5 s for 1 s. Each operator write must carry a column version above every earlier version of its cell in the server's log (else the merge keeps the old value on every side), and every client ends equal to the server.",
  suites: ['smoke', 'ci', 'nightly'],
  clients: three,
  workload: (ctx) => {
    clientWrites(ctx, three, 150, 200, 30);
    operatorEdits(ctx, 60, 250, 80);
  },
  faults: { events: [{ kind: 'crash', atMs: 2_500, node: 'S', powerLoss: true, restartAfterMs: 1_000 }] },
  durationMs: 9_000,
});

/** e2e "footer shows red when disconnected": no server at first, green once it runs, red when it stops. */
const footerRed = csScenario({
  name: 'cs-footer-red',
  description:
    'The client starts with no server (footer not green; it crashes once while loading its database), the server starts at 1 s (green), the server stops at 4 s for 3 s (the footer must turn red: disconnected within 2 s), then everything is synced again.',
  suites: ['ci', 'default', 'nightly'],
  clients: ['C1'],
  topology: { ...csTopology(['C1']), nodes: csTopology(['C1']).nodes.map((n) => (n.role === 'client' ? n : { ...n, startAtMs: 1_000 })) },
  workload: (ctx) => clientWrites(ctx, ['C1'], 40, 200, 150),
  faults: {
    events: [
      // The client crashes while it loads its database (its first kv commit) and starts again.
      { kind: 'crash', trigger: { node: 'C1', area: 'kv', op: 'commit', nth: 1 }, node: 'C1', restartAfterMs: 100 },
      { kind: 'crash', atMs: 4_000, node: 'S', restartAfterMs: 3_000 },
    ],
  },
  durationMs: 8_000,
  expect: [
    statusSeen('C1', ['synced', 'syncing'], 1_000, 3_000, 'green once the server runs'),
    statusSeen('C1', ['disconnected'], 4_000, 2_000, 'red (disconnected) once the server stopped'),
  ],
});

/** e2e "footer shows pending changes count": 5 writes while cut off show 5 pending, then 0. */
const pendingCount = csScenario({
  name: 'cs-pending-count',
  description:
    'C1 is cut off from the server (partition) for 3 s and makes 5 local changes meanwhile (crashing and restarting after the third): the footer shows 5 pending (acknowledged count, not sent count), and 0 once it reconnected and the server acknowledged them.',
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    clientWrites(ctx, ['C2', 'C3'], 40, 200, 100);
    for (let k = 0; k < 5; k++) {
      ctx.at(1_200 + k * 200, () => {
        void userWrite(ctx, 'C1', 'book', `offline-${k}`, 'title', `offline ${k}`);
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
  expect: [statusSeen('C1', ['disconnected', 'connecting'], 1_000, 2_500, 'not green while cut off', 5)],
});

/**
 * A lost push and a lost final ACK: C1's messages to the server are held for 0.8 s and then its connection
 * is reset (the pushes in flight are lost with it); later the same happens to the server's messages to C1
 * (the ACKs of what the server stored are lost).
 * The handshake's ACK replays both: the client resends what the server lacks and stops counting what it has.
 */
const lostAck = csScenario({
  name: 'cs-lost-final-ack',
  description:
    "C1 writes continuously; its pushes are held 0.8 s and lost when the connection is reset mid-message, later the server's ACKs to it are lost the same way: after each reconnection the handshake's ACK says what the server holds, C1 resends the rest, nothing is lost or stored twice.",
  suites: ['ci', 'default', 'nightly'],
  clients: three,
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
});

/**
 * The server's kv commits fail (EIO) now and then while clients push: an append that failed is neither
 * stored nor acknowledged (the server closes that session), the client resends it after its next
 * handshake. An ACK sent before the append is durable shows up as a change told stored that is not in the
 * server's durable log.
 */
const commitErrors = csScenario({
  name: 'cs-server-commit-errors',
  description:
    "The sync server's block-file writes fail (EIO) with probability 0.3 for 2 s (then 0.5 for 1 s) while three clients push: a failed append is not acknowledged and its session closes; every acknowledged change is in the server's durable log exactly once, and all end synced.",
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, three, 150, 300, 30);
  },
  faults: {
    events: [
      { kind: 'diskError', atMs: 1_500, node: 'S', area: 'disk', op: 'writeFile', code: 'EIO', probability: 0.3, durationMs: 2_000 },
      { kind: 'diskError', atMs: 4_500, node: 'S', area: 'disk', op: 'writeFile', code: 'EIO', probability: 0.5, durationMs: 1_000 },
    ],
  },
  durationMs: 8_000,
});

/**
 * Two sessions of one client at the server: C1's link to the server turns slow (2.5 s) for 1 s while it
 * pushes; its pings go unanswered, it closes the silent connection and reconnects on a fresh one, whose
 * handshake ACK does not yet cover the pushes still travelling on the old one: C1 resends them. Then the
 * old connection delivers them to the server, whose old session is still open (the close travels behind
 * them): the same changes arrive twice, after the server stored them from the resend, and must be
 * skipped (probe cs.push-duplicate). C1 goes quiet before its link recovers, so the last change it sent on
 * the old connection is exactly the last one the server stored (a dedup that lets an equal version
 * through stores it twice).
 */
const staleSession = csScenario({
  name: 'cs-stale-session-resend',
  description:
    "C1's link to the server takes 2.5 s for 1 s while it pushes (its last write at 2.45 s): it closes the silent connection, reconnects and resends what the handshake's ACK lacks; the old connection then delivers the same pushes to the server's still-open old session: each stored once, nothing lost, all end synced.",
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, ['C1'], 44, 300, 50);
    clientWrites(ctx, ['C2', 'C3'], 60, 300, 100);
  },
  faults: { events: [{ kind: 'linkFaults', atMs: 1_500, from: 'C1', to: 'S', latencyMs: 2_500, durationMs: 1_000 }] },
  durationMs: 8_000,
});

export default [reconnect, footerRed, pendingCount, lostAck, commitErrors, staleSession, operatorEditsScenario];
