/**
 * The sync-job reference model: the jobs of one (library, provider) pair with the protocol's data — the
 * cursor of the last completed job, the running job's type, starting cursor and durable cursor, and how
 * far the network delivered its stream (the listing's page token and `asOf`, the feed cursor the next
 * page starts from, whether the last page came) — fed from the library's durable job records
 * (`fact.library.job`) and the provider protocol as the network delivered it (`fact.provider.request`,
 * `fact.provider.reply`). The guards' reasons are `syncJobReasons`; docs/provider-sync.md, Model.
 *
 *   down --START--> idle | pending            (pending when a job is durably waiting)
 *   idle --JOB pending--> pending --JOB running--> running --JOB completed/failed/cancelled--> idle | pending
 *   running --REPLY 410--> expired --JOB running (type full)--> running
 *   any --CRASH--> down
 *
 * Hot: pending, running and expired (a requested sync must run, a running job must end).
 */
import { assign, setup } from 'xstate';
import type { TraceRecord } from '../../sim/trace.ts';
import { guardsFrom, type GuardReason, type ModelEvent, type ModelSpec, type ModelTarget, type MonitorWorld } from '../monitor.ts';

/** How far the network delivered the running job's stream. */
export interface Stream {
  /** Full jobs: the next listing page token (null: the first), null when no listing is read. */
  listing: { token: string | null; done: boolean; asOf: string | null } | null;
  /** The cursor the next change page starts from (null until the listing is consumed). */
  at: string | null;
  /** The page answering `at` said there is nothing more. */
  done: boolean;
  /**
   * Earlier positions of this stream ('c:<cursor>', 't:<page token>'): a request for one of them that the
   * network delivers late (sent before the stream moved on, e.g. on a connection the library since gave
   * up) is not a new read.
   */
  past: readonly string[];
}

/** The model's data for one (library, provider) pair. */
export interface SyncJobContext {
  /** The cursor of the last durably completed job (null: none yet). */
  completed: string | null;
  /** A job durably pending (requested, not started). */
  queued: number | null;
  /** The running job: id, type, starting cursor, durable cursor. */
  job: number | null;
  type: string | null;
  from: string | null;
  cursor: string | null;
  stream: Stream;
  /**
   * When (µs) the last stream the library may have been reading stopped being one: a job ended, its cursor
   * expired (a 410 delivered), or the process went down. A request sent before then and delivered after (a
   * clogged or stalled connection) was a read of that earlier stream, not of the current state. A job
   * starting or escalating does not move it: a request sent while the job was only pending, or between a
   * 410 and the durable escalation, is judged where it arrives (it read nothing the model allowed).
   */
  since: number;
  /** Requests delivered late (sent before `since`), counted: judged by nothing, so taken without a change of state. */
  late: number;
}

/** A durable job record. */
export interface JobFacts {
  job: number;
  requested: string;
  /** The sync type ('full' | 'incremental'); `type` is the event's. */
  sync: string;
  state: string;
  from: string | null;
  cursor: string | null;
  /** When the record became durable (µs). */
  t: number;
}

/** Model events (payloads as the map builds them). */
export type SyncJobEvent =
  | { type: 'START' }
  | { type: 'CRASH'; t: number }
  | ({ type: 'JOB' } & JobFacts)
  | { type: 'REQUEST'; op: string; cursor: string | null; pageToken: string | null; sentUs: number }
  | { type: 'REPLY'; t: number; op: string; status: number; askedCursor: string | null; askedToken: string | null; cursor: string | null; hasMore: boolean; next: string | null; asOf: string | null };

type C = SyncJobContext;
type E = SyncJobEvent;
type Reason = GuardReason<C, E>;
type JobEvent = Extract<E, { type: 'JOB' }>;

const NO_STREAM: Stream = { listing: null, at: null, done: false, past: [] };
const job = (e: E): JobEvent | null => (e.type === 'JOB' ? e : null);
const show = (c: string | null): string => c ?? 'none';

