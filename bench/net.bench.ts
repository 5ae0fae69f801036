/**
 * Network benchmarks: message deliveries per second of wall time between 3 nodes ping-ponging over
 * connections (each pair connected, 16 messages in flight per direction), and datagrams per second
 * bouncing between them. Both run with the trace hashed as in a real run (JSON per record, no keepAll)
 * and a default long-tail link. Goal: at least 100k deliveries/s.
 */
import type { Connection, Env } from '../src/impl/env.ts';
import { Simulation } from '../src/sim/simulation.ts';
import type { BenchResult } from './types.ts';

const NODES = ['A', 'B', 'C'];
const WINDOW = 16;

/** Every node echoes pings and answers pongs with the next ping, on every connection. */
function pingPong(env: Env): void {
  const serve = (conn: Connection): void => {
    conn.onMessage((m) => {
      const msg = m as { type: string; n: number };
      conn.send({ type: msg.type === 'ping' ? 'pong' : 'ping', n: msg.n + 1 });
    });
  };
  env.net.listen(serve);
  void (async () => {
    for (const peer of NODES) {
      if (peer <= env.nodeId) continue; // connect to the peers after me: one connection per pair
      const conn = await env.net.connect(peer);
      serve(conn);
      for (let i = 0; i < WINDOW; i++) conn.send({ type: 'ping', n: 0 });
    }
  })();
}

/** Every node bounces every datagram back to its sender; each starts WINDOW datagrams to each peer. */
function bounce(env: Env): void {
  env.net.onDatagram((from, m) => env.net.sendDatagram(from, (m as number) + 1));
  for (const peer of NODES) if (peer !== env.nodeId) for (let i = 0; i < WINDOW; i++) env.net.sendDatagram(peer, 0);
}

/** Runs `program` on the 3 nodes for `virtualMs` and returns deliveries per wall second. */
async function deliveriesPerSecond(program: (env: Env) => void, virtualMs: number, seed: number): Promise<number> {
  const sim = new Simulation({ seed });
  for (const n of NODES) sim.addNode(n, { program });
  for (const n of NODES) sim.start(n);
  const t0 = performance.now();
  await sim.run({ untilUs: virtualMs * 1000 });
  const seconds = (performance.now() - t0) / 1000;
  if (sim.failure !== null) throw new Error(`net bench failed: ${sim.failure.message}`);
  return sim.network.stats().delivered / seconds;
}

/** Runs the network benchmarks. */
export async function benchNet(): Promise<BenchResult[]> {
  await deliveriesPerSecond(pingPong, 2_000, 1); // warm-up
  const conn = await deliveriesPerSecond(pingPong, 40_000, 2);
  await deliveriesPerSecond(bounce, 2_000, 1);
  const dgram = await deliveriesPerSecond(bounce, 40_000, 2);
  return [
    { name: 'connections: 3 nodes ping-pong, deliveries', value: conn, unit: 'deliveries/s', goal: 100_000 },
    { name: 'datagrams: 3 nodes bouncing, deliveries', value: dgram, unit: 'datagrams/s', goal: 100_000 },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchNet()) process.stdout.write(`${r.name}: ${Math.round(r.value)} ${r.unit}\n`);
}
