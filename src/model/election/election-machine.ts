/**
 * The reference model of one tab in the leader election (any mode, any implementation that reports the
 * documented `election.*` steps), with the protocol's data: the tab's epoch, the store's durable fence,
 * the highest epoch the tab knows of, and its lease belief on its own true monotonic clock.
 *
 *   down --START--> follower --CAMPAIGN--> candidate --ACQUIRED--> fencing --LEADER--> leader
 *   follower --QUEUE--> queued (waits for the lock) --ACQUIRED--> fencing;  candidate/queued --LOST--> follower
 *   fencing/leader --STEP_DOWN--> steppingDown --FOLLOWER--> follower;  any state --DOWN--> down
 *
 * Guards (docs/election.md has the table with the evidence of each):
 * - mayAcquire: a new epoch is above every epoch this tab knew, and above the store's durable epoch, when it
 *   last campaigned (it draws the epoch after that).
 * - mayLead: LEADER names the tab's own epoch, the store's durable epoch became that epoch during this
 *   term (fact.store: this tab's fence committed), and the tab knows no higher epoch; after a lease
 *   campaign it says how long it trusts the lease (validMs; RENEWED too, in mayRenew).
 * - mayWrite: a batch (writer.begin) carries the tab's own current epoch, the tab knows no higher epoch
 *   (once it learned one it must step down first), and, when it reported a lease belief (validMs), its
 *   true monotonic clock (fact.clock) has not passed the end of that belief.
 * - sameEpoch: STEP_DOWN names the tab's own epoch.
 * - mayLose: a campaign lost to a store error ('store-error', 'epoch-error') follows a failed kv transaction
 *   of the tab since it campaigned (kv.abort, kv.fault: the simulator's records); one lost because the tab
 *   closed ('closed') follows the workload's close of it (workload.handover {how: 'close'}); one lost to a
 *   stolen lock ('stolen') follows the lock manager taking the tab's lock away since it queued
 *   (lock.release {reason: 'stolen'}).
 * - mayRenew: RENEWED names the tab's own epoch, and a renewal that extends the lease belief (validMs > 0)
 *   comes while the store's durable epoch is not above it: a tab took over only after this tab's lease
 *   ran out on its own clock, so a renewal reported after the takeover can no longer believe in the lease.
 * - drainedFirst: a write of this tab commits (COMMITTED: the store's durable request record, fact.request)
 *   at an epoch above every term it reported ending (FOLLOWER): a tab steps down only once its in-flight
 *   writes are done, so none of its old term lands while it says it follows (or leads a later term).
 * Data-only events (SEEN, HEARD, REJECTED, STORE, CLOCK) are taken in every state and only update the
 * context.
 */
import { assign, setup } from 'xstate';
import { guardsFrom, type GuardReason } from '../monitor.ts';

/** A tab's true monotonic clock at one true time (from fact.clock). */
export interface ClockSample {
  /** True time of the sample, µs. */
  atUs: number;
  monotonicMs: number;
  driftPpm: number;
}

/** What the model knows about one tab. */
export interface TabContext {
  /** Epoch of the current term (from ACQUIRED until FOLLOWER), 0 when none. */
  epoch: number;
  /** The store's durable epoch became `epoch` during this term: this tab's fence committed. */
  fenced: boolean;
  /** The store's durable epoch, from fact.store (0 before any). */
  storeEpoch: number;
  /** The highest epoch this incarnation of the tab has learned of, and how (for the reasons). */
  known: number;
  knownHow: string;
  /**
   * What the tab knew, and the store's durable epoch, when it last campaigned (CAMPAIGN or QUEUE): an epoch
   * it acquires afterwards was drawn after that, so it must be above both. (Not `known` / `storeEpoch` at
   * the ACQUIRED record: a tab frozen between drawing its epoch and reporting it may meanwhile see others
   * draw and fence higher ones; its stale epoch is then refused by the store, which `mayLead` checks.)
   */
  knownAtCampaign: number;
  knownHowAtCampaign: string;
  storeEpochAtCampaign: number;
  /** The tab's latest true clock sample (fact.clock), null before any. */
  clock: ClockSample | null;
  /** End of the tab's lease belief on its own monotonic clock, ms (null: no belief reported this term). */
  trustUntilMs: number | null;
  /** The tab last campaigned for a lease (CAMPAIGN mode 'lease'): its LEADER and RENEWED must say how long it trusts it. */
  leaseTerm: boolean;
  /** The highest epoch of a term this incarnation reported ending (FOLLOWER after STEP_DOWN), 0 when none. */
  endedEpoch: number;
}

