/**
 * The backfill reference model: the sync states of one peer device with the protocol's data (per resource
 * the assigned peer, the response being applied and the durable checkpoint; the durable `init`; the peers
 * seen ready), fed from the device's trace, what the network delivered (`fact.peer.response`,
 * `fact.peer.heartbeat`) and its durable kv image (`fact.peer.store`). States and guards in
 * docs/peer-sync.md (Model); the guards' reasons are `backfillReasons`.
 *
 *   down --START--> uninitialized --READY--> ready                    (configured founder, or durably complete at start)
 *   uninitialized --BEGIN--> backfilling --COMPLETE--> catchingUp --BUFFER_APPLIED--> bufferApplied --READY--> ready
 *   backfilling --PAUSE--> paused --RESUME--> backfilling;  ASSIGN, RECV, BATCH, PEER_LOST in backfilling
 *   any --CRASH--> down
 */
import { assign, setup } from 'xstate';
import { guardsFrom, type GuardReason, type ModelEvent, type ModelSpec, type ModelTarget, type MonitorWorld } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { compareKey, showKey, type Key } from './change-keys.ts';

/** A full-scan response the network delivered (fact.peer.response with writer null). */
export interface Delivered {
  peer: string;
  since: string | null;
  sinceUuid: string | null;
  n: number;
  last: string | null;
  lastUuid: string | null;
  hasMore: boolean;
}

/** One resource of the durable checkpoint (fact.peer.store). */
export interface DurableEntry {
  ts: string | null;
  uuid: string | null;
  done: boolean;
}

/** The model's data for one device. */
export interface BackfillContext {
  /** A configured founder (it may go ready without a backfill). */
  founder: boolean;
  /** The durable `init` now, and when the current process started. */
  init: boolean;
  initAtStart: boolean;
  /** Live updates were buffered since the last round that applied the buffer (or visible overflow). */
  buffered: boolean;
  /** The durable checkpoint now (null: none). */
  checkpoint: Record<string, DurableEntry> | null;
  /** Resource -> the peer this process last assigned it to. */
  assigned: Record<string, string>;
  /**
   * `peer|resource` -> the full-scan response that peer delivered to the last full-scan request of the
   * resource this process sent it; absent once a newer request was delivered and not answered (an Error
   * reply, a timeout): a batch must answer the request it was asked with.
   */
  delivered: Record<string, Delivered>;
  /** Resource -> the delivered response whose batch is being applied (peer.backfill.recv). */
  applying: Record<string, Delivered>;
  /** Peers that a heartbeat delivered to this device said were ready (hold a complete library). */
  readyPeers: Record<string, true>;
}

/** Model events (payloads as the map builds them). */
export type BackfillEvent =
  | { type: 'START'; founder: boolean }
  | { type: 'CRASH' }
  | { type: 'DURABLE'; init: boolean; checkpoint: Record<string, DurableEntry> | null }
  | ({ type: 'RESPONSE'; resource: string } & Delivered)
  | { type: 'REQUEST'; peer: string; resource: string }
  | { type: 'PEER_READY'; peer: string }
  | { type: 'READY' }
  | { type: 'BEGIN' }
  | { type: 'ASSIGN'; peer: string; resources: string[] }
  | { type: 'RECV'; peer: string; resource: string; n: number; cursor: string | null }
  | { type: 'BATCH'; peer: string; resource: string }
  | { type: 'PEER_LOST' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'COMPLETE' }
  | { type: 'BUFFER' }
  | { type: 'OVERFLOW' }
  | { type: 'BUFFER_APPLIED' }
  | { type: 'LIVE_APPLY' }
  | { type: 'CATCHUP_BATCH' };

type C = BackfillContext;
type E = BackfillEvent;
type Reason = GuardReason<C, E>;

const entryKey = (e: DurableEntry | undefined): Key | null => (e === undefined || e.ts === null ? null : { ts: e.ts, uuid: e.uuid ?? '' });
const showEntry = (e: DurableEntry | undefined): string => `${showKey(entryKey(e))}${e?.done === true ? ' (done)' : ''}`;
/** Where a delivered response ends: its last key, or (empty) where it started. */
const endOf = (d: Delivered): Key | null => (d.last !== null ? { ts: d.last, uuid: d.lastUuid ?? '' } : d.since === null ? null : { ts: d.since, uuid: d.sinceUuid ?? '' });