/** Why the stream is not consumed up to `cursor`, or null. */
function consumedTo(c: C, cursor: string | null): string | null {
  const s = c.stream;
  if (s.listing !== null && !s.listing.done) return `the listing is not consumed (the next page token is ${show(s.listing.token)})`;
  if (!s.done) return `the change stream is not consumed: the delivered pages reach ${show(s.at)} and the last one said there is more`;
  return cursor === s.at ? null : `the cursor ${show(cursor)} is not where the delivered stream ended (${show(s.at)})`;
}

/** Guard name -> reason (null: passes). */
export const syncJobReasons: Record<string, Reason> = {
  hasQueued: (c) => (c.queued !== null ? null : 'no job is pending'),
  newPending: (c, e) => {
    const j = job(e);
    if (j === null || j.state !== 'pending') return 'not a pending job';
    return c.queued !== null && c.queued !== j.job ? `job ${c.queued} is already pending for this provider` : null;
  },
  /** Incremental only from the cursor of the last completed job; without one, Full (escalation). */
  startsFromCompleted: (c, e) => {
    const j = job(e);
    if (j === null || j.state !== 'running') return 'not a job starting';
    if (c.queued !== j.job) return `job ${j.job} starts but the pending job is ${c.queued ?? 'none'}`;
    if (j.sync === 'full') return j.requested === 'incremental' && c.completed !== null ? `an incremental sync ran as full although the completed cursor ${c.completed} exists` : null;
    if (c.completed === null) return 'an incremental sync started with no completed job to take a cursor from (it must escalate to full)';
    return j.from === c.completed ? null : `an incremental sync started from ${show(j.from)}, not from the cursor of the last completed job (${c.completed})`;
  },
  /** A running job's record changes only its cursor, and only once the stream is consumed. */
  cursorAfterStream: (c, e) => {
    const j = job(e);
    if (j === null || j.state !== 'running') return 'not a running job';
    if (j.job !== c.job) return `job ${j.job} is not the running job ${c.job ?? 'none'}`;
    if (j.sync !== c.type || j.from !== c.from) return `the running job changed its type or starting cursor (${j.sync} from ${show(j.from)}) without an expired cursor`;
    if (j.cursor === c.cursor) return null;
    const why = consumedTo(c, j.cursor);
    return why === null ? null : `the cursor ${show(j.cursor)} was persisted before the stream was consumed: ${why}`;
  },
  /** After a 410 the job may only escalate to a full listing (or end). */
  escalates: (c, e) => {
    const j = job(e);
    if (j === null || j.state !== 'running' || j.job !== c.job) return 'not the running job';
    return j.sync === 'full' && j.from === null && j.cursor === null ? null : `after the cursor ${show(c.stream.at)} expired (410), the job record became ${j.sync} from ${show(j.from)} with cursor ${show(j.cursor)} instead of escalating to full`;
  },
  /** Completed only with the cursor where the consumed stream ended, persisted. */
  completedAfterStream: (c, e) => {
    const j = job(e);
    if (j === null || j.state !== 'completed') return 'not a completion';
    if (j.job !== c.job) return `job ${j.job} is not the running job ${c.job ?? 'none'}`;
    const why = consumedTo(c, j.cursor);
    return why === null ? null : `job ${j.job} completed: ${why}`;
  },
  endsRunning: (c, e) => {
    const j = job(e);
    if (j === null || (j.state !== 'failed' && j.state !== 'cancelled')) return 'not a failure or cancellation';
    return j.job === c.job ? null : `job ${j.job} is not the running job ${c.job ?? 'none'}`;
  },
  /** A job of the previous process found running at start is marked failed (interrupted). */
  interrupted: (c, e) => {
    const j = job(e);
    if (j === null || j.state !== 'failed') return 'not a failure';
    return j.job === c.job ? null : `job ${j.job} was not running when the process stopped (${c.job ?? 'none'} was)`;
  },
  /** Requests of a running job follow its stream (or repeat a position it already passed, delivered late). */
  requestOnStream: (c, e) => {
    if (e.type !== 'REQUEST') return null;
    const s = c.stream;
    if (e.op === 'ListFiles') {
      if (s.listing === null) return `a listing requested by an ${c.type ?? '-'} job (not escalated to full)`;
      if (e.pageToken === s.listing.token || s.past.includes(`t:${e.pageToken}`)) return null;
      return `listing page ${show(e.pageToken)} requested, the next page is ${show(s.listing.token)}`;
    }
    if (s.past.includes(`c:${e.cursor}`)) return null;
    if (s.listing !== null && !s.listing.done) return `changes requested from ${show(e.cursor)} before the listing was consumed`;
    return e.cursor === s.at ? null : `changes requested from ${show(e.cursor)}, but the delivered stream is at ${show(s.at)}`;
  },
  /** No listing or change request after a 410 until the escalation is durable (refuses every one). */
  noReadAfterExpiry: (c, e) => {
    if (e.type !== 'REQUEST') return null;
    return `${e.op} from ${show(e.cursor ?? e.pageToken)} after the cursor ${show(c.stream.at)} expired (410): the job must escalate to a full listing first`;
  },
  /**
   * A request the library sent before its last stream ended (`since`: a job ended, a 410, a crash),
   * delivered late: it belonged to that earlier stream and is judged by nothing now. One sent after is a
   * read of the current state and must fit it.
   */
  sentBefore: (c, e) => {
    if (e.type !== 'REQUEST') return 'not a request';
    return e.sentUs < c.since ? null : `${e.op} from ${show(e.cursor ?? e.pageToken)} was sent at ${e.sentUs} µs, after the state it is judged in began (${c.since} µs), so it is no late delivery`;
  },
  expiresStream: (c, e) => {
    if (e.type !== 'REPLY' || e.status !== 410) return 'not a 410';
    if (e.op !== 'Error') return 'not an error';
    const s = c.stream;
    const asked = s.listing !== null && !s.listing.done ? e.askedToken === s.listing.token && e.askedCursor === null : e.askedCursor === s.at && e.askedCursor !== null;
    return asked ? null : 'a 410 for a request the stream has moved past';
  },
};