/** Event types of the per-tab model. `t` is the record's true time, µs. */
export type TabModelEvent =
  | { type: 'START' }
  | { type: 'DOWN' }
  | { type: 'CAMPAIGN'; mode: string }
  | { type: 'QUEUE' }
  | { type: 'LOST'; reason: string; storeFailed: boolean; closing: boolean; lockStolen: boolean }
  | { type: 'ACQUIRED'; epoch: number }
  | { type: 'LEADER'; epoch: number; validMs: number | null; t: number }
  | { type: 'RENEWED'; epoch: number; validMs: number | null; t: number }
  | { type: 'WRITE'; epoch: number; t: number }
  | { type: 'STEP_DOWN'; epoch: number }
  | { type: 'FOLLOWER' }
  | { type: 'SEEN'; holder: string; epoch: number }
  | { type: 'HEARD'; from: string; epoch: number; msg: number }
  | { type: 'REJECTED'; epoch: number; fence: number }
  | { type: 'STORE'; epoch: number }
  | { type: 'CLOCK'; t: number; monotonicMs: number; driftPpm: number }
  | { type: 'COMMITTED'; epoch: number; commit: number; reqId: string };

type Ev<T extends TabModelEvent['type']> = Extract<TabModelEvent, { type: T }>;

/** Slack for the lease belief: validMs is traced to 3 decimals (ms). */
const TRUST_SLACK_MS = 0.002;

/** The tab's monotonic clock at true time `tUs` per its latest sample (null without one). */
export function monotonicAt(clock: ClockSample | null, tUs: number): number | null {
  if (clock === null) return null;
  return clock.monotonicMs + ((tUs - clock.atUs) / 1000) * (1 + clock.driftPpm / 1e6);
}

const epochOf = (e: TabModelEvent): number => ('epoch' in e && typeof e.epoch === 'number' ? e.epoch : 0);

function notOwn(c: TabContext, e: TabModelEvent): string | null {
  const epoch = epochOf(e);
  return epoch === c.epoch ? null : `epoch ${epoch} is not this tab's current epoch ${c.epoch}`;
}

function higherKnown(c: TabContext, e: TabModelEvent): string | null {
  const epoch = epochOf(e);
  if (c.known <= epoch) return null;
  return `this tab already knows epoch ${c.known} (${c.knownHow}), above its own ${epoch}: it must step down before it leads or writes again`;
}

/** A lease term's LEADER or RENEWED that does not say how long the tab trusts its lease (the reporter's contract). */
function noBelief(c: TabContext, e: Ev<'LEADER' | 'RENEWED'>): string | null {
  if (!c.leaseTerm || e.validMs !== null) return null;
  return `it leads on a lease (it campaigned in mode 'lease') but its ${e.type === 'LEADER' ? 'election.leader' : 'election.renewed'} record gives no validMs: the model cannot hold its writes to the lease it believes in`;
}

function notFenced(c: TabContext): string | null {
  if (c.fenced) return null;
  return `the store was never fenced at epoch ${c.epoch} during this term: its durable epoch is ${c.storeEpoch} (fact.store)`;
}

function pastTrust(c: TabContext, e: Ev<'WRITE'>): string | null {
  if (c.trustUntilMs === null) return null;
  const mono = monotonicAt(c.clock, e.t);
  if (mono === null || mono <= c.trustUntilMs + TRUST_SLACK_MS) return null;
  return (
    `its lease belief ended at ${c.trustUntilMs.toFixed(3)} ms of its monotonic clock and the clock reads ` +
    `${mono.toFixed(3)} ms (fact.clock): a write ${(mono - c.trustUntilMs).toFixed(3)} ms after its own lease ran out`
  );
}