/** Why the request a batch answers did not start at the durable checkpoint, or null. */
function startsAtCheckpoint(c: C, resource: string, d: Delivered): string | null {
  const cp = c.checkpoint?.[resource];
  const at = entryKey(cp);
  // A shared resource's request names an HLC only (`sinceUuid` null): compare timestamps.
  const same = d.since === (at?.ts ?? null) && (d.sinceUuid === null || d.sinceUuid === (at?.uuid ?? null));
  if (same) return null;
  const since = d.since === null ? null : { ts: d.since, uuid: d.sinceUuid ?? '' };
  const where = since === null ? 'from the start (restarted from zero?)' : at === null || compareKey(since, at) > 0 ? `from ${showKey(since)}, past it (records in between were never received)` : `from ${showKey(since)}, behind it`;
  return `the batch of '${resource}' from ${d.peer} answers a request ${where}, but the durable checkpoint of '${resource}' is at ${showKey(at)}`;
}

/** Why a durable checkpoint change is not the batch being applied, or null. */
function durableAsApplied(c: C, e: E): string | null {
  if (e.type !== 'DURABLE') return null;
  if (e.init && !c.init) return 'the library was marked complete (meta/init) while the backfill is still running';
  if (e.checkpoint === null) return c.checkpoint === null ? null : 'the durable checkpoint was deleted while the backfill is still running';
  for (const [r, now] of Object.entries(e.checkpoint)) {
    const was = c.checkpoint?.[r];
    if (was !== undefined && was.ts === now.ts && was.uuid === now.uuid && was.done === now.done) continue;
    if (was === undefined && now.ts === null && !now.done) continue; // a fresh entry: nothing received yet
    const d = c.applying[r];
    if (d === undefined) return `the durable checkpoint of '${r}' moved to ${showEntry(now)} with no batch of '${r}' being applied`;
    const end = endOf(d);
    if (now.done !== !d.hasMore || compareKey(entryKey(now), end) !== 0) {
      return `the durable checkpoint of '${r}' moved to ${showEntry(now)}, but the batch being applied (from ${d.peer}) ends at ${showKey(end)}${d.hasMore ? '' : ' (done)'}`;
    }
    if (d.n > 0 && compareKey(end, entryKey(was)) <= 0) return `the durable checkpoint of '${r}' went from ${showEntry(was)} to ${showEntry(now)}: not forward`;
  }
  return null;
}

