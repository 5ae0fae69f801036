/**
 * Error replies: a member whose heartbeats say it holds a complete library (and offer to relay every other
 * writer's stream) but that answers every request with an Error — `busy` for a full scan, and in turn
 * `unknown-resource`, `malformed` and `busy` for a catch-up or relay request. A peer running another
 * version or implementation of the protocol, overloaded or restarting, can answer so; the built-in nodes
 * never refuse a request their heartbeats invite, so no other scenario makes a peer answer with an error.
 * A refusal must fail the request (the backfill deals the resource to another peer, a catch-up session
 * ends and is retried), never settle it as data or as "nothing more": the backfill model then refuses the
 * batch (`recvAsDelivered`: the refusing peer delivered no answer to the request).
 */
import type { Connection, Env, Value } from '../../src/impl/env.ts';
import { formatHlc, parseHlc } from '../../src/impl/peer/hlc.ts';
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Scenario, Topology } from '../../src/scenario/types.ts';
import { converged, LIBRARY, peerChecking, peerProgram, randomWrites, RESOURCES, seedLibrary, PEER_SEAMS } from './_common.ts';

const real = ['A', 'B', 'C', 'D'];
const members = [...real, 'R'];
const REFUSER = 'R';
/** The scenario's heartbeat period (the built-in default). */
const HEARTBEAT_MS = 500;

type Obj = Record<string, Value>;
/** An HLC one counter step after `ts`. */
const later = (ts: string): string => {
  const h = parseHlc(ts);
  return formatHlc({ ...h, counter: h.counter + 1 });
};
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The refusing member's program. It speaks the heartbeat protocol well enough to be chosen: a hello on
 * every connection, datagram heartbeats every HEARTBEAT_MS with `ready: true`, echoes of each peer's last
 * heartbeat (so its RTT is measured and it is dealt backfill work), a `latest` key of its own in 'tag' whose
 * digest no device holds (so ready devices ask it for its stream) and, as relay `marks`, the newest key
 * every other writer announced (so a device cut off from a writer asks it to relay). It answers every request
 * with an Error naming the request's `reqId`.
 */
function refuser(env: Env): void {
  const boot = env.random.uuid();
  let seq = 0;
  let refusals = 0;
  const conns = new Map<string, Connection>();
  /** Per peer, its last heartbeat (to echo): boot, seq, its send time, when it arrived (our monotonic ms). */
  const echoes = new Map<string, { boot: string; seq: number; sentMs: number; atMs: number }>();
  /** Per resource, per writer, the newest key that writer announced: offered as relay marks. */
  const marks: Record<string, Obj> = Object.fromEntries(Object.keys(RESOURCES).map((r) => [r, {}]));
  const own = { ts: formatHlc({ physicalMs: env.clock.now(), counter: 0, device: REFUSER }), uuid: 'refuser-0' };

  const heartbeat = (to: string): Value => {
    const now = env.clock.monotonic();
    const e = echoes.get(to);
    return {
      type: 'Heartbeat', library: LIBRARY, from: REFUSER, boot, seq: seq++, ready: true,
      hlc: formatHlc({ physicalMs: env.clock.now(), counter: 0, device: REFUSER }), sentMs: now,
      echo: e === undefined ? null : { boot: e.boot, seq: e.seq, sentMs: e.sentMs, heldMs: now - e.atMs },
      latest: Object.fromEntries(Object.keys(RESOURCES).map((r) => [r, r === 'tag' ? own : null])),
      digest: Object.fromEntries(Object.keys(RESOURCES).map((r) => [r, r === 'tag' ? '1:1' : '0:0'])),
      marks,
    };
  };
  const onHeartbeat = (from: string, m: Obj): void => {
    if (typeof m.boot !== 'string' || typeof m.seq !== 'number' || typeof m.sentMs !== 'number') return;
    echoes.set(from, { boot: m.boot, seq: m.seq, sentMs: m.sentMs, atMs: env.clock.monotonic() });
    if (!isObj(m.latest)) return;
    // Offered a little past what the writer announced: while the writer is out of reach, the others ask R.
    for (const [r, c] of Object.entries(m.latest)) {
      if (isObj(c) && typeof c.ts === 'string' && isObj(marks[r])) marks[r]![from] = { ts: later(c.ts), uuid: c.uuid ?? '' };
    }
  };
  const send = (conn: Connection, m: Value): void => {
    try {
      conn.send(m);
    } catch {
      // closed under our feet (a crash of the other end): the peer redials
    }
  };
  const onMessage = (conn: Connection, v: Value): void => {
    if (!isObj(v)) return;
    if (v.type === 'Heartbeat') return onHeartbeat(conn.peer, v);
    if (v.type !== 'StateRequest' && v.type !== 'SharedChangeRequest') return;
    const code = v.writer === null ? 'busy' : (['unknown-resource', 'malformed', 'busy'] as const)[refusals++ % 3]!;
    send(conn, { type: 'Error', library: LIBRARY, from: REFUSER, code, message: `${REFUSER} refuses this request`, ref: v.type, reqId: v.reqId ?? null });
  };

  env.net.listen((c) => {
    conns.get(c.peer)?.close();
    conns.set(c.peer, c);
    c.onMessage((v) => onMessage(c, v));
    c.onClose(() => {
      if (conns.get(c.peer) === c) conns.delete(c.peer);
    });
    send(c, heartbeat(c.peer));
  });
  env.net.onDatagram((from, v) => {
    if (isObj(v) && v.type === 'Heartbeat') onHeartbeat(from, v);
  });
  env.clock.setInterval(() => {
    for (const p of real) env.net.sendDatagram(p, heartbeat(p));
  }, HEARTBEAT_MS);
}

const refusedTopology: Topology = {
  nodes: [
    { id: 'A', role: 'founder' },
    { id: 'B', role: 'founder' },
    { id: 'C', role: 'joiner', startAtMs: 400 },
    { id: 'D', role: 'joiner', startAtMs: 2_500 },
    { id: REFUSER, role: 'refuser' },
  ],
};

const options = { batchSize: 100 };

const refused: Scenario = {
  name: 'peer-backfill-refused',
  description:
    'A member R says it is ready and offers to relay every stream, but answers every request with an Error (busy, unknown-resource, malformed). C and D backfill 2,000 records from A, B and R (C loses power mid-backfill), B goes down for a while: every refusal must fail its request, never complete a resource or a catch-up, and all real devices converge.',
  suites: ['smoke', 'ci'],
  topology: refusedTopology,
  program: (node, ctx) => (node.role === 'refuser' ? refuser : peerProgram(members, options)(node, ctx)),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    seedLibrary(ctx, ['A', 'B'], 2_000, 100);
    randomWrites(ctx, ['A', 'B'], 60, 600, 50);
    randomWrites(ctx, real, 60, 4_000, 40);
  },
  faults: {
    events: [
      // A new process forgets its peers' failures: R is dealt work again.
      { kind: 'crash', node: 'C', trigger: { node: 'C', area: 'kv', op: 'commit', nth: 6 }, powerLoss: true, restartAfterMs: 300 },
      // While B is down, the others ask a relay (R among them) for B's stream.
      { kind: 'crash', atMs: 3_400, node: 'B', restartAfterMs: 1_200 },
    ],
  },
  durationMs: 8_000,
  liveness: converged(real),
  ...peerChecking(refusedTopology, { options, peers: members }),
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

export default [refused];