/** The stream after a delivered reply (unchanged when the reply answers a request behind the stream). */
function advance(c: C, e: Extract<E, { type: 'REPLY' }>): Stream {
  const s = c.stream;
  if (e.op === 'Files' && s.listing !== null && !s.listing.done && e.askedToken === s.listing.token) {
    const done = e.next === null;
    return { listing: { token: e.next, done, asOf: e.asOf }, at: done ? e.asOf : null, done: false, past: [...s.past, `t:${e.askedToken}`] };
  }
  if (e.op === 'Changes' && (s.listing === null || s.listing.done) && e.askedCursor === s.at && e.askedCursor !== null) {
    return { ...s, at: e.cursor, done: !e.hasMore, past: e.cursor === s.at ? s.past : [...s.past, `c:${s.at}`] };
  }
  return s;
}

function streamOf(j: JobEvent): Stream {
  return j.sync === 'full' ? { listing: { token: null, done: false, asOf: null }, at: null, done: false, past: [] } : { listing: null, at: j.from, done: false, past: [] };
}

const CRASH = { CRASH: { target: 'down', actions: 'down' } } as const;
/** How a job ends: completed (with its cursor) or failed / cancelled, then pending if another job waits. */
const FAILURES = [
  { target: 'pending', guard: 'endedThenPending', actions: 'end' },
  { target: 'idle', guard: 'endsRunning', actions: 'end' },
] as const;
const ENDINGS = [
  { target: 'pending', guard: 'completedThenPending', actions: 'complete' },
  { target: 'idle', guard: 'completedAfterStream', actions: 'complete' },
  ...FAILURES,
] as const;