/** Guard name -> reason (null: passes). */
export function backfillReasons(resources: readonly string[]): Record<string, Reason> {
  return {
    readyFromStart: (c) => {
      if (!c.founder && !c.initAtStart) return 'not a configured founder, and its durable state said incomplete (no meta/init) when it started';
      return c.buffered ? 'live updates it buffered while starting were never applied (no peer.buffer.applied after the last peer.buffer.push)' : null;
    },
    readyWhenComplete: (c) => (c.init ? null : 'its library is not durably complete (meta/init not written)'),
    backfillOnlyIfIncomplete: (c) => (c.initAtStart ? 'its durable state says the library is complete (meta/init): it must not backfill again' : null),
    assignReadyPeer: (c, e) => {
      if (e.type !== 'ASSIGN' || c.readyPeers[e.peer] === true) return null;
      return `${e.peer} never said it was ready (no heartbeat with ready: true delivered): it holds part of the library at most`;
    },
    recvAsDelivered: (c, e) => {
      if (e.type !== 'RECV') return null;
      if (c.assigned[e.resource] !== e.peer) return `'${e.resource}' is assigned to ${c.assigned[e.resource] ?? 'no peer'}, not ${e.peer}`;
      const d = c.delivered[`${e.peer}|${e.resource}`];
      if (d === undefined) return `no response of ${e.peer} for '${e.resource}' answers the last full scan of '${e.resource}' this device asked it for (refused with an Error, or not answered)`;
      if (d.n !== e.n || (d.n > 0 && d.last !== e.cursor)) return `applies ${e.n} records up to ${e.cursor ?? '-'}, but ${e.peer}'s response held ${d.n} up to ${d.last ?? '-'}`;
      return startsAtCheckpoint(c, e.resource, d);
    },
    batchCheckpointed: (c, e) => {
      if (e.type !== 'BATCH') return null;
      const d = c.applying[e.resource];
      if (d === undefined || d.peer !== e.peer) return `no batch of '${e.resource}' from ${e.peer} was being applied`;
      const cp = c.checkpoint?.[e.resource];
      if (cp !== undefined && compareKey(entryKey(cp), endOf(d)) === 0 && cp.done === !d.hasMore) return null;
      return `the batch of '${e.resource}' is applied but the durable checkpoint of '${e.resource}' is at ${showEntry(cp)}, not at the batch's end ${showKey(endOf(d))}${d.hasMore ? '' : ' (done)'}`;
    },
    durableAsApplied,
    initOnlyForFounder: (c, e) => {
      if (e.type !== 'DURABLE') return null;
      if (e.checkpoint !== null && JSON.stringify(e.checkpoint) !== JSON.stringify(c.checkpoint)) return 'the durable checkpoint changed before any backfill began';
      return e.init && !c.init && !(c.founder && c.checkpoint === null) ? 'the library was marked complete (meta/init) without a backfill by a device that is not a configured founder' : null;
    },
    completionOnly: (c, e) => {
      if (e.type !== 'DURABLE') return null;
      if (c.init && !e.init) return 'the durable meta/init disappeared';
      return e.checkpoint === null || JSON.stringify(e.checkpoint) === JSON.stringify(c.checkpoint) ? null : 'the durable checkpoint changed after the backfill completed';
    },
    allDone: (c) => {
      const open = resources.filter((r) => c.checkpoint?.[r]?.done !== true);
      return open.length === 0 ? null : `completed while the durable checkpoint says ${open.map((r) => `'${r}'`).join(', ')} not done (${showEntry(c.checkpoint?.[open[0]!])})`;
    },
  };
}

const CRASH = { CRASH: 'down' } as const;
/**
 * Live updates may be buffered in every state before ready; a visible overflow discards them. (Self-loops
 * name their target: XState's `can()` accepts only transitions with a target or actions.)
 */
const buffering = (state: string) => ({ BUFFER: { target: state, actions: 'buffered' }, OVERFLOW: { target: state, actions: 'unbuffered' } }) as const;
const durable = (guard: string) => ({ DURABLE: { guard, actions: 'durable' } }) as const;

