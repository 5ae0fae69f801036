/**
 * Unit tests of the peer links (src/impl/peer/links.ts), driven directly: each simulated node runs a bare
 * `Links` over a core built from an empty store (no receiver, no backfill), so the tests see exactly what
 * the links do: the bounded retry queue (overflow clears it visibly, a reconnection flushes it in order),
 * per-peer connection state (`states()`), RTT measured from heartbeat echoes and smoothed, stale heartbeats
 * ignored, and the score that ranks peers for a backfill (RTT plus a penalty per failure; only peers whose
 * heartbeat says ready serve).
 */
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/impl/env.ts';
import { buildCore, type Core } from '../../src/impl/peer/core.ts';
import { formatHlc } from '../../src/impl/peer/hlc.ts';
import { Links } from '../../src/impl/peer/links.ts';
import type { HeartbeatMsg, PeerMessage } from '../../src/impl/peer/messages.ts';
import { resolvePeerOptions, type PeerOptions } from '../../src/impl/peer/options.ts';
import { PeerStore } from '../../src/impl/peer/store.ts';
import type { LinkFaults, NetSpec } from '../../src/sim/net/network.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const LIBRARY = 'lib';
const ms = (n: number): number => n * 1000;

/** A heartbeat delivered to the handler, with the RTT sample its echo carries and the state right after. */
interface HeartbeatSeen {
  hb: HeartbeatMsg;
  /** now - echo.sentMs - echo.heldMs on the receiver's monotonic clock (null without an echo of ours). */
  sample: number | null;
  /** The receiver's `scoreOf(sender).rttMs` once the links processed the heartbeat. */
  rttAfter: number | null;
}

/** One node: its env, core and links, and what its handlers saw. */
interface Node {
  env: Env;
  core: Core;
  links: Links;
  /** Validated messages handed to onMessage, in order. */
  msgs: { peer: string; msg: PeerMessage }[];
  heartbeats: Map<string, HeartbeatSeen[]>;
  events: string[];
}

/** Fixed latency, no jitter, no tail: an RTT sample is exactly the sum of both directions' latencies. */
const EXACT: Partial<LinkFaults> = { latencyMs: 2, jitterMs: 0, tailProbability: 0 };

/**
 * A simulation of `ids`, each running bare links (nodes are added, not started: call `sim.start`).
 * `ready` lists the nodes whose heartbeats say they hold a complete library (default: all).
 */
function world(ids: string[], o: { net?: NetSpec; peer?: Partial<PeerOptions>; ready?: string[]; seed?: number } = {}) {
  const sim = new Simulation({ seed: o.seed ?? 1, trace: { keepAll: true }, net: { ...EXACT, ...o.net } });
  const nodes = new Map<string, Node>();
  for (const id of ids) {
    sim.addNode(id, {
      program: (env) => {
        const cfg = resolvePeerOptions({ library: LIBRARY, peers: ids.filter((p) => p !== id), resources: { entry: 'owned', tag: 'shared' }, founder: true, ...o.peer });
        const core = buildCore(env, cfg, new PeerStore(env.kv), { records: new Map(), log: new Map(), meta: new Map() });
        core.state = (o.ready ?? ids).includes(id) ? 'ready' : 'uninitialized';
        const n: Node = { env, core, links: undefined as unknown as Links, msgs: [], heartbeats: new Map(), events: [] };
        n.links = new Links(core, {
          onMessage: (peer, msg) => {
            n.msgs.push({ peer, msg });
            if (msg.type !== 'Heartbeat') return;
            const e = msg.echo;
            const sample = e === null ? null : env.clock.monotonic() - e.sentMs - e.heldMs;
            const list = n.heartbeats.get(peer) ?? [];
            list.push({ hb: msg, sample, rttAfter: n.links.scoreOf(peer).rttMs });
            n.heartbeats.set(peer, list);
          },
          onConnected: (peer) => n.events.push(`up ${peer}`),
          onDisconnected: (peer) => n.events.push(`down ${peer}`),
        });
        n.links.start();
        nodes.set(id, n);
      },
    });
  }
  const node = (id: string): Node => {
    const n = nodes.get(id);
    if (n === undefined) throw new Error(`${id} has not started`);
    return n;
  };
  const at = (t: number, fn: () => void): void => void sim.scheduler.at(ms(t), fn);
  const runTo = async (t: number): Promise<void> => {
    await sim.run({ untilUs: ms(t) });
    if (sim.failure !== null) throw new Error(`simulation failed: ${sim.failure.check}: ${sim.failure.message}`);
  };
  const recs = (kind: string, nodeId?: string): TraceRecord[] =>
    sim.trace.records()!.filter((r) => r.kind === kind && (nodeId === undefined || r.node === nodeId));
  return { sim, node, at, runTo, recs };
}