/** Why each guard refuses (null: it passes). The machine's guards are built from these. */
export const TAB_REASONS: Readonly<Record<string, GuardReason<TabContext, TabModelEvent>>> = {
  mayAcquire: (c, e) => {
    const epoch = epochOf(e);
    if (epoch <= c.knownAtCampaign) return `epoch ${epoch} is not above epoch ${c.knownAtCampaign} this tab knew when it campaigned (${c.knownHowAtCampaign}): an epoch is acquired once`;
    if (epoch <= c.storeEpochAtCampaign) return `epoch ${epoch} is not above the store's durable epoch ${c.storeEpochAtCampaign} when it campaigned (fact.store): it was used before`;
    return null;
  },
  mayLead: (c, e) => notOwn(c, e) ?? notFenced(c) ?? higherKnown(c, e) ?? noBelief(c, e as Ev<'LEADER'>),
  mayWrite: (c, e) => notOwn(c, e) ?? higherKnown(c, e) ?? pastTrust(c, e as Ev<'WRITE'>),
  sameEpoch: (c, e) => notOwn(c, e),
  mayLose: (_c, e) => {
    const l = e as Ev<'LOST'>;
    if ((l.reason === 'store-error' || l.reason === 'epoch-error') && !l.storeFailed) {
      return `it reported losing its campaign to a store error ('${l.reason}'), but none of its kv transactions failed since it campaigned (kv.abort, kv.fault)`;
    }
    if (l.reason === 'closed' && !l.closing) return `it reported losing its campaign because it closed, but the workload never closed it (workload.handover {how: 'close'})`;
    if (l.reason === 'stolen' && !l.lockStolen) return `it reported losing its campaign to a stolen lock, but the lock manager took no lock from it since it queued (lock.release {reason: 'stolen'})`;
    return null;
  },
  drainedFirst: (c, e) => {
    const w = e as Ev<'COMMITTED'>;
    if (w.epoch > c.endedEpoch) return null;
    return (
      `its write ${w.reqId} at epoch ${w.epoch} committed (commit ${w.commit}, fact.request) after it reported ending its term at epoch ` +
      `${c.endedEpoch} (election.follower): stepping down must wait for the term's in-flight writes`
    );
  },
  mayRenew: (c, e) => {
    const r = e as Ev<'RENEWED'>;
    const own = notOwn(c, e) ?? noBelief(c, r);
    if (own !== null) return own;
    if (r.validMs !== null && r.validMs > 0 && c.storeEpoch > c.epoch) {
      return `it renewed its lease (belief valid ${r.validMs} ms more) while the store is fenced at epoch ${c.storeEpoch} above its own ${c.epoch} (fact.store): another tab already took over`;
    }
    return null;
  },
};

const INITIAL: TabContext = {
  epoch: 0,
  fenced: false,
  storeEpoch: 0,
  known: 0,
  knownHow: '',
  knownAtCampaign: 0,
  knownHowAtCampaign: '',
  storeEpochAtCampaign: 0,
  clock: null,
  trustUntilMs: null,
  leaseTerm: false,
  endedEpoch: 0,
};
const CAMPAIGN = { target: 'candidate', actions: 'campaign' } as const;
const QUEUE = { target: 'queued', actions: 'campaign' } as const;

/** How a tab learned an epoch (for the reasons), and which epoch it learned, for the data events. */
function learned(e: TabModelEvent): { epoch: number; how: string } {
  switch (e.type) {
    case 'SEEN':
      return { epoch: e.epoch, how: `it reported seeing '${e.holder}' lead epoch ${e.epoch}` };
    case 'HEARD':
      return { epoch: e.epoch, how: `the bus delivered ${e.from}'s announcement of epoch ${e.epoch}, msg ${e.msg}` };
    case 'REJECTED':
      return { epoch: e.fence, how: `the store rejected its epoch ${e.epoch}: fenced at ${e.fence}` };
    default:
      return { epoch: 0, how: '' };
  }
}

/** Events that only update data, taken in every state but `down`. */
const DATA = {
  SEEN: { actions: 'learn' },
  HEARD: { actions: 'learn' },
  REJECTED: { actions: 'learn' },
  STORE: { actions: 'store' },
  CLOCK: { actions: 'clock' },
} as const;
const DOWN = { DOWN: { target: '#election.down', actions: 'forget' } } as const;
/** A write of the tab committed: judged in the state it finds (a guard on a transition back to that state). */
const committed = <S extends string>(state: S) => ({ COMMITTED: { target: `#election.${state}` as const, guard: 'drainedFirst' } }) as const;
const STEP_DOWN = { STEP_DOWN: { target: '#election.steppingDown', guard: 'sameEpoch' } } as const;
const ACQUIRED = { ACQUIRED: { target: '#election.fencing', guard: 'mayAcquire', actions: 'acquire' } } as const;