/** The backfill machine for a library of `resources` (the guards' `allDone` needs them). */
export function backfillMachine(resources: readonly string[]) {
  return setup({
    types: { context: {} as C, events: {} as E },
    guards: guardsFrom(backfillReasons(resources)),
    actions: {
      start: assign(({ context, event }) => ({
        founder: (event as { founder: boolean }).founder,
        initAtStart: context.init,
        buffered: false,
        assigned: {},
        delivered: {},
        applying: {},
      })),
      buffered: assign({ buffered: true }),
      unbuffered: assign({ buffered: false }),
      durable: assign(({ event }) => {
        const e = event as Extract<E, { type: 'DURABLE' }>;
        return { init: e.init, checkpoint: e.checkpoint };
      }),
      response: assign(({ context, event }) => {
        const { type: _t, resource, ...d } = event as Extract<E, { type: 'RESPONSE' }>;
        return { delivered: { ...context.delivered, [`${d.peer}|${resource}`]: d } };
      }),
      // A new full-scan request: what the peer delivered before answers an older one.
      request: assign(({ context, event }) => {
        const e = event as Extract<E, { type: 'REQUEST' }>;
        const key = `${e.peer}|${e.resource}`;
        if (context.delivered[key] === undefined) return {};
        const { [key]: _old, ...delivered } = context.delivered;
        return { delivered };
      }),
      peerReady: assign(({ context, event }) => ({ readyPeers: { ...context.readyPeers, [(event as { peer: string }).peer]: true as const } })),
      assignPeers: assign(({ context, event }) => {
        const e = event as Extract<E, { type: 'ASSIGN' }>;
        const assigned = { ...context.assigned };
        for (const r of e.resources) assigned[r] = e.peer;
        return { assigned };
      }),
      applying: assign(({ context, event }) => {
        const e = event as Extract<E, { type: 'RECV' }>;
        return { applying: { ...context.applying, [e.resource]: context.delivered[`${e.peer}|${e.resource}`]! } };
      }),
    },
  }).createMachine({
    id: 'backfill',
    context: { founder: false, init: false, initAtStart: false, buffered: false, checkpoint: null, assigned: {}, delivered: {}, applying: {}, readyPeers: {} },
    initial: 'down',
    // Deliveries are facts about the network: recorded in any state (a late response is applied by no one).
    on: { RESPONSE: { actions: 'response' }, REQUEST: { actions: 'request' }, PEER_READY: { actions: 'peerReady' } },
    states: {
      down: { description: "the device's process is not running", on: { START: { target: 'uninitialized', actions: 'start' }, DURABLE: { actions: 'durable' } } },
      uninitialized: {
        description: 'started, neither ready nor backfilling: a founder, or a device durably complete at start, goes ready; another backfills',
        on: {
          READY: { target: 'ready', guard: 'readyFromStart' },
          BEGIN: { target: 'backfilling', guard: 'backfillOnlyIfIncomplete' },
          // A founder applies what it buffered while starting before it goes ready.
          BUFFER_APPLIED: { target: 'uninitialized', actions: 'unbuffered' },
          ...durable('initOnlyForFounder'),
          ...buffering('uninitialized'),
          ...CRASH,
        },
      },
      backfilling: {
        description: 'fetching the library from ready peers, resource by resource, each batch checkpointed durably',
        on: {
          ASSIGN: { guard: 'assignReadyPeer', actions: 'assignPeers' },
          RECV: { guard: 'recvAsDelivered', actions: 'applying' },
          BATCH: { target: 'backfilling', guard: 'batchCheckpointed' },
          PEER_LOST: { target: 'backfilling' },
          PAUSE: 'paused',
          COMPLETE: { target: 'catchingUp', guard: 'allDone' },
          ...durable('durableAsApplied'),
          ...buffering('backfilling'),
          ...CRASH,
        },
      },
      paused: { description: 'the backfill is paused (peer.backfill.pause) until peer.backfill.resume', on: { RESUME: 'backfilling', ...durable('durableAsApplied'), ...buffering('paused'), ...CRASH } },
      catchingUp: { description: 'the backfill is complete (every resource durably done): the live updates buffered meanwhile are applied', on: { BUFFER_APPLIED: { target: 'bufferApplied', actions: 'unbuffered' }, ...durable('completionOnly'), ...buffering('catchingUp'), ...CRASH } },
      // Updates that arrived while a round was being committed (traced before it) send it round again.
      bufferApplied: {
        description: 'the buffer was applied (peer.buffer.applied): ready next, unless more updates arrived',
        on: {
          READY: { target: 'ready', guard: 'readyWhenComplete' },
          BUFFER_APPLIED: { target: 'bufferApplied', actions: 'unbuffered' },
          BUFFER: { target: 'catchingUp', actions: 'buffered' },
          OVERFLOW: { target: 'catchingUp', actions: 'unbuffered' },
          ...durable('completionOnly'),
          ...CRASH,
        },
      },
      ready: { description: 'holds the complete library: applies live updates and catch-up batches', on: { LIVE_APPLY: { target: 'ready' }, CATCHUP_BATCH: { target: 'ready' }, ...durable('completionOnly'), ...CRASH } },
    },
  });
}

const SIMPLE: Record<string, E['type']> = {
  'node.crash': 'CRASH',
  'node.stop': 'CRASH',
  'peer.sync.ready': 'READY',
  'peer.backfill.begin': 'BEGIN',
  'peer.backfill.peer-lost': 'PEER_LOST',
  'peer.backfill.pause': 'PAUSE',
  'peer.backfill.resume': 'RESUME',
  'peer.backfill.complete': 'COMPLETE',
  'peer.buffer.push': 'BUFFER',
  'peer.buffer.overflow': 'OVERFLOW',
  'peer.buffer.applied': 'BUFFER_APPLIED',
  'peer.applied': 'LIVE_APPLY',
  'peer.catchup.batch': 'CATCHUP_BATCH',
};