/** The sync-job machine. */
export function syncJobMachine() {
  const reasons: Record<string, Reason> = {
    ...syncJobReasons,
    completedThenPending: (c, e) => syncJobReasons.completedAfterStream!(c, e) ?? syncJobReasons.hasQueued!(c, e),
    endedThenPending: (c, e) => syncJobReasons.endsRunning!(c, e) ?? syncJobReasons.hasQueued!(c, e),
  };
  return setup({
    types: { context: {} as C, events: {} as E },
    guards: guardsFrom(reasons),
    actions: {
      queue: assign(({ event }) => ({ queued: (event as JobEvent).job })),
      run: assign(({ event }) => {
        const j = event as JobEvent;
        return { queued: null, job: j.job, type: j.sync, from: j.from, cursor: j.cursor, stream: streamOf(j) };
      }),
      cursor: assign(({ event }) => ({ cursor: (event as JobEvent).cursor })),
      escalate: assign(({ event }) => {
        const j = event as JobEvent;
        return { type: j.sync, from: null, cursor: null, stream: streamOf(j) };
      }),
      complete: assign(({ event }) => ({ completed: (event as JobEvent).cursor, job: null, type: null, from: null, cursor: null, stream: NO_STREAM, since: (event as JobEvent).t })),
      end: assign(({ event }) => ({ job: null, type: null, from: null, cursor: null, stream: NO_STREAM, since: (event as JobEvent).t })),
      down: assign(({ event }) => ({ since: (event as Extract<E, { type: 'CRASH' }>).t })),
      late: assign(({ context }) => ({ late: context.late + 1 })),
      reply: assign(({ context, event }) => ({ stream: advance(context, event as Extract<E, { type: 'REPLY' }>) })),
      expire: assign(({ context, event }) => {
        const r = event as Extract<E, { type: 'REPLY' }>;
        return { stream: advance(context, r), since: r.t };
      }),
    },
  }).createMachine({
    id: 'sync-job',
    context: { completed: null, queued: null, job: null, type: null, from: null, cursor: null, stream: NO_STREAM, since: 0, late: 0 },
    initial: 'down',
    // Replies are facts about the network: a late one (its request abandoned) changes nothing. So is a
    // request delivered late (sent before the state's stream began): in any state, after the state's own
    // transitions refused it.
    on: { REPLY: { actions: 'reply' }, REQUEST: { guard: 'sentBefore', actions: 'late' } },
    states: {
      down: {
        description: 'the library process is not running',
        on: {
          START: [{ target: 'pending', guard: 'hasQueued' }, { target: 'idle' }],
        },
      },
      idle: {
        description: 'no job pending or running',
        on: {
          JOB: [
            { target: 'pending', guard: 'newPending', actions: 'queue' },
            { target: 'idle', guard: 'interrupted', actions: 'end' },
          ],
          ...CRASH,
        },
      },
      pending: {
        description: 'a job is durably pending (requested, not started)',
        on: {
          JOB: [
            { target: 'running', guard: 'startsFromCompleted', actions: 'run' },
            { target: 'pending', guard: 'interrupted', actions: 'end' },
          ],
          ...CRASH,
        },
      },
      running: {
        description: 'a job is running: its requests follow the delivered stream, its durable cursor the consumed one',
        on: {
          JOB: [
            { target: 'running', guard: 'newPending', actions: 'queue' },
            { target: 'running', guard: 'cursorAfterStream', actions: 'cursor' },
            ...ENDINGS,
          ],
          REQUEST: { target: 'running', guard: 'requestOnStream' },
          REPLY: { target: 'expired', guard: 'expiresStream', actions: 'expire' },
          ...CRASH,
        },
      },
      expired: {
        description: "the running job's cursor expired (a 410 for the stream's position): no read until the job is durably escalated to full",
        on: {
          JOB: [
            { target: 'expired', guard: 'newPending', actions: 'queue' },
            { target: 'running', guard: 'escalates', actions: 'escalate' },
            ...FAILURES,
          ],
          REQUEST: { target: 'expired', guard: 'noReadAfterExpiry' },
          ...CRASH,
        },
      },
    },
  });
}

/**
 * Provider kinds of the model's area (`provider.`) that neither the model nor a provider check reads, with
 * the reason: the closed vocabulary fails every other unread `provider.*` kind.
 */