/** The per-tab election machine. */
export const tabElectionMachine = setup({
  types: { context: {} as TabContext, events: {} as TabModelEvent },
  guards: guardsFrom(TAB_REASONS),
  actions: {
    /** A new incarnation (or a dead one) knows nothing; the world's facts (store, clock) stay. */
    forget: assign(({ context }) => ({ ...INITIAL, storeEpoch: context.storeEpoch, clock: context.clock })),
    learn: assign(({ context, event }) => {
      const { epoch, how } = learned(event);
      return epoch > context.known ? { known: epoch, knownHow: how } : {};
    }),
    store: assign(({ context, event }) => {
      const { epoch } = event as Ev<'STORE'>;
      return { storeEpoch: epoch, fenced: context.fenced || (context.epoch > 0 && epoch === context.epoch) };
    }),
    clock: assign(({ event }) => {
      const e = event as Ev<'CLOCK'>;
      return { clock: { atUs: e.t, monotonicMs: e.monotonicMs, driftPpm: e.driftPpm } };
    }),
    acquire: assign(({ event }) => ({ epoch: epochOf(event), fenced: false, trustUntilMs: null })),
    campaign: assign(({ context, event }) => ({
      knownAtCampaign: context.known,
      knownHowAtCampaign: context.knownHow,
      storeEpochAtCampaign: context.storeEpoch,
      leaseTerm: event.type === 'CAMPAIGN' && event.mode === 'lease',
    })),
    believe: assign(({ context, event }) => {
      const e = event as Ev<'LEADER'>;
      const mono = monotonicAt(context.clock, e.t);
      return { trustUntilMs: typeof e.validMs === 'number' && mono !== null ? mono + e.validMs : null };
    }),
    endTerm: assign(({ context }) => ({ epoch: 0, fenced: false, trustUntilMs: null, endedEpoch: Math.max(context.endedEpoch, context.epoch) })),
  },
}).createMachine({
  id: 'election',
  context: INITIAL,
  initial: 'down',
  states: {
    down: { description: 'the tab is not running (before node.start, after node.crash or node.stop)', on: { START: { target: 'follower', actions: 'forget' }, STORE: DATA.STORE, CLOCK: DATA.CLOCK } },
    follower: { description: 'running, neither campaigning nor leading', on: { CAMPAIGN, QUEUE, ...DATA, ...committed('follower'), ...DOWN } },
    queued: { description: 'lock mode: waiting for the lock (election.campaign {mode: lock}) as long as the holder lives', on: { CAMPAIGN, QUEUE, LOST: { target: 'follower', guard: 'mayLose' }, ...ACQUIRED, ...DATA, ...committed('queued'), ...DOWN } },
    candidate: { description: 'campaigning for a lease or stealing the lock: resolves at once (election.acquired or election.lost)', on: { CAMPAIGN, QUEUE, LOST: { target: 'follower', guard: 'mayLose' }, ...ACQUIRED, ...DATA, ...committed('candidate'), ...DOWN } },
    fencing: { description: 'acquired an epoch (election.acquired): the store must be fenced at it before the tab leads', on: { LEADER: { target: 'leader', guard: 'mayLead', actions: 'believe' }, ...STEP_DOWN, ...DATA, ...committed('fencing'), ...DOWN } },
    leader: {
      description: 'leading at its epoch (election.leader): it renews and writes, at its own epoch only',
      on: {
        RENEWED: { target: 'leader', guard: 'mayRenew', actions: 'believe' },
        WRITE: { target: 'leader', guard: 'mayWrite' },
        ...STEP_DOWN,
        ...DATA,
        ...committed('leader'),
        ...DOWN,
      },
    },
    steppingDown: { description: 'stepping down (election.stepdown): election.follower next', on: { FOLLOWER: { target: 'follower', actions: 'endTerm' }, ...DATA, ...committed('steppingDown'), ...DOWN } },
  },
});

/** States an instance must leave before the liveness deadline. */
export const TAB_HOT_STATES: readonly string[] = ['candidate', 'fencing', 'steppingDown'];
