/**
 * A real peer node `A` (a founder, so ready at once) and a scripted member `B` of its library: B only listens
 * for A's connection (A has the lower id, so A dials), records every message A sends it (over the connection
 * and as datagrams, decoded as the wire carries them) and sends whatever the test gives it. The tests see
 * exactly what A puts on the wire, stores and counts in answer to each message.
 */
import type { Connection, Env, Value } from '../../src/impl/env.ts';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { startPeerNode, type PeerHandle, type PeerOptions } from '../../src/impl/peer/index.ts';
import { encodeMessage, type PeerMessage } from '../../src/impl/peer/messages.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

export const LIB = 'lib';

/** A wire message as received (records as `{u, w, t, d}`). */
export type Wire = Record<string, Value> & { type: string };

interface Scripted {
  env: Env;
  got: Wire[];
  /** Messages that came as datagrams (the others came over the connection). */
  datagrams: Set<Wire>;
  conn: Connection | null;
}

export interface PeerWorld {
  sim: Simulation;
  /** A's handle (once started). */
  a(): PeerHandle;
  /** Sends `m` from B to A over their connection. */
  send(m: PeerMessage): void;
  /** Every message A sent to B so far, in order, of `type` if given. */
  got(type?: string): Wire[];
  /** How `m` (one of `got()`) travelled. */
  via(m: Wire): 'connection' | 'datagram';
  /** An HLC string of B: its wall clock now plus `aheadMs`, with counter `counter`. */
  ts(counter?: number, aheadMs?: number): string;
  /** Runs the simulation `ms` milliseconds further. */
  advance(ms: number): Promise<void>;
  /** Trace records of A of `kind`. */
  recs(kind: string): TraceRecord[];
  /** A's durable kv value of `key` in `store`. */
  stored(store: string, key: string): Value | undefined;
}

/** A (real, founder) and B (scripted); both started, connected after `advance`. */
export async function peerWorld(options: Partial<PeerOptions> = {}): Promise<PeerWorld> {
  const sim = new Simulation({ seed: 7, trace: { keepAll: true }, net: { latencyMs: 1, jitterMs: 0, tailProbability: 0 } });
  let b: Scripted | null = null;
  sim.addNode('A', {
    program: (env) =>
      startPeerNode(env, {
        library: LIB, peers: ['B'], resources: { entry: 'owned', tag: 'shared' }, founder: true, heartbeatMs: 100, metricsSnapshotMs: 0, ...options,
      }),
  });
  sim.addNode('B', {
    program: (env) => {
      const s: Scripted = { env, got: [], datagrams: new Set(), conn: null };
      env.net.listen((c) => {
        s.conn = c;
        c.onMessage((m) => s.got.push(m as Wire));
      });
      env.net.onDatagram((_from, m) => {
        s.got.push(m as Wire);
        s.datagrams.add(m as Wire);
      });
      b = s;
      return s;
    },
  });
  sim.start('B');
  sim.start('A');
  const advance = async (ms: number): Promise<void> => {
    await sim.run({ untilUs: sim.nowUs() + ms * 1000 });
    if (sim.failure !== null) throw new Error(`simulation failed: ${sim.failure.check}: ${sim.failure.message}`);
  };
  const w: PeerWorld = {
    sim,
    a: () => sim.node('A').handle as PeerHandle,
    send: (m) => b!.conn!.send(encodeMessage(m)),
    got: (type) => b!.got.filter((m) => type === undefined || m.type === type),
    via: (m) => (b!.datagrams.has(m) ? 'datagram' : 'connection'),
    ts: (counter = 0, aheadMs = 0) => formatHlc({ physicalMs: b!.env.clock.now() + aheadMs, counter, device: 'B' }),
    advance,
    recs: (kind) => sim.trace.records()!.filter((r) => r.node === 'A' && r.kind === kind),
    stored: (store, key) => sim.device('A').kv.visibleSnapshot().get(store)?.get(key),
  };
  await advance(50);
  if (b === null || (b as Scripted).conn === null) throw new Error('A did not connect to B');
  return w;
}