/** A device-owned record change from `from`, told apart by `uuid`. */
function change(from: string, uuid: string): PeerMessage {
  return { type: 'StateChange', library: LIBRARY, from, resource: 'entry', prev: null, record: { uuid, writer: from, ts: formatHlc({ physicalMs: 1_767_225_600_000, counter: 0, device: from }), data: uuid } };
}

/** The uuids of the StateChanges `n` received from `from`, in order. */
function changesSeen(n: Node, from: string): string[] {
  return n.msgs.filter((m) => m.peer === from && m.msg.type === 'StateChange').map((m) => (m.msg as { record: { uuid: string } }).record.uuid);
}

const stateOf = (n: Node, peer: string) => n.links.states().find((s) => s.peer === peer)!;

describe('links: bounded retry queue', () => {
  it('queues sends to an unconnected peer up to retryQueueMax, clears it visibly on overflow, and flushes the rest in order when the peer connects', async () => {
    const w = world(['A', 'B'], { peer: { retryQueueMax: 3 } });
    w.sim.start('A'); // B is not up yet
    w.at(50, () => {
      const a = w.node('A');
      for (const u of ['u1', 'u2', 'u3']) a.links.broadcast(change('A', u));
      // Exactly at the bound: all kept, nothing dropped yet.
      expect(stateOf(a, 'B')).toMatchObject({ connected: false, retryQueued: 3 });
      expect(w.recs('peer.retry.overflow')).toEqual([]);
      a.links.broadcast(change('A', 'u4')); // beyond the bound: the three queued are dropped (traced), u4 kept
      a.links.broadcast(change('A', 'u5'));
      expect(stateOf(a, 'B')).toMatchObject({ connected: false, retryQueued: 2 });
    });
    w.at(100, () => w.sim.start('B'));
    await w.runTo(1_000);
    const overflow = w.recs('peer.retry.overflow');
    expect(overflow.map((r) => [r.node, r.data])).toEqual([['A', { peer: 'B', dropped: 3 }]]);
    expect(w.sim.probes.get('peer.retry-overflow')).toBe(1);
    // Flushed once, when A's dial reached B, with what the queue held after the overflow, in send order.
    expect(w.recs('peer.retry.flush').map((r) => [r.node, r.data])).toEqual([['A', { peer: 'B', count: 2 }]]);
    expect(w.recs('peer.retry.flush')[0]!.t).toBeGreaterThan(ms(100));
    expect(changesSeen(w.node('B'), 'A')).toEqual(['u4', 'u5']);
    expect(stateOf(w.node('A'), 'B')).toMatchObject({ connected: true, retryQueued: 0 });
  });

  it('a peer connected gets a broadcast at once; one that went down gets it queued and flushed in order on reconnection', async () => {
    const w = world(['A', 'B', 'C'], { peer: { retryQueueMax: 10, reconnectMs: 100 } });
    for (const id of ['A', 'B', 'C']) w.sim.start(id);
    w.at(500, () => w.sim.crash('C'));
    w.at(600, () => {
      const a = w.node('A');
      expect(a.links.isConnected('B')).toBe(true);
      expect(a.links.isConnected('C')).toBe(false);
      for (const u of ['v1', 'v2', 'v3', 'v4']) a.links.broadcast(change('A', u));
      expect(stateOf(a, 'B').retryQueued).toBe(0);
      expect(stateOf(a, 'C').retryQueued).toBe(4);
    });
    w.at(610, () => expect(changesSeen(w.node('B'), 'A')).toEqual(['v1', 'v2', 'v3', 'v4']));
    w.at(800, () => w.sim.start('C'));
    await w.runTo(1_500);
    expect(w.recs('peer.retry.flush', 'A').map((r) => r.data)).toEqual([{ peer: 'C', count: 4 }]);
    expect(w.recs('peer.retry.overflow')).toEqual([]);
    // The restarted C (a new process) gets the queued messages in send order, each once.
    expect(changesSeen(w.node('C'), 'A')).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(changesSeen(w.node('B'), 'A')).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(stateOf(w.node('A'), 'C').retryQueued).toBe(0);
  });
});

