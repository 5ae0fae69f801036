/**
 * Quiet workloads and a link that degrades slowly: what a steady stream of writes hides. A write made
 * while an earlier push is unacknowledged must be pushed without waiting for the next write, and a green
 * light must vouch for a connection by the age of what the server last answered (when the answered ping
 * was sent), not by when an answer last arrived.
 */
import { burstWrites, clientIds, clientWrites, csScenario, serverRecords } from './_common.ts';

const three = clientIds(3);

/** Bursts of writes faster than a push's round trip, each followed by 2.5 s of silence while green. */
const quietBursts = csScenario({
  name: 'cs-quiet-bursts',
  description:
    'Three clients write in bursts (12 writes 3 ms apart on random clients, faster than a push is acknowledged), each followed by 2.5 s of silence, five times, and the operator writes on the server between bursts: every write made while green reaches the server within 2 s although no later write follows it, and all end synced.',
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    burstWrites(ctx, three, { fromMs: 800, bursts: 5, perBurst: 12, everyMs: 3, quietMs: 2_500 });
    serverRecords(ctx, 10, 2_000, 'quiet');
  },
  durationMs: 14_000,
});

/**
 * C1's downlink (server to C1) slows down step by step, 400 ms more every second, up to 2.8 s: each step
 * delays the next answers by less than the stale timeout, so answers keep arriving while each is older
 * than the last. Only a client that times its pings by when they were sent closes the connection before
 * what it shows falls more than 2 s behind the server; then it cannot complete a handshake (stuck after
 * three, or connecting) until the link heals.
 */
const latencyCreep = csScenario({
  name: 'cs-latency-creep',
  description:
    "C1's downlink latency grows by 400 ms every second from 1 s (to 2.8 s at 7 s) while C2, C3 and the operator write: C1 must leave green before it falls 2 s behind the server (its answered pings are ever older although answers keep arriving), and all end synced once the link heals.",
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, three, 40, 300, 200);
    clientWrites(ctx, ['C2', 'C3'], 80, 1_000, 90, 'late.');
    for (let k = 0; k < 8; k++) serverRecords(ctx, 5, 1_500 + k * 800, `op${k}`);
  },
  faults: {
    events: Array.from({ length: 7 }, (_, i) => ({ kind: 'linkFaults' as const, atMs: 1_000 + i * 1_000, from: 'S', to: 'C1', latencyMs: 400 * (i + 1), durationMs: 8_000 - i * 1_000 })),
  },
  durationMs: 9_000,
});

export default [quietBursts, latencyCreep];
