/**
 * yjs (npm, unmodified) synced between three peers over the simulated network, each persisting to its own
 * device's kv store, under partitions, crashes with power loss, lost / duplicated / reordered datagrams and
 * clock skew. See README.md here.
 *
 * Checks decide from the workload's record of acknowledged edits, the kv store's durable content (decoded
 * by the check with its own `Y.Doc`) and each peer's document re-decoded from `Y.encodeStateAsUpdate`,
 * never from a "synced" flag of the library or the adapter.
 */
import type { TraceRecord } from '../../src/sim/trace.ts';
import type { SwarmOptions } from '../../src/faults/swarm.ts';
import type { FaultPlan } from '../../src/faults/plan.ts';
import { inNode } from '../_helpers.ts';
import type { Check, Liveness, Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { ACK_BEFORE_PERSIST, LOCAL_STORE, NO_RESYNC, REMOTE_STORE, contentOf, docFromUpdates, startYPeer, stateOf, type YPeer } from './_adapter.ts';

/** The weakened variants of this example (accepted by `--variant` for its scenarios; never the default). */
export const variants = [
  {
    name: NO_RESYNC,
    area: 'yjs',
    description: 'state vectors are exchanged only on the first connection to each peer (no resync on reconnect, none periodic): updates lost in partitions and dropped datagrams stay lost; liveness:converge must fail',
  },
  {
    name: ACK_BEFORE_PERSIST,
    area: 'yjs',
    description: 'a local edit is acknowledged before its update is committed to the kv store (and sent after the commit): a crash in between loses an acknowledged edit; invariant:acked-everywhere must fail',
  },
];

const PEERS = ['A', 'B', 'C'];
/** ctx.shared: key -> {node, value} of every edit the workload saw acknowledged (unique keys only). */
const ACKED = 'yjs.acked';

/**
 * An edit every `everyMs` at a random peer: most set a key of their own (`k<i>`, checked for presence
 * everywhere once acknowledged), one in five sets one of three keys every peer writes (concurrent writes
 * that yjs must resolve the same way everywhere: checked by convergence only).
 */
function workload(ctx: ScenarioContext, untilMs: number, everyMs: number): void {
  const acked = new Map<string, { node: string; value: string }>();
  ctx.shared.set(ACKED, acked);
  let i = 0;
  for (let t = 50; t < untilMs; t += everyMs) {
    const node = PEERS[ctx.rng.int(PEERS.length)]!;
    const n = i++;
    const hot = ctx.rng.int(5) === 0;
    const key = hot ? `hot${n % 3}` : `k${n}`;
    const value = `${node}:${n}`;
    ctx.at(t, () =>
      inNode<YPeer>(ctx, node, (p) => {
        ctx.emit('workload.edit', { node, key, value });
        p.edit(key, value).then(
          () => {
            ctx.emit('workload.acked', { node, key, value });
            if (!hot) acked.set(key, { node, value });
          },
          () => undefined,
        );
      }),
    );
  }
}

/** The durable content of `node`'s kv store, decoded with a fresh Y.Doc (the simulator's evidence). */
function durableContent(ctx: ScenarioContext, node: string): Record<string, unknown> {
  const kv = ctx.sim.device(ctx.sim.node(node).deviceId).kv;
  const updates: Uint8Array[] = [];
  for (const store of [LOCAL_STORE, REMOTE_STORE]) {
    const n = (kv.durableGet(store, 'n') as number | undefined) ?? 0;
    for (let i = 1; i <= n; i++) {
      const u = kv.durableGet(store, i);
      if (u instanceof Uint8Array) updates.push(u);
    }
  }
  return docFromUpdates(updates).getMap<string>().toJSON();
}

const sorted = (o: Record<string, unknown>): string => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));

/**
 * invariant:acked-durable: an acknowledged edit is in the durable kv content of the peer that acknowledged
 * it (the store a crash leaves). invariant:acked-everywhere: after healing, every acknowledged edit is in
 * every peer's document. invariant:converged: the peers' documents, each decoded from its
 * `Y.encodeStateAsUpdate` with a fresh Y.Doc, have the same content. (Decoded after the run: a new Y.Doc
 * draws randomness, which a check must not take from the run.)
 */