/**
 * Peer kinds of the model's area (`peer.`) that neither the model nor a peer check reads, with the reason:
 * the closed vocabulary fails every other unread `peer.*` kind, so a new code path cannot go unnoticed.
 */
export const PEER_IGNORES: Readonly<Record<string, string>> = {
  'peer.link.up': 'connection bookkeeping: what the network did is in the simulator records (net.*)',
  'peer.link.down': 'connection bookkeeping: what the network did is in the simulator records (net.*)',
  'peer.link.stale': 'connection bookkeeping (probe peer.link-stale): the network records say what happened',
  'peer.retry.overflow': 'a visible drop of queued sends; catch-up re-fetches (checked by convergence and acked-not-lost)',
  'peer.retry.flush': 'queued sends going out: the messages themselves are on the wire (fact.peer.*)',
  'peer.send.timeout': 'the resend itself is judged on the wire (invariant:resend-unacked), not from this claim',
  'peer.ack.send': 'an acknowledgement counts where the network delivered it (fact.peer.ack: invariant:prune-after-all-acks)',
  'peer.ack.recv': 'an acknowledgement counts where the network delivered it (fact.peer.ack: invariant:prune-after-all-acks)',
  'peer.ack.invalid': 'an acknowledgement of changes never made, ignored by the receiver: nothing to decide',
  'peer.chain.gap': 'a gap triggers a catch-up, which the checks follow (catchup-delta, watermark-received)',
  'peer.catchup.aborted': 'an interrupted catch-up resumes from its watermark; the next catch-up.begin is what is checked',
  'peer.recv': "the implementation's own receive claim: what arrived is on the wire (fact.peer.*)",
  'peer.msg.rejected': 'validation refusals (counted by peer-rogue-messages); a member never sends an invalid message',
  'peer.error.recv': 'an Error received: its effect (a failed request) shows in peer-lost and the next requests',
  'peer.store.error': 'a storage error retried: the durable image (fact.peer.store) shows what was written',
  'peer.metrics': 'metrics snapshots (checked by test/peer/metrics.test.ts)',
  'peer.metrics.restored': 'metrics snapshots (checked by test/peer/metrics.test.ts)',
  'peer.metrics.error': 'metrics snapshots (checked by test/peer/metrics.test.ts)',
};

/** Options of the backfill model. */
export interface BackfillModelOptions {
  /** The library's resources (COMPLETE needs every one done in the durable checkpoint). */
  resources: readonly string[];
  /** Nodes configured as joiners (every other member is a founder: it may go ready without a backfill). */
  joiners?: readonly string[];
}

/**
 * Events that change nothing when repeated (`f(f(s)) = f(s)` in every state): a run of them in a row for
 * one instance is stepped once. A join buffers one event per live record (10,000 in peer-join-10k-crash),
 * and each step of a machine with context costs microseconds; the verdicts are the same (coverage counts
 * such a run as one transition). PEER_READY is a set insertion: stepped once per (instance, peer).
 */
const IDEMPOTENT = new Set<string>(['BUFFER', 'OVERFLOW', 'LIVE_APPLY', 'CATCHUP_BATCH']);

/** Per run (keyed by the monitor's world, one per run): the last event type stepped per instance, and the peers seen ready. */
const RUNS = new WeakMap<MonitorWorld, { last: Map<string, string>; ready: Set<string> }>();

function runOf(world: MonitorWorld): { last: Map<string, string>; ready: Set<string> } {
  let run = RUNS.get(world);
  if (run === undefined) RUNS.set(world, (run = { last: new Map(), ready: new Set() }));
  return run;
}

/** The payload-free events, built once (the monitor never changes an event). */
const PLAIN: Record<string, ModelEvent> = Object.fromEntries([...new Set(Object.values(SIMPLE))].map((type) => [type, { type }]));

function fresh(world: MonitorWorld, targets: ModelTarget[]): ModelTarget[] {
  const run = runOf(world);
  const out: ModelTarget[] = [];
  for (const t of targets) {
    const type = t.event.type;
    if (type === 'PEER_READY') {
      const key = `${t.instance}|${t.event.peer as string}`;
      if (run.ready.has(key)) continue;
      run.ready.add(key);
    } else if (IDEMPOTENT.has(type) && run.last.get(t.instance) === type) continue;
    run.last.set(t.instance, type);
    out.push(t);
  }
  return out;
}

