/**
 * The sync-status reference model: one instance per client, stepped with every footer status the client
 * shows (`cs.status`) and with the ground truth that decides whether it may show it — the client's sync
 * connection as the network made it (net.established / net.close), what the network delivered on it
 * (fact.cs.hello, fact.cs.welcome, fact.cs.changes, fact.cs.ack) and on the meta channel (fact.cs.meta), and the client's
 * durable database (fact.cs.client: its remembered server site id and cursor). States and guards in
 * docs/client-server.md (Model); each guard's reason is in `statusReasons`.
 *
 *   down --START--> disconnected <--> connecting --SYNCED|SYNCING--> synced <--> syncing
 *   connecting --STUCK--> stuck; connecting --INCOMPATIBLE--> incompatible; Nuke and Resync: back to
 *   disconnected; any --CRASH--> down. FACT (any state) records the evidence.
 *
 * Hot: connecting and syncing must be left before the liveness deadline.
 */
import { assign, setup } from 'xstate';
import { guardsFrom, type GuardReason, type ModelEvent, type ModelSpec, type ModelTarget, type MonitorWorld } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';

/** The server a delivered Welcome named. */
export interface Welcomed {
  site: string;
  schema: number;
  head: number;
}

/** The model's data for one client. */
export interface StatusContext {
  /**
   * The client's schema version (its cs.client.start: configuration), for Meta answers; a Welcome is
   * judged against the schema the Hello on its connection announced (fact.cs.hello).
   */
  schema: number;
  /** Durable (fact.cs.client): the client's site id, the server site id it remembers, its cursor. */
  site: string | null;
  remembered: string | null;
  cursor: number;
  /** The open sync connection (net.established to the server, no net.close since), or null. */
  conn: string | null;
  /** The Hello delivered to the server on `conn` (the schema and cursor the client announced), or null. */
  hello: { schema: number; cursor: number } | null;
  /** The Welcome delivered on `conn`, or null. */
  welcome: Welcomed | null;
  /** Why the latest Welcome or Meta delivered showed the server incompatible (null: none did). */
  mismatch: string | null;
  /** When `conn` last made progress (opened; Welcome, Changes or Ack delivered), µs. */
  progressUs: number;
  /** The client showed green while `conn` was open. */
  greenOnConn: boolean;
  /** Connections in a row that closed before the client showed green on them. */
  failures: number;
}

/** Evidence for the context (FACT). */
export type Fact =
  | { what: 'open'; conn: string; atUs: number }
  | { what: 'close'; conn: string }
  | { what: 'hello'; conn: string; schema: number; cursor: number }
  | { what: 'welcome'; site: string; schema: number; head: number; atUs: number }
  | { what: 'progress'; atUs: number }
  | { what: 'meta'; site: string | null; schema: number | null }
  | { what: 'durable'; site: string | null; server: string | null; cursor: number };

/** Model events. */
export type StatusEvent =
  | { type: 'START'; schema: number }
  | { type: 'CRASH' }
  | ({ type: 'FACT' } & Fact)
  | { type: 'DISCONNECTED' | 'CONNECTING' | 'SYNCED' | 'SYNCING' | 'STUCK' | 'INCOMPATIBLE'; pending: number; atUs: number };

type C = StatusContext;
type E = StatusEvent;

/** The client's bounds, as configured (the model judges "stuck" by them). */
export interface StatusBounds {
  rapidFailuresMax: number;
  stuckAfterMs: number;
}

/** Why (site, schema) is not a server a client remembering `remembered` with `schema` may sync with. */
export function incompatibility(remembered: string | null, schema: number, site: string | null, serverSchema: number | null): string | null {
  if (site === null) return 'the server has no such database';
  if (serverSchema !== schema) return `the server runs schema ${String(serverSchema)}, the client ${schema}`;
  if (remembered !== null && site !== remembered) return `the server's site id is ${site.slice(0, 8)}, the client synced with ${remembered.slice(0, 8)} (rebuilt)`;
  return null;
}

/**
 * Why the Welcome `w` on a connection whose Hello was `hello` shows a server the client may not sync with:
 * `incompatibility` with the schema the Hello announced (the configured one when no Hello was seen), or a
 * log head below the Hello's cursor (the server then serves nothing: it must not show green).
 */
