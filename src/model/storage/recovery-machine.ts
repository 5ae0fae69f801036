/**
 * The recovery model: the lifecycle of one process's block store (its commits, its startup and in-place
 * recoveries) with the protocol's data in context and guards that hold every claim of the store against
 * the simulator's durable image (recovery-guards.ts; docs/storage.md "Recovery model").
 *
 *   down|crashed|closed -RECOVER_BEGIN-> recovering.scanning -FINALIZE|ROLLBACK-> recovering.finalized|rolledBack
 *   recovering.* -RECOVER_DONE-> idle -WRITE-> dirty -COMMIT_BEGIN-> writing -DATA_SYNCED-> synced
 *   -MARKER_WRITE-> markerWriting -MARKER_DURABLE-> committed -FINALIZED_*-> idle|dirty
 *   (kv: writing -MARKER_WRITE_ATOMIC-> markerWriting). A marker write that failed leaves `uncertain`, which
 *   recovers in place (`reloading.*`, taking writes meanwhile) before the next commit; a failed in-place
 *   recovery leaves `stalled`; a commit refused by another writer leaves `fenced` (the owner reopens).
 *
 * Events valid in every state (targetless): OPEN (which store, relaxed or not), FACT (the durable commit
 * point of the device moved: only this process's own marker write or fence may move it on a device it has
 * to itself, and never below an acknowledged commit), ACKED (a forceSync acknowledged a commit: it must be
 * durable), FLUSHED, FENCE_BEGIN / FENCE / FENCE_FAILED (a static fence: durable when reported),
 * POWER_LOSS (pending operations are settled: nothing of this process may land afterwards).
 */
import { assign, setup } from 'xstate';
import { guardsFrom } from '../monitor.ts';
import { durableAt, INITIAL_CONTEXT, ownAdvance, otherStore, RECOVERY_REASONS, type RecoveryContext, type RecoveryEvent } from './recovery-guards.ts';

const commitOf = (e: RecoveryEvent): number => e.commit ?? -1;

const machineSetup = setup({
  types: { context: {} as RecoveryContext, events: {} as RecoveryEvent },
  guards: guardsFrom(RECOVERY_REASONS),
  actions: {
    open: assign(({ event }) => ({ store: event.store ?? null, relaxed: event.relaxed === true })),
    fact: assign(({ context, event }) => (otherStore(context, event) ? {} : { durable: event.durable ?? 0, epoch: event.epoch ?? 0, shared: event.shared === true })),
    factInRecovery: assign(({ context, event }) => {
      if (otherStore(context, event)) return {};
      const d = event.durable ?? 0;
      const raise = d > context.recoverFrom && ownAdvance(context, d) ? { recoverFrom: d } : {};
      return { durable: d, epoch: event.epoch ?? 0, shared: event.shared === true, ...raise };
    }),
    ack: assign(({ context, event }) => ({ acked: Math.max(context.acked, commitOf(event)) })),
    powerLoss: assign({ powerLost: true }),
    fenceBegin: assign({ fencing: true }),
    fenceEnd: assign({ fencing: false }),
    crash: assign({ begun: null, markerWrite: null, fencing: false }),
    recoverBegin: assign(({ context, event }) => ({
      recoverFrom: durableAt(context, event),
      mayLand: context.powerLost ? 0 : context.mayLand,
      powerLost: false,
      begun: null,
      markerWrite: null,
    })),
    recoverRestart: assign(({ context, event }) => ({ recoverFrom: Math.max(context.recoverFrom, durableAt(context, event)) })),
    recoverDone: assign(({ context, event }) => ({ committed: commitOf(event), mayLand: context.relaxed ? context.mayLand : 0, begun: null, markerWrite: null })),
    begin: assign(({ event }) => ({ begun: commitOf(event), strict: event.strict === true })),
    markerWrite: assign(({ context, event }) => ({ markerWrite: commitOf(event), mayLand: Math.max(context.mayLand, commitOf(event)) })),
    markerDurable: assign(({ event }) => ({ committed: commitOf(event), markerWrite: null })),
    endCommit: assign({ begun: null, markerWrite: null }),
    // XState's can() refuses a transition without target and actions: checks that stay put name this one
    // (an empty assign: it changes nothing, and keeps the machine in the fast stepper's subset).
    stay: assign({}),
  },
});

const crash = { CRASH: { target: '#recovery.crashed', actions: 'crash' } } as const;
const writeLoop = { WRITE: { actions: 'stay' } } as const;

/**
 * One recovery (startup or in place): a decision on pending metadata, judged against the durable commit
 * point when it began, then DONE naming the commit it reached.
 */
