/**
 * The reference model of one write through the single writer (write forwarding), from the caller's
 * request to its answer. One instance per write the workload issued (`<tab>#<value>`): its request id is
 * the one the tab puts on every forwarded attempt and the store records once.
 *
 *   idle --SEND--> forwarded --APPLY--> applied --ACK--> acknowledged
 *   idle --APPLY--> applied (the leader's own write, never forwarded)
 *   idle/forwarded --FAIL--> failed (definitely not applied);  --FAIL_UNKNOWN--> unknown (maybe applied)
 *   idle/forwarded/applied --LOST--> orphaned (the tab died, its caller with it)
 *
 * Evidence: ACK / FAIL / LOST are the workload's own record (`workload.*`), SEND and REPLY what the bus
 * carried (`fact.bus.request`, `fact.bus.reply`), APPLY the store's durable request record
 * (`fact.request`). A write enters the model when something happens to it (the workload's issuing is not
 * an event: a step costs several µs, and a write still unforwarded and unapplied is watched by
 * liveness:write-hang; a record of a write nobody issued is invariant:exactly-once's). Guards:
 * - sameRequest: every forwarded attempt carries a request id, the same one each time (a retry under a new
 *   id cannot be deduplicated).
 * - mayApply: a write is applied at most once (one durable request record), under the request id it was
 *   forwarded with, never after its caller was told it definitely failed, and by another tab only after
 *   the bus carried it there (a forwarded write cannot reach the leader any other way).
 * - replyAfterApply: an ok reply comes after the durable apply and names its commit (`seq`); one that says
 *   the write was applied by the request it answers (`dedup: false`) comes from the tab whose transaction
 *   durably recorded it (`fact.request {node}`), and only once: any other answer found it applied.
 *   (A reply says nothing of which attempt it answers, so a second receipt at the applying tab that wrongly
 *   says `dedup: false` is seen only when both replies were posted.)
 * - ackAfterApply: the caller is told ok only after the durable apply, with its commit number.
 * - definiteNotApplied: a definite failure only for a write that was not applied.
 * Hot: forwarded, applied (the caller has no answer yet).
 */
import { assign, setup } from 'xstate';
import { guardsFrom, type GuardReason } from '../monitor.ts';

/** What the model knows about one write. */
export interface RequestContext {
  /** Request id and store request id of the forwarded attempts (null before the first). */
  id: string | null;
  reqId: string | null;
  sends: number;
  /** The durable request record (fact.request), null before. */
  applied: { reqId: string; commit: number; epoch: number } | null;
  /** The error code of a definite failure told to the caller, null otherwise. */
  definite: string | null;
  /** The tab whose transaction durably recorded the request (fact.request {node}), null before. */
  appliedBy: string | null;
  /** Ok replies that said the write was applied by the request they answer (dedup false). */
  freshReplies: number;
}

/** Event types of the request model. */
export type RequestModelEvent =
  | { type: 'SEND'; id: string; reqId: string | null; msg: number }
  | { type: 'APPLY'; reqId: string; commit: number; epoch: number; by: string; foreign: boolean }
  | { type: 'REPLY'; ok: boolean; seq: number | null; code: string | null; msg: number; from: string; dedup: boolean | null }
  | { type: 'ACK'; seq: number | null }
  | { type: 'FAIL'; code: string }
  | { type: 'FAIL_UNKNOWN'; code: string }
  | { type: 'LOST' };

type Ev<T extends RequestModelEvent['type']> = Extract<RequestModelEvent, { type: T }>;

const appliedAt = (c: RequestContext): string => (c.applied === null ? '' : `commit ${c.applied.commit} (request ${c.applied.reqId})`);