function welcomeMismatch(c: C, w: Welcomed, hello: C['hello']): string | null {
  const why = incompatibility(c.remembered, hello?.schema ?? c.schema, w.site, w.schema);
  if (why !== null || hello === null || hello.cursor <= w.head) return why;
  return `the server's log ends at ${w.head}, below the cursor ${hello.cursor} the client's Hello announced`;
}

/** Guard name -> reason (null: passes). */
export function statusReasons(bounds: StatusBounds): Record<string, GuardReason<C, E>> {
  return {
    offline: (c) => (c.conn === null ? null : `the sync connection ${c.conn} is open (net.established, no net.close)`),
    handshaken: (c, e) => {
      if (c.conn === null) return 'no sync connection is open';
      const w = c.welcome;
      if (w === null) return `no Welcome was delivered on ${c.conn}: the handshake has not completed`;
      const why = welcomeMismatch(c, w, c.hello);
      if (why !== null) return `the Welcome on ${c.conn} shows an incompatible server: ${why}`;
      if (c.remembered !== w.site) return `the client's durable database does not remember the server ${w.site.slice(0, 8)} it shows green for`;
      if (c.cursor < w.head) return `its durable cursor ${c.cursor} is behind the server's head ${w.head} at the handshake: not caught up`;
      if ('pending' in e && (e.type === 'SYNCED') !== (e.pending === 0)) return `${e.type} with ${e.pending} pending`;
      return null;
    },
    mismatched: (c) => (c.mismatch !== null ? null : 'no Welcome or Meta delivered to the client showed an incompatible server'),
    stuckEvidence: (c, e) => {
      if (c.failures >= bounds.rapidFailuresMax) return null;
      const atUs = 'atUs' in e ? e.atUs : 0;
      const idleMs = (atUs - c.progressUs) / 1000;
      if (c.conn !== null && idleMs >= bounds.stuckAfterMs) return null;
      return `${c.failures} connection(s) in a row failed before the handshake (stuck needs ${bounds.rapidFailuresMax}), and ${c.conn === null ? 'no connection is open' : `${c.conn} made progress ${idleMs.toFixed(0)} ms ago (stuck needs ${bounds.stuckAfterMs} ms)`}`;
    },
  };
}

/** The context after a fact. */
function applyFact(c: C, f: Fact): Partial<C> {
  switch (f.what) {
    case 'open':
      return { conn: f.conn, hello: null, welcome: null, progressUs: f.atUs, greenOnConn: false };
    case 'close':
      if (f.conn !== c.conn) return {};
      return { conn: null, hello: null, welcome: null, failures: c.greenOnConn ? c.failures : c.failures + 1 };
    case 'hello':
      return f.conn === c.conn ? { hello: { schema: f.schema, cursor: f.cursor } } : {};
    case 'welcome': {
      const why = welcomeMismatch(c, f, c.hello);
      return { welcome: { site: f.site, schema: f.schema, head: f.head }, progressUs: f.atUs, mismatch: why ?? c.mismatch };
    }
    case 'progress':
      return { progressUs: f.atUs };
    case 'meta': {
      const why = incompatibility(c.remembered, c.schema, f.site, f.schema);
      return why === null ? {} : { mismatch: why };
    }
    case 'durable':
      // A new site id is a Nuke and Resync: a fresh database that remembers no server and saw no mismatch.
      if (c.site !== null && f.site !== c.site) return { site: f.site, remembered: f.server, cursor: f.cursor, mismatch: null, failures: 0 };
      return { site: f.site, remembered: f.server, cursor: f.cursor };
  }
}

const green = { SYNCED: { target: 'synced', guard: 'handshaken', actions: 'green' }, SYNCING: { target: 'syncing', guard: 'handshaken', actions: 'green' } } as const;
const CRASH = { CRASH: 'down' } as const;

