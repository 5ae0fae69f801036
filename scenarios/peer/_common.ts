/**
 * Shared pieces of the peer sync scenarios: the library's resources, topology and program builders, the
 * workload (device-owned inserts and updates, concurrent edits and deletes of a small pool of shared
 * records), liveness (every device up, ready and holding the same data) and the checks and model.
 */
import { retryQueueBounded } from '../../src/model/peer/retry-queue-bounded.ts';
import { clockEvidence } from '../../src/evidence/clock.ts';
import { peerStoreEvidence } from '../../src/evidence/peer-store.ts';
import { peerWireEvidence } from '../../src/evidence/peer-wire.ts';
import type { EvidenceRecorder } from '../../src/evidence/types.ts';
import type { PeerOptions } from '../../src/impl/peer/index.ts';
import { resolvePeerOptions } from '../../src/impl/peer/options.ts';
import { builtInPeerNode, PeerSeamError, startPlugged, type PeerNode } from '../../src/impl/peer/seam.ts';
import { backfillModel } from '../../src/model/peer/backfill-model.ts';
import { peerChecks } from '../../src/model/peer/index.ts';
import { ackedWrites } from '../../src/model/peer/peer-view.ts';
import type { Check, Liveness, Scenario, ScenarioContext, Topology, TopologyNode } from '../../src/scenario/types.ts';
import type { FaultKind } from '../../src/faults/plan.ts';
import { FAULT_KINDS } from '../../src/faults/schema.ts';
import { SWARM_OPT_IN_KINDS, type TriggerOp } from '../../src/faults/swarm.ts';

/** The library every scenario syncs. */
export const LIBRARY = 'library-1';
/** Its resources: two device-owned, two shared. */
export const RESOURCES = { location: 'owned', entry: 'owned', tag: 'shared', album: 'shared' } as const;
const OWNED = ['entry', 'location'] as const;
const SHARED = ['album', 'tag'] as const;
/** Shared records per resource that the workload edits concurrently. */
const SHARED_POOL = 24;

/** Node ids A, B, C... */
export function deviceIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));
}

/** A topology of peers; `joiners` start later (or not at all) and backfill. */
export function peerTopology(ids: string[], extra: Partial<Record<string, Partial<TopologyNode>>> = {}): Topology {
  return { nodes: ids.map((id) => ({ id, role: 'founder', ...extra[id] })) };
}

/**
 * The seams a peer scenario's program builds its nodes through (withImplementations): `peer`, the whole
 * node (src/impl/peer/seam.ts), and `hlc`, the built-in node's clock. Not both: a plugged-in node has its own.
 */
export const PEER_SEAMS = ['hlc', 'peer'] as const;

/**
 * The program: a peer node per topology node; role 'joiner' backfills. The node is the plugged-in one
 * (`ctx.implementations.peer`, started through `startPlugged`, which checks what it gives) or the built-in.
 */
export function peerProgram(ids: string[], options: Partial<PeerOptions> = {}): Scenario['program'] {
  return (node, ctx) => (env) => {
    const opts: PeerOptions = {
      library: LIBRARY,
      peers: ids.filter((p) => p !== node.id),
      resources: RESOURCES,
      founder: node.role !== 'joiner',
      variant: ctx.variant,
      ...options,
    };
    const { peer, hlc } = ctx.implementations;
    if (peer === undefined) {
      // A plugged-in HLC (withImplementations) wins over the scenario's own.
      return builtInPeerNode(env, { ...opts, ...(hlc !== undefined ? { hlc } : {}) });
    }
    if (hlc !== undefined || opts.hlc !== undefined) {
      throw new PeerSeamError("peer seam: the 'hlc' seam plugs a clock into the built-in peer node only; a plugged-in 'peer' node brings its own (plug one or the other)");
    }
    return startPlugged(peer, env, opts);
  };
}

function ready(ctx: ScenarioContext, node: string): PeerNode | null {
  const h = ctx.handle<PeerNode>(node);
  return h !== null && h.state() === 'ready' ? h : null;
}

function remember(ctx: ScenarioContext, node: string, resource: string, uuids: string[], hlcs: string[], deleted: boolean): void {
  const acked = ackedWrites(ctx);
  uuids.forEach((uuid, i) => {
    const hlc = hlcs[i] ?? hlcs[0];
    if (hlc !== undefined) acked.push({ node, resource, uuid, hlc, deleted });
  });
}