/** Why each guard refuses (null: it passes). */
export const REQUEST_REASONS: Readonly<Record<string, GuardReason<RequestContext, RequestModelEvent>>> = {
  sameRequest: (c, e) => {
    const s = e as Ev<'SEND'>;
    if (s.reqId === null || s.reqId === '') return `attempt ${s.id} carries no request id: the store cannot deduplicate a retry of it`;
    if (c.id !== null && (s.id !== c.id || s.reqId !== c.reqId)) {
      return `the write was forwarded as request ${c.reqId} and is now re-sent as ${s.reqId}: a retry under a new request id may apply twice`;
    }
    return null;
  },
  mayApply: (c, e) => {
    const a = e as Ev<'APPLY'>;
    if (c.applied !== null) return `already applied at ${appliedAt(c)}: applied twice (now commit ${a.commit}, request ${a.reqId})`;
    if (c.definite !== null) return `its caller was told it definitely failed (${c.definite}), yet the store applied it at commit ${a.commit}`;
    if (c.reqId !== null && a.reqId !== c.reqId) return `applied under request id ${a.reqId} but forwarded as ${c.reqId}`;
    if (a.foreign && c.sends === 0) return `applied at commit ${a.commit} by ${a.by}'s transaction, but the bus never carried a request for it (fact.bus.request): nothing could have told ${a.by} of this write`;
    return null;
  },
  replyAfterApply: (c, e) => {
    const r = e as Ev<'REPLY'>;
    if (!r.ok) return null;
    if (c.applied === null) return `an ok reply (bus msg ${r.msg}, seq ${String(r.seq)}) before the store durably recorded the request`;
    if (r.seq !== c.applied.commit) return `the ok reply names seq ${String(r.seq)} but the request was recorded at ${appliedAt(c)}`;
    if (r.dedup === false && r.from !== c.appliedBy) {
      return `${r.from}'s ok reply (bus msg ${r.msg}) says its request applied the write (dedup false), but ${String(c.appliedBy)}'s transaction recorded it at ${appliedAt(c)} (fact.request): a retry found it applied`;
    }
    if (r.dedup === false && c.freshReplies > 0) return `a second ok reply (bus msg ${r.msg}) says its request applied the write (dedup false): only one request can, the others found it applied`;
    return null;
  },
  ackAfterApply: (c, e) => {
    const a = e as Ev<'ACK'>;
    if (c.applied === null) return `the caller was told ok (seq ${String(a.seq)}) but the store has no durable record of the request`;
    if (a.seq !== c.applied.commit) return `the caller was told seq ${String(a.seq)} but the request was recorded at ${appliedAt(c)}`;
    return null;
  },
  definiteNotApplied: (c, e) => {
    if (c.applied === null) return null;
    return `the caller was told it definitely failed (${(e as Ev<'FAIL'>).code}) but the store applied it at ${appliedAt(c)}`;
  },
};

const INITIAL: RequestContext = { id: null, reqId: null, sends: 0, applied: null, definite: null, appliedBy: null, freshReplies: 0 };

const send = { guard: 'sameRequest', actions: 'send' } as const;
const apply = { guard: 'mayApply', actions: 'apply' } as const;
// A transition with neither target nor actions counts as not taken (snapshot.can): REPLY keeps its target.
const reply = { guard: 'replyAfterApply', actions: 'reply' } as const;
const fail = { FAIL: { target: 'failed', guard: 'definiteNotApplied', actions: 'failDefinitely' }, FAIL_UNKNOWN: 'unknown' } as const;

/** The per-write request machine. */
export const requestMachine = setup({
  types: { context: {} as RequestContext, events: {} as RequestModelEvent },
  guards: guardsFrom(REQUEST_REASONS),
  actions: {
    send: assign(({ context, event }) => {
      const s = event as Ev<'SEND'>;
      return { id: s.id, reqId: s.reqId, sends: context.sends + 1 };
    }),
    apply: assign(({ event }) => {
      const a = event as Ev<'APPLY'>;
      return { applied: { reqId: a.reqId, commit: a.commit, epoch: a.epoch }, appliedBy: a.by };
    }),
    reply: assign(({ context, event }) => ((event as Ev<'REPLY'>).dedup === false ? { freshReplies: context.freshReplies + 1 } : {})),
    failDefinitely: assign({ definite: ({ event }) => (event as Ev<'FAIL'>).code }),
  },
}).createMachine({
  id: 'request',
  context: INITIAL,
  initial: 'idle',
  states: {
    idle: {
      description: 'something happened to the write: neither forwarded nor applied yet',
      on: {
        SEND: { target: 'forwarded', ...send },
        APPLY: { target: 'applied', ...apply },
        ACK: { target: 'acknowledged', guard: 'ackAfterApply' },
        ...fail,
        LOST: 'orphaned',
      },
    },
    forwarded: {
      description: 'forwarded to the leader over the bus (fact.bus.request), not durably applied yet',
      on: {
        SEND: send,
        REPLY: { target: 'forwarded', ...reply },
        APPLY: { target: 'applied', ...apply },
        ACK: { target: 'acknowledged', guard: 'ackAfterApply' },
        ...fail,
        LOST: 'orphaned',
      },
    },
    applied: {
      description: 'the store durably recorded the request (fact.request); the caller has no answer yet',
      on: {
        SEND: send,
        REPLY: { target: 'applied', ...reply },
        APPLY: apply,
        ACK: { target: 'acknowledged', guard: 'ackAfterApply' },
        ...fail,
        LOST: 'orphaned',
      },
    },
    acknowledged: { description: 'the caller was told ok (workload.result {ok: true})', on: { REPLY: { target: 'acknowledged', ...reply }, APPLY: apply } },
    failed: { description: 'the caller was told it definitely failed (workload.result {definite: true})', on: { REPLY: { target: 'failed', ...reply }, APPLY: apply } },
    unknown: { description: 'the caller was told it failed, maybe applied (workload.result {definite: false})', on: { REPLY: { target: 'unknown', ...reply }, APPLY: apply } },
    orphaned: { description: 'its tab died, and its caller with it (workload.lost)', on: { REPLY: { target: 'orphaned', ...reply }, APPLY: apply } },
  },
});

/** States in which the caller has no answer yet. */
export const REQUEST_HOT_STATES: readonly string[] = ['forwarded', 'applied'];