function recoveryStates(inPlace: boolean) {
  return {
    description: inPlace ? 'in-place recovery of the open store before its next commit (writes accepted meanwhile)' : 'startup recovery',
    initial: 'scanning',
    on: {
      ...(inPlace ? writeLoop : {}),
      FACT: { guard: 'durableAdvance', actions: 'factInRecovery' },
      RECOVER_RESTART: { target: '.scanning', actions: 'recoverRestart' },
      RECOVER_DONE: { target: '#recovery.idle', guard: 'reachedDurable', actions: 'recoverDone' },
      RECOVER_FAILED: inPlace ? '#recovery.stalled' : '#recovery.down',
      ...crash,
    },
    states: {
      scanning: {
        description: 'no decision on pending metadata yet',
        on: {
          RECOVER_FINALIZE: { target: 'finalized', guard: 'finalizeBelowDurable' },
          RECOVER_ROLLBACK: { target: 'rolledBack', guard: 'rollbackAboveDurable' },
        },
      },
      finalized: { description: 'pending metadata finalized (its commit at or below the durable point)' },
      rolledBack: { description: 'pending metadata rolled back (its commit above the durable point, or unknown: torn)' },
    },
  } as const;
}

const recoverFrom = { RECOVER_BEGIN: { target: '#recovery.recovering', actions: 'recoverBegin' } } as const;
const reload = { RELOAD_BEGIN: { target: '#recovery.reloading', actions: 'recoverBegin' } } as const;
const close = { CLOSE: '#recovery.closed' } as const;

/** The recovery reference machine. */
export const recoveryMachine = machineSetup.createMachine({
  id: 'recovery',
  context: INITIAL_CONTEXT,
  initial: 'down',
  on: {
    OPEN: { actions: 'open' },
    FACT: { guard: 'durableAdvance', actions: 'fact' },
    ACKED: { guard: 'ackDurable', actions: 'ack' },
    FLUSHED: { guard: 'flushDurable', actions: 'stay' },
    FENCE_BEGIN: { actions: 'fenceBegin' },
    FENCE: { guard: 'fenceDurable', actions: 'fenceEnd' },
    FENCE_FAILED: { actions: 'fenceEnd' },
    POWER_LOSS: { actions: 'powerLoss' },
  },
  states: {
    down: { description: 'no store opened yet, or a startup recovery failed', on: { ...recoverFrom, ...crash } },
    crashed: { description: 'the process crashed or stopped (node.crash, node.stop): the next open recovers', on: { ...recoverFrom, ...crash } },
    closed: { description: 'the store was closed (store.closed): the next open recovers', on: { ...recoverFrom, ...crash } },
    recovering: recoveryStates(false),
    reloading: recoveryStates(true),
    idle: { description: 'open, nothing buffered', on: { WRITE: 'dirty', ...close, ...crash } },
    dirty: {
      description: 'writes buffered, no commit in progress',
      on: { ...writeLoop, COMMIT_BEGIN: { target: 'writing', guard: 'beginsNext', actions: 'begin' }, ...close, ...crash },
    },
    writing: {
      description: "a commit began (store.commit.begin): its data is being written",
      on: {
        ...writeLoop,
        DATA_SYNCED: { target: 'synced', guard: 'ownCommit' },
        MARKER_WRITE_ATOMIC: { target: 'markerWriting', guard: 'ownCommit', actions: 'markerWrite' },
        COMMIT_FAILED: { target: 'dirty', guard: 'failedUnapplied', actions: 'endCommit' },
        COMMIT_REFUSED: { target: 'fenced', guard: 'ownCommit', actions: 'endCommit' },
        ...crash,
      },
    },
    synced: {
      description: "the commit's data is synced (store.commit.synced): its marker write is next",
      on: {
        ...writeLoop,
        MARKER_WRITE: { target: 'markerWriting', guard: 'ownCommit', actions: 'markerWrite' },
        COMMIT_FAILED: { target: 'dirty', guard: 'failedUnapplied', actions: 'endCommit' },
        COMMIT_REFUSED: { target: 'fenced', guard: 'ownCommit', actions: 'endCommit' },
        ...crash,
      },
    },
    markerWriting: {
      description: "the commit's marker is being written (a rename, or the kv transaction)",
      on: {
        ...writeLoop,
        MARKER_DURABLE: { target: 'committed', guard: 'markerDurable', actions: 'markerDurable' },
        COMMIT_FAILED_MARKER: { target: 'uncertain', guard: 'ownCommit' },
        DISCARDED_CLEAN: { target: 'idle', guard: 'failedUnapplied', actions: 'endCommit' },
        DISCARDED_DIRTY: { target: 'dirty', guard: 'failedUnapplied', actions: 'endCommit' },
        COMMIT_REFUSED: { target: 'fenced', guard: 'ownCommit', actions: 'endCommit' },
        ...crash,
      },
    },
    committed: {
      description: 'the store reports the marker durable (store.commit.marker): the commit is finalized next',
      on: {
        ...writeLoop,
        FINALIZED_CLEAN: { target: 'idle', guard: 'ownFinalize', actions: 'endCommit' },
        FINALIZED_DIRTY: { target: 'dirty', guard: 'ownFinalize', actions: 'endCommit' },
        FINALIZE_FAILED: { guard: 'ownFinalize', actions: 'stay' },
        ...close,
        ...crash,
      },
    },
    uncertain: { description: 'the marker write failed: its outcome is unknown until an in-place recovery', on: { ...writeLoop, ...reload, ...close, ...crash } },
    stalled: { description: 'an in-place recovery failed: the next commit retries it', on: { ...writeLoop, ...reload, ...close, ...crash } },
    fenced: { description: 'a commit was refused by another writer (store.commit.refused): the owner must reopen', on: { ...close, ...crash } },
  },
});