const ackedChecks: Check = {
  name: 'invariant:acked-everywhere',
  covers: ['invariant:acked-durable', 'invariant:acked-everywhere', 'invariant:converged'],
  final(ctx) {
    const acked = ctx.shared.get(ACKED) as Map<string, { node: string; value: string }>;
    const durable = new Map(PEERS.map((p) => [p, durableContent(ctx, p)]));
    const live = new Map(PEERS.map((p) => [p, ctx.handle<YPeer>(p)]));
    const decoded = new Map(PEERS.map((p) => [p, live.get(p) ? contentOf(live.get(p)!.doc) : null]));
    const first = decoded.get(PEERS[0]!);
    for (const p of PEERS) {
      const c = decoded.get(p);
      if (c === null || first === null || first === undefined || c === undefined) continue;
      ctx.exercised('invariant:converged');
      if (sorted(c) !== sorted(first)) return ctx.fail('correctness', 'invariant:converged', `the decoded content of ${p} differs from ${PEERS[0]}'s after convergence`);
    }
    for (const [key, { node, value }] of acked) {
      ctx.exercised('invariant:acked-durable');
      if (durable.get(node)![key] === undefined) {
        return ctx.fail('correctness', 'invariant:acked-durable', `edit ${key}=${value} was acknowledged by ${node} but ${node}'s kv store does not hold it durably`, { key, value, node });
      }
      for (const p of PEERS) {
        const peer = live.get(p);
        if (peer === null || peer === undefined) continue;
        ctx.exercised('invariant:acked-everywhere');
        const has = decoded.get(p)?.[key];
        if (has === undefined) {
          return ctx.fail('correctness', 'invariant:acked-everywhere', `edit ${key}=${value} acknowledged by ${node} is missing at ${p} after healing`, { key, value, node, peer: p });
        }
      }
    }
  },
};

/** After healing, every peer is up and the three documents have the same content. */
function converge(healMs: number, withinMs: number): Liveness {
  const pollMs = 100;
  return {
    withinMs,
    pollMs,
    done(ctx) {
      const up = PEERS.map((p) => ctx.handle<YPeer>(p));
      if (up.some((p) => p === null)) return `peers not up: ${PEERS.filter((_, i) => up[i] === null).join(', ')}`;
      const states = up.map((p) => stateOf(p!.doc));
      if (states.every((c) => c === states[0])) return true;
      const sizes = up.map((p, i) => `${PEERS[i]} ${p!.doc.getMap().size} keys`).join(', ');
      const reason = `documents differ (${sizes})`;
      if (ctx.nowMs() - healMs + pollMs > withinMs) ctx.fail('liveness', 'liveness:converge', `${reason} ${Math.round(ctx.nowMs() - healMs)} ms after healing`);
      return reason;
    },
  };
}

/**
 * invariant:unique-client-ids: yjs relies on random client ids being unique (two incarnations with one id
 * would corrupt the documents); the ids come from the seeded `crypto.getRandomValues` (app.start records).
 */
const startRecords: Check = {
  name: 'invariant:unique-client-ids',
  setup(ctx) {
    const ids = new Map<number, string>();
    ctx.sim.trace.on('app.start', (r: TraceRecord) => {
      const id = Number(r.data.clientID);
      const other = ids.get(id);
      ctx.exercised('invariant:unique-client-ids');
      if (other !== undefined) ctx.fail('correctness', 'invariant:unique-client-ids', `${r.node} started with client id ${id}, already used by ${other}`);
      ids.set(id, `${r.node}#${ctx.sim.node(r.node).incarnation}`);
    });
  },
  covers: ['invariant:unique-client-ids'],
};

const SWARM: SwarmOptions = {
  kinds: ['crash', 'pause', 'partition', 'isolate', 'linkFaults', 'resetConnections', 'clockJump', 'clockDrift'],
  triggerOps: [
    { area: 'kv', op: 'commit', perSec: 15 },
    { area: 'net', op: 'datagram', perSec: 15 },
    { area: 'net', op: 'send', perSec: 3 },
  ],
};

/** A partition, a power loss at a commit, lossy and duplicating links, a wall clock jump. */
const PLAN: FaultPlan = {
  events: [
    { kind: 'partition', atMs: 500, a: ['A'], b: ['B', 'C'], durationMs: 1_500 },
    { kind: 'linkFaults', atMs: 1_000, lossRate: 0.3, dupRate: 0.2, reorderRate: 0.2, durationMs: 2_000 },
    // B dies right after committing an edit of its own (before it hears back), C right before.
    { kind: 'crash', node: 'B', powerLoss: true, restartAfterMs: 300, when: 'after', trigger: { node: 'B', area: 'kv', op: 'commit', target: LOCAL_STORE, nth: 12 } },
    { kind: 'crash', node: 'C', powerLoss: true, restartAfterMs: 300, when: 'before', trigger: { node: 'C', area: 'kv', op: 'commit', target: LOCAL_STORE, nth: 20 } },
    { kind: 'clockJump', node: 'A', atMs: 2_000, deltaMs: -30_000 },
  ],
};