describe('links: connection state per peer', () => {
  it('states() follows each connection: down before dialing, up once connected, down when the peer crashes, up after it restarts', async () => {
    const w = world(['A', 'B', 'C'], { peer: { reconnectMs: 100 } });
    const snapshots = new Map<number, Record<string, boolean>>();
    const snap = (t: number): void =>
      w.at(t, () => snapshots.set(t, Object.fromEntries(w.node('A').links.states().map((s) => [s.peer, s.connected]))));
    w.sim.start('A');
    w.sim.start('B');
    snap(0);
    w.at(300, () => w.sim.start('C'));
    snap(200);
    snap(600);
    w.at(700, () => w.sim.crash('B'));
    snap(750);
    w.at(1_000, () => w.sim.start('B'));
    snap(1_400);
    await w.runTo(1_500);
    expect(w.node('A').links.states().map((s) => s.peer)).toEqual(['B', 'C']);
    expect(snapshots.get(0)).toEqual({ B: false, C: false });
    expect(snapshots.get(200)).toEqual({ B: true, C: false });
    expect(snapshots.get(600)).toEqual({ B: true, C: true });
    expect(snapshots.get(750)).toEqual({ B: false, C: true });
    expect(snapshots.get(1_400)).toEqual({ B: true, C: true });
    const aLinks = w.recs('peer.link.up', 'A').map((r) => `up ${String(r.data.peer)}`);
    expect(aLinks).toEqual(['up B', 'up C', 'up B']);
    expect(w.recs('peer.link.down', 'A').map((r) => r.data)).toEqual([{ peer: 'B', reason: 'reset' }]);
    // The handlers heard the same, in order.
    expect(w.node('A').events).toEqual(['up B', 'up C', 'down B', 'up B']);
  });
});

describe('links: send to one peer', () => {
  it('sends only over an open connection: false, nothing counted, for an unknown peer, one never connected, one gone, or a send the network refuses', async () => {
    const w = world(['A', 'B', 'C'], { peer: { reconnectMs: 60_000 } });
    let refuse = false;
    w.sim.addInterceptor((op) => (refuse && op.area === 'net' && op.op === 'send' && op.node === 'A' ? { type: 'error', code: 'ECONNREFUSED' } : null));
    w.sim.start('A');
    w.sim.start('B');
    const results: Record<string, boolean> = {};
    const sent = (): number => w.node('A').core.metrics.c.messagesSent;
    const trySend = (label: string, peer: string): void => {
      const before = sent();
      const ok = w.node('A').links.send(peer, change('A', label));
      results[label] = ok;
      expect(sent() - before, label).toBe(ok ? 1 : 0);
    };
    w.at(200, () => {
      trySend('to-B', 'B'); // connected
      trySend('to-C', 'C'); // C never started: no connection
      trySend('to-Z', 'Z'); // not a member
      refuse = true;
      trySend('refused', 'B'); // the network throws: nothing sent
      refuse = false;
    });
    w.at(300, () => w.sim.crash('B'));
    w.at(500, () => trySend('after-crash', 'B')); // the connection was reset; no reconnection for a minute
    await w.runTo(600);
    expect(results).toEqual({ 'to-B': true, 'to-C': false, 'to-Z': false, refused: false, 'after-crash': false });
    expect(changesSeen(w.node('B'), 'A')).toEqual(['to-B']);
  });
});