/** The sync-status machine. */
export function statusMachine(bounds: StatusBounds) {
  return setup({
    types: { context: {} as C, events: {} as E },
    guards: guardsFrom(statusReasons(bounds)),
    actions: {
      start: assign(({ event }) => ({ schema: (event as { schema: number }).schema, conn: null, hello: null, welcome: null, mismatch: null, greenOnConn: false, failures: 0 })),
      fact: assign(({ context, event }) => applyFact(context, event as unknown as Fact)),
      green: assign({ greenOnConn: true, failures: 0 }),
    },
  }).createMachine({
    id: 'sync-status',
    context: { schema: 0, site: null, remembered: null, cursor: 0, conn: null, hello: null, welcome: null, mismatch: null, progressUs: 0, greenOnConn: false, failures: 0 },
    initial: 'down',
    on: { FACT: { actions: 'fact' } },
    states: {
      // A crash while starting (before cs.client.start) leaves it down.
      down: { description: 'the client is not running (before cs.client.start, after a crash or stop)', on: { START: { target: 'disconnected', actions: 'start' }, ...CRASH } },
      disconnected: {
        description: 'shows disconnected: only while no sync connection is open',
        on: { DISCONNECTED: { target: 'disconnected', guard: 'offline' }, CONNECTING: 'connecting', ...CRASH },
      },
      connecting: {
        description: 'shows connecting',
        on: {
          CONNECTING: 'connecting',
          DISCONNECTED: { target: 'disconnected', guard: 'offline' },
          ...green,
          STUCK: { target: 'stuck', guard: 'stuckEvidence' },
          INCOMPATIBLE: { target: 'incompatible', guard: 'mismatched' },
          ...CRASH,
        },
      },
      synced: { description: 'shows synced (green, 0 pending): only after a compatible handshake on the open connection, caught up', on: { ...green, DISCONNECTED: { target: 'disconnected', guard: 'offline' }, ...CRASH } },
      syncing: { description: 'shows syncing (green, changes pending): as synced, with pending changes', on: { ...green, DISCONNECTED: { target: 'disconnected', guard: 'offline' }, STUCK: { target: 'stuck', guard: 'stuckEvidence' }, ...CRASH } },
      // Stuck stays until a handshake completes, or until Nuke and Resync (which ends the attempt in
      // progress before it wipes: disconnected).
      stuck: {
        description: 'shows stuck: only after connections failing in a row or an open one without progress; stays until a handshake completes or Nuke and Resync',
        on: {
          STUCK: 'stuck',
          ...green,
          INCOMPATIBLE: { target: 'incompatible', guard: 'mismatched' },
          DISCONNECTED: { target: 'disconnected', guard: 'offline' },
          ...CRASH,
        },
      },
      // Incompatible stays until Nuke and Resync.
      incompatible: { description: 'shows incompatible: only after a Welcome or Meta showed an incompatible server; stays until Nuke and Resync', on: { INCOMPATIBLE: 'incompatible', DISCONNECTED: { target: 'disconnected', guard: 'offline' }, ...CRASH } },
    },
  });
}

const STATUS_EVENT: Record<string, E['type']> = {
  disconnected: 'DISCONNECTED',
  connecting: 'CONNECTING',
  synced: 'SYNCED',
  syncing: 'SYNCING',
  stuck: 'STUCK',
  incompatible: 'INCOMPATIBLE',
};

/** Kinds of the model's area (`cs.`) it does not read, with the reason (the closed vocabulary). */
export const CS_IGNORES: Readonly<Record<string, string>> = {
  'cs.server.start': "the server's own account of its start: its durable identity is in fact.cs.server",
  'cs.server.hello': 'the handshake is judged on what the network delivered (fact.cs.hello, fact.cs.welcome)',
  'cs.server.append': "the server's own account of an append: the durable log is in fact.cs.server",
  'cs.server.exec': "the server's own account of an operator write: the durable log is in fact.cs.server",
  'cs.server.invalid': 'an invalid message dropped by the server: nothing was applied',
  'cs.client.invalid': 'an invalid message dropped by the client: nothing was applied',
  'cs.client.store-error': 'a failed local commit: the client closes the connection (the model sees net.close) and resumes from its durable state',
  'cs.server.store-error': 'a failed server commit: not acknowledged, the session is closed; the durable log (fact.cs.server) shows nothing was stored',
  'cs.store-retry': 'a storage step at start retried after an injected error: the durable images (fact.cs.*) show what was written',
  'cs.meta.serve': 'the meta endpoint answering: what the client got is fact.cs.meta',
  'cs.incompatible': 'the reason is also in the cs.status record the model steps',
  'cs.nuke': 'judged on the durable image (invariant:nuke-reports: fact.cs.client site change and unsaved keys)',
  'cs.tab.status': "what a tab shows (several tabs): judged against the device client's cs.status by invariant:tabs-agree",
  'cs.tab.stop': "a tab's client tenure ended (several tabs): the device view maps the next client's start as a new process (TabsView)",
};