/**
 * The workload's record of what it asks `node` to write (`workload.peer-write {node, values}`, the values
 * that are not deletes), made before the write: invariant:own-writes-were-written holds every record a
 * device writes under its own id against it. Returns `items` (a wrapper at each write call).
 */
export function issued<T extends { data: string | null }>(ctx: ScenarioContext, node: string, items: T[]): T[] {
  ctx.emit('workload.peer-write', { node, values: items.flatMap((it) => (it.data === null ? [] : [it.data])) });
  return items;
}

function sharedPool(ctx: ScenarioContext, resource: string): string[] {
  const key = `peer.pool.${resource}`;
  let pool = ctx.shared.get(key) as string[] | undefined;
  if (pool === undefined) {
    pool = Array.from({ length: SHARED_POOL }, (_, i) => `${resource}-${String(i).padStart(3, '0')}`);
    ctx.shared.set(key, pool);
  }
  return pool;
}

/** One random operation on `node` (skipped unless it is up and ready). */
function operate(ctx: ScenarioContext, node: string, k: number): void {
  const h = ready(ctx, node);
  if (h === null) return;
  const rng = ctx.rng;
  if (rng.chance(0.5)) {
    const resource = rng.pick(OWNED);
    const n = rng.chance(0.3) ? rng.range(2, 6) : 1; // batches share one timestamp: ties
    const uuids = Array.from({ length: n }, () => rng.uuid());
    const items = uuids.map((uuid) => ({ uuid, data: `${node}#${k}` }));
    h.writeOwned(resource, issued(ctx, node, items)).then(
      (hlc) => remember(ctx, node, resource, uuids, [hlc], false),
      (e: unknown) => ctx.emit('workload.write-failed', { node, error: String(e) }),
    );
    return;
  }
  const resource = rng.pick(SHARED);
  const uuid = rng.pick(sharedPool(ctx, resource));
  const del = rng.chance(0.1);
  h.writeShared(resource, issued(ctx, node, [{ uuid, data: del ? null : `${node}#${k}` }])).then(
    (hlcs) => remember(ctx, node, resource, hlcs.length > 0 ? [uuid] : [], hlcs, del),
    (e: unknown) => ctx.emit('workload.write-failed', { node, error: String(e) }),
  );
}

/** `count` random operations on random nodes of `nodes`, one every `everyMs` from `fromMs`. */
export function randomWrites(ctx: ScenarioContext, nodes: string[], count: number, fromMs: number, everyMs: number): void {
  const n = Math.max(1, Math.round(count * ctx.workloadScale));
  for (let k = 0; k < n; k++) ctx.at(fromMs + k * everyMs, () => operate(ctx, ctx.rng.pick(nodes), k));
}

/**
 * `count` transactions of `size` device-owned records each by `node` in `resource` (one timestamp per
 * transaction: many ties), one every `everyMs` from `fromMs`.
 */
export function ownedTransactions(ctx: ScenarioContext, node: string, resource: string, size: number, count: number, fromMs: number, everyMs: number): void {
  for (let k = 0; k < count; k++) {
    ctx.at(fromMs + k * everyMs, () => {
      const h = ready(ctx, node);
      if (h === null) return;
      const uuids = Array.from({ length: size }, () => ctx.rng.uuid());
      h.writeOwned(resource, issued(ctx, node, uuids.map((uuid, i) => ({ uuid, data: `${node}#tx${k}-${i}` })))).then(
        (hlc) => remember(ctx, node, resource, uuids, [hlc], false),
        (e: unknown) => ctx.emit('workload.write-failed', { node, error: String(e) }),
      );
    });
  }
}

/**
 * `count` transactions of `size` shared records each by `node` in `resource` (records of the shared pool,
 * one HLC each, ascending: sent as one SharedChangeBatch), one every `everyMs` from `fromMs`.
 */
export function sharedTransactions(ctx: ScenarioContext, node: string, resource: string, size: number, count: number, fromMs: number, everyMs: number): void {
  for (let k = 0; k < count; k++) {
    ctx.at(fromMs + k * everyMs, () => {
      const h = ready(ctx, node);
      if (h === null) return;
      const uuids = ctx.rng.shuffled(sharedPool(ctx, resource)).slice(0, size);
      h.writeShared(resource, issued(ctx, node, uuids.map((uuid, i) => ({ uuid, data: `${node}#stx${k}-${i}` })))).then(
        (hlcs) => remember(ctx, node, resource, hlcs.length === uuids.length ? uuids : [], hlcs, false),
        (e: unknown) => ctx.emit('workload.write-failed', { node, error: String(e) }),
      );
    });
  }
}