describe('links: RTT from heartbeat echoes', () => {
  it('measures the round trip of the echoed heartbeat (both directions, asymmetric too), not a constant', async () => {
    const w = world(['A', 'B', 'C'], {
      peer: { heartbeatMs: 100 },
      net: { links: { 'A->B': { latencyMs: 10 }, 'B->A': { latencyMs: 50 }, 'A->C': { latencyMs: 3 }, 'C->A': { latencyMs: 3 } } },
    });
    for (const id of ['A', 'B', 'C']) w.sim.start(id);
    const before = new Map<string, { score: number; rttMs: number | null }>();
    w.at(0.5, () => {
      for (const p of ['B', 'C']) before.set(p, w.node('A').links.scoreOf(p));
    });
    await w.runTo(2_000);
    // Unmeasured peers rank with the assumed RTT (1 s) until measured.
    expect(before.get('B')).toEqual({ score: 1_000, rttMs: null });
    expect(before.get('C')).toEqual({ score: 1_000, rttMs: null });
    const a = w.node('A');
    expect(a.links.scoreOf('B').rttMs).toBeCloseTo(60, 1); // 10 out + 50 back
    expect(a.links.scoreOf('C').rttMs).toBeCloseTo(6, 1);
    expect(a.links.scoreOf('B').score).toBeCloseTo(60, 1);
    expect(stateOf(a, 'B')).toMatchObject({ peer: 'B', connected: true, rttMs: 60, failures: 0, score: 60 });
    // B measures the same round trip from its side.
    expect(w.node('B').links.scoreOf('A').rttMs).toBeCloseTo(60, 1);
  });

  it('smooths samples with a moving average (weight 0.3): the first sample is taken as is, a change is followed gradually', async () => {
    const w = world(['A', 'B'], { peer: { heartbeatMs: 100 }, net: { latencyMs: 40 } });
    w.sim.start('A');
    w.sim.start('B');
    // At 1 s the link gets slower both ways: the samples go from 80 to 280 ms.
    w.at(1_000, () => {
      w.sim.network.setLink('A', 'B', { latencyMs: 140 });
      w.sim.network.setLink('B', 'A', { latencyMs: 140 });
    });
    await w.runTo(4_000);
    const seen = w.node('A').heartbeats.get('B')!;
    // Replay the expected estimate over the echoes A used (new echo seqs only: a repeated echo is no sample).
    let expected: number | null = null;
    let lastEcho = -1;
    const samples: number[] = [];
    for (const s of seen) {
      if (s.sample !== null && s.hb.echo!.seq > lastEcho) {
        lastEcho = s.hb.echo!.seq;
        samples.push(s.sample);
        expected = expected === null ? s.sample : expected + 0.3 * (s.sample - expected);
      }
      if (expected === null) expect(s.rttAfter).toBeNull();
      else expect(Math.abs(s.rttAfter! - expected)).toBeLessThanOrEqual(0.051);
    }
    // The samples really are the configured round trips, before and after the change.
    expect(samples.length).toBeGreaterThan(20);
    expect(samples[0]).toBeCloseTo(80, 3);
    expect(samples.at(-1)).toBeCloseTo(280, 3);
    for (const x of samples) expect([80, 180, 280].some((v) => Math.abs(x - v) < 0.01), `sample ${x}`).toBe(true);
    // The first sample is the estimate (not averaged with the assumed 1 s or with 0).
    const first = seen.find((s) => s.rttAfter !== null)!;
    expect(first.rttAfter).toBeCloseTo(80, 1);
    // The first slow sample moves the estimate only part of the way; many samples later it has converged.
    const firstSlow = seen.findIndex((s) => s.sample !== null && s.sample > 100);
    const prev = seen[firstSlow - 1]!.rttAfter!;
    expect(prev).toBeCloseTo(80, 1);
    expect(seen[firstSlow]!.rttAfter!).toBeCloseTo(prev + 0.3 * (seen[firstSlow]!.sample! - prev), 1);
    expect(seen[firstSlow]!.rttAfter!).toBeLessThan(seen[firstSlow]!.sample! - 50);
    expect(w.node('A').links.scoreOf('B').rttMs).toBeCloseTo(280, 0);
  });

  it('ignores duplicated and stale heartbeats (by sequence): each seq reaches the handler once, in increasing order', async () => {
    const w = world(['A', 'B'], { peer: { heartbeatMs: 50 }, net: { latencyMs: 5, dupRate: 0.5, reorderRate: 0.3 } });
    w.sim.start('A');
    w.sim.start('B');
    await w.runTo(3_000);
    expect(w.recs('net.dup').length).toBeGreaterThan(10);
    const seqs = w.node('A').heartbeats.get('B')!.map((s) => s.hb.seq);
    expect(seqs.length).toBeGreaterThan(20);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    // Reordered datagrams add delay to some samples, but the estimate stays a measured round trip (>= 10 ms).
    expect(w.node('A').links.scoreOf('B').rttMs).toBeGreaterThanOrEqual(10);
    expect(w.node('A').links.scoreOf('B').rttMs).toBeLessThan(60);
  });
});