function scenario(name: string, description: string, faults: Scenario['faults'], durationMs: number): Scenario {
  return {
    name,
    description,
    suites: ['examples'],
    topology: {
      // Skewed wall clocks: yjs orders nothing by time, so skew must change nothing.
      nodes: PEERS.map((id, i) => ({ id, role: 'peer', clock: { offsetMs: (i - 1) * 45_000, driftPpm: (i - 1) * 300 } })),
    },
    program: (node, ctx) => (env) => startYPeer(env, PEERS.filter((p) => p !== node.id), ctx.variant),
    workload: (ctx) => workload(ctx, durationMs - 100, 40),
    faults,
    durationMs,
    checks: [ackedChecks, startRecords],
    liveness: converge(durationMs, 5_000),
    variantAreas: ['yjs'],
  };
}

/** ctx.shared: virtual ms of every note edit, by key; and what the undo reverted. */
const NOTES = 'yjs.notes';
const UNDONE = 'yjs.undone';
/** Y.UndoManager's default captureTimeout: edits closer than this (ms) form one undo step. */
const CAPTURE_MS = 500;

/**
 * A user edits notes at peer A once a second (each edit its own undo step: they are 1,000 ms apart, over
 * yjs's 500 ms capture timeout), then undoes once. The undo must revert exactly the last step: the last edit
 * and any edits chained to it less than 500 ms apart in true time (virtual time, as the user lives it).
 */
function undoScenario(name: string, description: string, suites: string[], faults: FaultPlan): Scenario {
  const edits = 6;
  return {
    name,
    description,
    suites,
    topology: { nodes: [{ id: 'A', role: 'peer' }] },
    program: (_node, ctx) => (env) => startYPeer(env, [], ctx.variant),
    workload: (ctx) => {
      const times = new Map<string, number>();
      ctx.shared.set(NOTES, times);
      for (let i = 0; i < edits; i++) {
        const at = 500 + i * 1_000;
        ctx.at(at, () => inNode<YPeer>(ctx, 'A', (p) => (times.set(`n${i}`, ctx.nowMs()), p.note(`n${i}`, `v${i}`))));
      }
      ctx.at(500 + edits * 1_000, () =>
        inNode<YPeer>(ctx, 'A', (p) => {
          const before = p.doc.getMap<string>('notes').toJSON();
          p.undo();
          const after = p.doc.getMap<string>('notes').toJSON();
          const reverted = Object.keys(before).filter((k) => after[k] !== before[k]).sort();
          ctx.shared.set(UNDONE, reverted);
          ctx.emit('workload.undo', { reverted });
        }),
      );
    },
    faults,
    durationMs: 1_000 + edits * 1_000,
    checks: [
      {
        name: 'invariant:undo-step',
        covers: ['invariant:undo-step'],
        final(ctx) {
          const times = ctx.shared.get(NOTES) as Map<string, number>;
          const reverted = ctx.shared.get(UNDONE) as string[] | undefined;
          if (reverted === undefined) return ctx.fail('correctness', 'invariant:undo-step', 'the undo never ran');
          // The last step in true time: the last edit and those chained to it less than CAPTURE_MS apart.
          const order = [...times].sort((a, b) => a[1] - b[1]);
          const step = [order[order.length - 1]![0]];
          for (let i = order.length - 1; i > 0 && order[i]![1] - order[i - 1]![1] < CAPTURE_MS; i--) step.push(order[i - 1]![0]);
          ctx.exercised('invariant:undo-step');
          if (JSON.stringify(step.sort()) !== JSON.stringify(reverted)) {
            ctx.fail('correctness', 'invariant:undo-step', `one undo reverted ${reverted.join(', ') || 'nothing'}; the last step (edits under ${CAPTURE_MS} ms apart, true time) is ${step.join(', ')}`, { reverted, step });
          }
        },
      },
    ],
    variantAreas: ['yjs'],
  };
}

export default [
  undoScenario(
    'yjs-undo',
    "One yjs peer's Y.UndoManager: notes edited a second apart, under a skewed and drifting clock; one undo reverts the last edit only.",
    ['examples'],
    { events: [{ kind: 'clockDrift', node: 'A', atMs: 100, driftPpm: 2_000 }, { kind: 'clockJump', node: 'A', atMs: 2_000, deltaMs: 45_000 }] },
  ),
  undoScenario(
    'yjs-undo-clock-back',
    "The bench's finding: the same, with A's wall clock stepped back 30 s between the last two edits (an NTP correction): yjs groups undo steps by Date.now, so one undo reverts two edits a second apart.",
    ['findings'],
    { events: [{ kind: 'clockJump', node: 'A', atMs: 5_000, deltaMs: -30_000 }] },
  ),
  scenario('yjs-faults', 'Three yjs peers: a partition, power losses at kv commits, lossy and duplicating links, a clock jump and skewed clocks; acknowledged edits everywhere, documents converge.', PLAN, 4_000),
  scenario('yjs-swarm', 'Three yjs peers under a swarm of crashes, pauses, partitions, isolations, link faults, connection resets and clock jumps/drift; acknowledged edits everywhere, documents converge.', { swarm: SWARM }, 8_000),
];