/** Options of the sync-status model. */
export interface StatusModelOptions extends Partial<StatusBounds> {
  /** The sync server's and the meta endpoint's addresses. */
  server: string;
  meta: string;
}

/** The model spec for `Scenario.models`: one instance per client among `clients`. */
export function syncStatusModel(clients: readonly string[], options: StatusModelOptions): ModelSpec {
  const bounds: StatusBounds = { rapidFailuresMax: options.rapidFailuresMax ?? 3, stuckAfterMs: options.stuckAfterMs ?? 10_000 };
  const members = new Set(clients);
  // Per run (keyed by the monitor's world): sync connection -> its client, for net.close.
  const runs = new WeakMap<MonitorWorld, Map<string, string>>();
  // The last world asked about and its map (a run asks at every record: no WeakMap lookup each time).
  let lastWorld: MonitorWorld | null = null;
  let lastConns = new Map<string, string>();
  const connsOf = (world: MonitorWorld): Map<string, string> => {
    if (world === lastWorld) return lastConns;
    let m = runs.get(world);
    if (m === undefined) runs.set(world, (m = new Map()));
    lastWorld = world;
    lastConns = m;
    return m;
  };
  // The event is built whole (a spread of the fact into it cost more than the model's step on every delivery).
  const fact = (instance: string, event: { type: 'FACT' } & Fact): ModelTarget | null => (members.has(instance) ? { instance, event: event as ModelEvent } : null);
  const route = (rec: TraceRecord, conns: Map<string, string>): ModelTarget | null => {
    const d = rec.data;
    switch (rec.kind) {
      case 'cs.client.start':
        return members.has(rec.node) ? { instance: rec.node, event: { type: 'START', schema: d.schema as number } } : null;
      case 'node.crash':
      case 'node.stop':
        return members.has(rec.node) ? { instance: rec.node, event: { type: 'CRASH' } } : null;
      case 'cs.status':
        return members.has(rec.node) ? { instance: rec.node, event: { type: STATUS_EVENT[d.status as string]!, pending: d.pending as number, atUs: rec.t } } : null;
      case 'net.established':
        if (d.to !== options.server) return null;
        conns.set(d.conn as string, rec.node);
        return fact(rec.node, { type: 'FACT', what: 'open', conn: d.conn as string, atUs: rec.t });
      case 'net.close':
        return conns.get(d.conn as string) === rec.node ? fact(rec.node, { type: 'FACT', what: 'close', conn: d.conn as string }) : null;
      case 'fact.cs.hello':
        return fact(d.client as string, { type: 'FACT', what: 'hello', conn: d.conn as string, schema: d.schema as number, cursor: d.cursor as number });
      case 'fact.cs.welcome':
        return fact(d.client as string, { type: 'FACT', what: 'welcome', site: d.site as string, schema: d.schema as number, head: d.head as number, atUs: rec.t });
      case 'fact.cs.changes':
      case 'fact.cs.ack':
        return fact(d.client as string, { type: 'FACT', what: 'progress', atUs: rec.t });
      case 'fact.cs.meta':
        return fact(d.client as string, { type: 'FACT', what: 'meta', site: d.site as string | null, schema: d.schema as number | null });
      case 'fact.cs.client':
        return fact(d.device as string, { type: 'FACT', what: 'durable', site: d.site as string | null, server: d.server as string | null, cursor: d.cursor as number });
      default:
        return null;
    }
  };
  return {
    name: 'sync-status',
    machine: statusMachine(bounds),
    reasons: statusReasons(bounds),
    kinds: ['cs.client.start', 'node.crash', 'node.stop', 'cs.status', 'net.established', 'net.close', 'fact.cs.hello', 'fact.cs.welcome', 'fact.cs.changes', 'fact.cs.ack', 'fact.cs.meta', 'fact.cs.client'],
    areas: ['cs.'],
    ignores: CS_IGNORES,
    facts: ['fact.cs.hello', 'fact.cs.welcome', 'fact.cs.changes', 'fact.cs.ack', 'fact.cs.meta', 'fact.cs.client'],
    hot: ['connecting', 'syncing'],
    values: { 'cs.status:status': Object.keys(STATUS_EVENT) },
    map: (rec, world) => route(rec, connsOf(world)),
  };
}