describe('links: peer score for choosing a backfill peer', () => {
  it('ranks connected peers by measured RTT (ties by id while unmeasured), a failure costs 500 ms of score, and only ready peers serve', async () => {
    // B is slow from A, C fast; D is fastest but not ready (a joiner still backfilling).
    const w = world(['A', 'B', 'C', 'D'], {
      peer: { heartbeatMs: 100, requestTimeoutMs: 200 },
      ready: ['A', 'B', 'C'],
      net: { links: { 'A->B': { latencyMs: 30 }, 'B->A': { latencyMs: 30 }, 'A->C': { latencyMs: 5 }, 'C->A': { latencyMs: 5 } } },
    });
    for (const id of ['A', 'B', 'C', 'D']) w.sim.start(id);
    let early: string[] = [];
    let earlyScores: number[] = [];
    w.at(95, () => {
      early = w.node('A').links.connectedByScore();
      earlyScores = early.map((p) => w.node('A').links.scoreOf(p).score);
    });
    let measured: string[] = [];
    let serving: string[] = [];
    w.at(1_000, () => {
      measured = w.node('A').links.connectedByScore();
      serving = w.node('A').links.servingByScore();
    });
    // A request C never answers times out: a failure, and C drops below B.
    let timedOut = '';
    w.at(1_010, () => {
      w.node('A').links
        .request('C', (reqId) => ({ type: 'StateRequest', library: LIBRARY, from: 'A', reqId, resource: 'entry', writer: null, since: null, limit: 10 }))
        .then(() => (timedOut = 'answered'), (e: Error) => (timedOut = e.message));
    });
    let after: string[] = [];
    w.at(1_500, () => (after = w.node('A').links.servingByScore()));
    await w.runTo(1_600);
    // Connected (B after a 60 ms handshake) but not measured before the first periodic heartbeats (100 ms):
    // all rank at the assumed RTT, by id.
    expect(early).toEqual(['B', 'C', 'D']);
    expect(earlyScores).toEqual([1_000, 1_000, 1_000]);
    expect(measured).toEqual(['D', 'C', 'B']); // D: 4 ms, C: 10 ms, B: 60 ms
    expect(serving).toEqual(['C', 'B']); // D's heartbeats say it is not ready
    expect(timedOut).toMatch(/StateRequest to C timed out after 200 ms/);
    const a = w.node('A');
    expect(stateOf(a, 'C')).toMatchObject({ failures: 1, rttMs: 10, score: 510 });
    expect(a.links.scoreOf('C').score).toBeCloseTo(510, 1);
    expect(after).toEqual(['B', 'C']);
    a.links.noteFailure('B');
    expect(a.links.servingByScore()).toEqual(['C', 'B']); // 560 > 510
    expect(a.links.scoreOf('nobody')).toEqual({ score: Infinity, rttMs: null });
  });

  it('waitForServer resolves once a connected peer\'s heartbeat says it is ready, not before', async () => {
    const w = world(['A', 'B', 'C'], { peer: { heartbeatMs: 100 }, ready: [] });
    for (const id of ['A', 'B', 'C']) w.sim.start(id);
    let resolvedAt = -1;
    w.at(10, () => void w.node('A').links.waitForServer().then(() => (resolvedAt = w.sim.nowUs())));
    w.at(700, () => {
      expect(resolvedAt).toBe(-1);
      expect(w.node('A').links.connectedByScore()).toHaveLength(2);
      expect(w.node('A').links.servingByScore()).toEqual([]);
      w.node('C').core.state = 'ready';
    });
    await w.runTo(1_500);
    expect(resolvedAt).toBeGreaterThan(ms(700));
    expect(resolvedAt).toBeLessThan(ms(700 + 100 + 10)); // C's next heartbeat, one latency later
    expect(w.node('A').links.servingByScore()).toEqual(['C']);
  });
});