export const PROVIDER_IGNORES: Readonly<Record<string, string>> = {
  'provider.server.ready': "the provider's own start report: its durable files are in fact.provider.file",
  'provider.server.reset': 'a feed reset shows in the 410s the network delivers (fact.provider.reply), which the model follows',
  'provider.job.pending': 'the durable job record (fact.library.job) is what the model reads',
  'provider.job.start': 'the durable job record (fact.library.job: type, from) is what the model reads',
  'provider.job.escalate': 'the durable job record (fact.library.job: type full) is what the model reads',
  'provider.job.cursor': 'the durable job record (fact.library.job: cursor) is what the model reads',
  'provider.job.end': 'the durable job record (fact.library.job: state) is what the model reads',
  'provider.job.error': 'a job whose record could not be written: the durable record (fact.library.job) stays, and a hot state names it',
  'provider.job.resolved': "the implementation's claim: the durable duplicate marks (fact.library.track dupOf) are what invariant:duplicates-resolved reads",
  'provider.item.applied': "the implementation's claim: the durable track (fact.library.track) is what the checks read",
  'provider.item.skipped': "the implementation's claim: the durable track (fact.library.track) is what the checks read",
  'provider.item.deleted': "the implementation's claim: the durable tombstone (fact.library.track) is what the checks read",
};

/** Who is who in a scenario: the library nodes and the providers each syncs from. */
export interface SyncJobModelOptions {
  libraries: readonly string[];
  providers: readonly string[];
}

/** The model spec for `Scenario.models`: one instance per (library node, provider), `<library>|<provider>`. */
export function syncJobModel(options: SyncJobModelOptions): ModelSpec {
  const libraries = new Set(options.libraries);
  const providers = new Set(options.providers);
  const all = (node: string, event: ModelEvent): ModelTarget[] => options.providers.map((p) => ({ instance: `${node}|${p}`, event }));
  const map = (rec: TraceRecord, world: MonitorWorld): ModelTarget | ModelTarget[] | null => {
    const d = rec.data;
    switch (rec.kind) {
      case 'node.start':
        return libraries.has(rec.node) ? all(rec.node, { type: 'START' }) : null;
      case 'node.crash':
      case 'node.stop':
        return libraries.has(rec.node) ? all(rec.node, { type: 'CRASH', t: rec.t }) : null;
      case 'fact.library.job': {
        const e: ModelEvent = {
          type: 'JOB', job: d.job as number, requested: d.requested as string, sync: d.type as string, state: d.state as string,
          from: d.from as string | null, cursor: d.cursor as string | null, t: rec.t,
        };
        return world.nodesOn(d.device as string).filter((n) => libraries.has(n)).map((n) => ({ instance: `${n}|${d.provider as string}`, event: e }));
      }
      case 'fact.provider.request':
        // Downloads decide nothing here (the invariants judge their effect and their concurrency).
        if (d.op === 'Download' || !libraries.has(d.from as string) || !providers.has(d.to as string)) return null;
        return { instance: `${d.from as string}|${d.to as string}`, event: { type: 'REQUEST', op: d.op as string, cursor: d.cursor as string | null, pageToken: d.pageToken as string | null, sentUs: d.sentUs as number } };
      case 'fact.provider.reply':
        // Only pages move the stream, and only a 410 expires it: contents and other errors decide nothing.
        if (d.op === 'Content' || (d.op === 'Error' && d.status !== 410)) return null;
        if (!libraries.has(d.to as string) || !providers.has(d.from as string)) return null;
        return {
          instance: `${d.to as string}|${d.from as string}`,
          event: {
            type: 'REPLY', t: rec.t, op: d.op as string, status: d.status as number, askedCursor: d.askedCursor as string | null, askedToken: d.askedToken as string | null,
            cursor: d.cursor as string | null, hasMore: d.hasMore as boolean, next: d.next as string | null, asOf: d.asOf as string | null,
          },
        };
      default:
        return null;
    }
  };
  return {
    name: 'sync-job',
    machine: syncJobMachine(),
    reasons: syncJobReasons,
    kinds: ['node.start', 'node.crash', 'node.stop', 'fact.library.job', 'fact.provider.request', 'fact.provider.reply'],
    areas: ['provider.'],
    ignores: PROVIDER_IGNORES,
    facts: ['fact.library.job', 'fact.provider.request', 'fact.provider.reply'],
    hot: ['pending', 'running', 'expired'],
    nodeOf: (instance) => instance.split('|')[0]!,
    map,
  };
}