/**
 * Ties: `count` rounds in which every ready device of `nodes` writes the same shared record of `resource`
 * in the same instant (one record of the pool per round, a tombstone now and then), one round every
 * `everyMs` from `fromMs`. With clocks that agree, the writes of a round carry equal HLCs (physical ms and
 * counter) and differ only by device: the documented order (the HLC string, its device last) decides.
 */
export function sharedTies(ctx: ScenarioContext, nodes: string[], resource: string, count: number, fromMs: number, everyMs: number): void {
  for (let k = 0; k < count; k++) {
    ctx.at(fromMs + k * everyMs, () => {
      const uuid = ctx.rng.pick(sharedPool(ctx, resource));
      const deleter = ctx.rng.chance(0.2) ? ctx.rng.pick(nodes) : null;
      for (const node of nodes) {
        const h = ready(ctx, node);
        if (h === null) continue;
        const del = node === deleter;
        h.writeShared(resource, issued(ctx, node, [{ uuid, data: del ? null : `${node}#tie${k}` }])).then(
          (hlcs) => remember(ctx, node, resource, hlcs.length > 0 ? [uuid] : [], hlcs, del),
          (e: unknown) => ctx.emit('workload.write-failed', { node, error: String(e) }),
        );
      }
    });
  }
}

/**
 * Seeds a library of about `total` device-owned records spread over `writers` (batches of 500, one batch
 * per writer every `everyMs` from `atMs`), plus every shared record of the pool.
 */
export function seedLibrary(ctx: ScenarioContext, writers: string[], total: number, atMs: number, everyMs = 20): void {
  const n = Math.max(writers.length, Math.round(total * ctx.workloadScale));
  const batch = 500;
  let written = 0;
  let round = 0;
  while (written < n) {
    for (const w of writers) {
      if (written >= n) break;
      const size = Math.min(batch, n - written);
      written += size;
      const resource = OWNED[round % OWNED.length]!;
      const tag = `${w}-seed-${round}`;
      ctx.at(atMs + round * everyMs, () => {
        const h = ready(ctx, w);
        if (h === null) return;
        const uuids = Array.from({ length: size }, () => ctx.rng.uuid());
        h.writeOwned(resource, issued(ctx, w, uuids.map((uuid, i) => ({ uuid, data: `${tag}-${i}` })))).then(
          (hlc) => remember(ctx, w, resource, uuids, [hlc], false),
          (e: unknown) => ctx.emit('workload.write-failed', { node: w, error: String(e) }),
        );
      });
    }
    round++;
  }
  ctx.at(atMs, () => {
    for (const resource of SHARED) {
      const h = ready(ctx, writers[0]!);
      if (h === null) return;
      const pool = sharedPool(ctx, resource);
      h.writeShared(resource, issued(ctx, writers[0]!, pool.map((uuid) => ({ uuid, data: 'seed' })))).then(
        (hlcs) => hlcs.forEach((hlc, i) => remember(ctx, writers[0]!, resource, [pool[i]!], [hlc], false)),
        (e: unknown) => ctx.emit('workload.write-failed', { node: writers[0]!, error: String(e) }),
      );
    }
  });
}

/** Liveness: every node up and ready, all holding the same data. */
export function converged(ids: string[], withinMs = 20_000): Liveness {
  return {
    withinMs,
    pollMs: 200,
    done(ctx) {
      let first: string | null = null;
      for (const id of ids) {
        const h = ctx.handle<PeerNode>(id);
        if (h === null) return `${id} is not up`;
        if (h.state() !== 'ready') return `${id} is ${h.state()} (progress ${JSON.stringify(h.progress())})`;
        const d = h.digest();
        if (first === null) first = d;
        else if (d !== first) return `${id} holds ${d}, ${ids[0]} holds ${first}`;
      }
      return true;
    },
  };
}