/** The model spec for `Scenario.models`: one instance per peer node among `nodes`. */
export function backfillModel(nodes: readonly string[], options: BackfillModelOptions): ModelSpec {
  const members = new Set(nodes);
  const joiners = new Set(options.joiners ?? []);
  const own = (node: string, event: E): ModelTarget | null => (members.has(node) ? { instance: node, event: event as unknown as ModelEvent } : null);
  const route = (rec: TraceRecord, world: MonitorWorld): ModelTarget | ModelTarget[] | null => {
    const d = rec.data;
    switch (rec.kind) {
      case 'node.start':
        return own(rec.node, { type: 'START', founder: !joiners.has(rec.node) });
      case 'peer.backfill.assign':
        return own(rec.node, { type: 'ASSIGN', peer: d.peer as string, resources: d.resources as string[] });
      case 'peer.backfill.recv':
        return own(rec.node, { type: 'RECV', peer: d.peer as string, resource: d.resource as string, n: d.n as number, cursor: d.cursor as string | null });
      case 'peer.backfill.batch':
        return own(rec.node, { type: 'BATCH', peer: d.peer as string, resource: d.resource as string });
      case 'fact.peer.store': {
        const event: ModelEvent = { type: 'DURABLE', init: d.init as boolean, checkpoint: d.checkpoint as Record<string, DurableEntry> | null };
        return world.nodesOn(d.device as string).filter((n) => members.has(n)).map((instance) => ({ instance, event }));
      }
      case 'fact.peer.request':
        // A full scan (a backfill) delivered to the peer asked: its answer is still to come.
        if (d.writer !== null) return null;
        return own(d.from as string, { type: 'REQUEST', peer: d.to as string, resource: d.resource as string });
      case 'fact.peer.response':
        // Full scans (a backfill) only: a catch-up names its writer; undefined: it answers no request. From
        // any sender: a member of the library that runs no checked node (a scripted peer) may serve too.
        if (d.writer !== null) return null;
        return own(d.to as string, {
          type: 'RESPONSE', resource: d.resource as string, peer: d.from as string, since: d.since as string | null, sinceUuid: d.sinceUuid as string | null,
          n: d.n as number, last: d.last as string | null, lastUuid: d.lastUuid as string | null, hasMore: d.hasMore as boolean,
        });
      case 'fact.peer.heartbeat':
        return d.ready === true ? own(d.to as string, { type: 'PEER_READY', peer: d.from as string }) : null;
      default:
        return null;
    }
  };
  return {
    name: 'backfill',
    machine: backfillMachine(options.resources),
    reasons: backfillReasons(options.resources),
    kinds: [
      'node.start', ...Object.keys(SIMPLE), 'peer.backfill.assign', 'peer.backfill.recv', 'peer.backfill.batch',
      'fact.peer.store', 'fact.peer.request', 'fact.peer.response', 'fact.peer.heartbeat',
    ],
    areas: ['peer.'],
    ignores: PEER_IGNORES,
    facts: ['fact.peer.store', 'fact.peer.request', 'fact.peer.response', 'fact.peer.heartbeat'],
    // A response that answers no request the network delivered (a member answering request ids it was
    // never sent: peer-rogue-responses) carries none of its request's fields; the map ignores it.
    optional: ['fact.peer.response:writer', 'fact.peer.response:since', 'fact.peer.response:sinceUuid'],
    hot: ['uninitialized', 'backfilling', 'paused', 'catchingUp', 'bufferApplied'],
    map(rec: TraceRecord, world: MonitorWorld) {
      // Fast path for the payload-free kinds (a join traces one buffer push per record).
      const simple = SIMPLE[rec.kind];
      if (simple !== undefined) {
        if (!members.has(rec.node)) return null;
        const last = runOf(world).last;
        if (IDEMPOTENT.has(simple) && last.get(rec.node) === simple) return null;
        last.set(rec.node, simple);
        return { instance: rec.node, event: PLAIN[simple]! };
      }
      const t = route(rec, world);
      return t === null ? null : fresh(world, Array.isArray(t) ? t : [t]);
    },
  };
}