/**
 * `maxDriftMs` for the swarm scenarios. A device rejects a remote HLC more than `maxDriftMs` ahead of its
 * own wall clock until its clock catches up (docs/peer-sync.md, HLC): the protocol syncs only devices
 * whose clocks are within that bound, directly or through HLCs that followed a fast clock. The swarm's
 * clock jumps (each up to 60 s, either way, several per device, never undone by healing) build gaps far
 * beyond the default 60 s (peer-swarm-long seed 5887: D 112 s slow), and then a slow device receives
 * nothing until its clock catches up with the newest HLC: never within the liveness bound, never at all
 * while the others keep writing. The swarms promise convergence after healing, so they run with a bound
 * above any gap their jumps can build (40 s at most 0.3 jumps/s of at most 60 s); rejection itself is
 * covered by peer-clock-drift-rejected and the HLC unit tests.
 */
export const SWARM_MAX_DRIFT_MS = 3_600_000;

/**
 * Where swarm disk errors go: a device keeps everything in its kv store, so the swarm's diskError faults
 * fail kv commits (EIO, ENOSPC) and kv reads (key scans). Aimed at disk operations (the swarm's default)
 * they never landed.
 */
export const SWARM_ERROR_OPS = [
  { area: 'kv', op: 'commit' },
  { area: 'kv', op: 'keys' },
] as const;

/**
 * The fault kinds of the peer swarms: every kind a swarm draws by default except fsync failures, torn
 * writes and read bit flips, which are disk-file faults that a kv-only device never meets (armed, they
 * never landed). Not damage at rest either (opt-in): records carry no checksum, so a damaged value is
 * indistinguishable from a write, beyond what the protocol claims to survive.
 */
export const SWARM_KINDS: readonly FaultKind[] = FAULT_KINDS.filter(
  (k) => !SWARM_OPT_IN_KINDS.has(k) && k !== 'fsyncFail' && k !== 'tornWrite' && k !== 'bitFlip',
);

/**
 * Where the swarms' triggered crashes, pauses, clock jumps and isolations land: operations a device
 * performs, with rough rates per device (a no-fault run of peer-swarm: kv commits and message sends
 * ~30/s, datagrams ~5/s, connects and key scans below 1/s), so that most triggers are met.
 */
export const SWARM_TRIGGER_OPS: readonly TriggerOp[] = [
  { area: 'kv', op: 'commit', perSec: 20 },
  { area: 'net', op: 'send', perSec: 20 },
  { area: 'net', op: 'datagram', perSec: 3 },
  { area: 'net', op: 'connect', perSec: 0.3 },
];

/** How a scenario's devices are set up, as the checks and the model need to know it (beyond its topology). */
export interface PeerSetup {
  /** The options given to `peerProgram` (the checks read the batch size and `maxDriftMs` from them). */
  options?: Partial<PeerOptions>;
  /** The ids given to `peerProgram` when they include a node that is no member (a scripted or rogue one). */
  peers?: string[];
}

/** The peer devices of a topology: its nodes of role 'founder' or 'joiner' (not a rogue). */
export function peerMembers(topology: Topology): string[] {
  return topology.nodes.filter((n) => n.role === 'founder' || n.role === 'joiner').map((n) => n.id);
}

/** The joiners of a topology: its nodes of role 'joiner' (they backfill; `peerProgram` starts them so). */
export function peerJoiners(topology: Topology): string[] {
  return topology.nodes.filter((n) => n.role === 'joiner').map((n) => n.id);
}

/**
 * Evidence, checks and the backfill model for a scenario of `topology` (pass the options `peerProgram` got).
 * The members and the joiners are read from the topology's roles, the one place they are configured.
 */
export function peerChecking(topology: Topology, setup: PeerSetup = {}): { checks: Check[]; models: NonNullable<Scenario['models']>; evidence: EvidenceRecorder[] } {
  const ids = peerMembers(topology);
  const joiners = peerJoiners(topology);
  const cfg = resolvePeerOptions({ library: LIBRARY, peers: ids, resources: RESOURCES, ...setup.options });
  return {
    checks: [
      ...peerChecks(ids, {
        batchSize: cfg.batchSize,
        maxDriftMs: cfg.maxDriftMs,
        joiners,
        ackTimeoutMs: cfg.ackTimeoutMs,
        ownedResources: cfg.resourceOrder.filter((r) => cfg.resources.get(r) === 'owned'),
        ...(setup.peers !== undefined ? { peers: setup.peers } : {}),
      }),
      retryQueueBounded(cfg.retryQueueMax),
    ],
    models: [backfillModel(ids, { resources: cfg.resourceOrder, joiners })],
    evidence: [peerWireEvidence(), peerStoreEvidence(), clockEvidence()],
  };
}
