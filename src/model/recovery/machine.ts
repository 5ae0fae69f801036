/**
 * The recovery model: the lifecycle of a block store's commits and of its startup recovery, as one
 * finite XState machine per store instance (one process's store).
 *
 * Normal operation: idle -WRITE-> dirty -COMMIT_BEGIN-> writing -DATA_SYNCED-> synced -MARKER_WRITE->
 * markerWriting -MARKER_DURABLE-> committed -FINALIZED_*-> idle | dirty. A transactional backend writes data
 * and marker in one step (writing -MARKER_WRITE_ATOMIC-> markerWriting).
 *
 * What recovery may decide depends on where the process stopped; the crashed and recovering states carry it:
 * - uncommitted (stopped before the marker write started): pending metadata must be ROLLED BACK, never
 *   finalized (finalizing would show blocks newer than the marker);
 * - unknown (stopped during the marker write, or first start): either is fine;
 * - committed (stopped after the marker was durable, before finalize ended): FINALIZE or clean, never
 *   roll back (that would lose a durable commit);
 * - clean (stopped after recovery finalized): nothing pending of consequence.
 * A crash during recovery keeps the same uncertainty (recovery is idempotent). A recovery that fails with
 * an error leaves the process running in `stalled.<same uncertainty>` until it retries recovery.
 *
 * Two kinds of recovery: at startup (`recovering`, before the store instance exists, so no write can
 * arrive) and in place (`reloading`, `store.recover.begin {inPlace: true}`): an open store whose marker
 * write failed (`uncertain`) recovers before its next commit and keeps taking writes meanwhile. An in-place
 * recovery starts from an unknown marker outcome, or repeats one that failed.
 */
import { setup } from 'xstate';

/** Events of the recovery model (all without payload: the machine is finite). */
export type RecoveryEvent =
  | { type: 'WRITE' }
  | { type: 'COMMIT_BEGIN' }
  | { type: 'DATA_SYNCED' }
  | { type: 'MARKER_WRITE' }
  | { type: 'MARKER_WRITE_ATOMIC' }
  | { type: 'MARKER_DURABLE' }
  | { type: 'FINALIZED_CLEAN' }
  | { type: 'FINALIZED_DIRTY' }
  | { type: 'FINALIZE_FAILED' }
  | { type: 'COMMIT_FAILED' }
  | { type: 'COMMIT_FAILED_MARKER' }
  | { type: 'COMMIT_REFUSED' }
  | { type: 'CLOSE' }
  | { type: 'CRASH' }
  | { type: 'RECOVER_BEGIN' }
  | { type: 'RELOAD_BEGIN' }
  | { type: 'RECOVER_FINALIZE' }
  | { type: 'RECOVER_ROLLBACK' }
  | { type: 'RECOVER_FAILED' }
  | { type: 'RECOVER_DONE' };

const crashTo = (target: string) => ({ CRASH: { target } });
const recoverTo = (target: string) => ({ RECOVER_BEGIN: { target } });
const reloadTo = (target: string) => ({ RELOAD_BEGIN: { target } });

/**
 * The decisions of one recovery, by what is known of the interrupted commit (see the header). `inPlace`:
 * the store is open and takes writes (WRITE loops), and no commit can be known durable-but-unfinalized
 * (an open store finalizes before it reloads), so there is no `committed` entry.
 */
function recoveryStates(inPlace: boolean) {
  const write = (self: string) => (inPlace ? { WRITE: self } : {});
  const done = { RECOVER_DONE: '#recovery.idle' };
  const failTo = (target: string) => ({ RECOVER_FAILED: `#recovery.stalled.${target}` });
  const crash = (target: string) => crashTo(`#recovery.crashed.${target}`);
  const committed = {
    committed: { on: { ...write('committed'), RECOVER_FINALIZE: 'finalized', ...done, ...failTo('committed'), ...crash('committed') } },
  };
  return {
    unknown: { on: { ...write('unknown'), RECOVER_FINALIZE: 'finalized', RECOVER_ROLLBACK: 'rolledBack', ...done, ...failTo('unknown'), ...crash('unknown') } },
    uncommitted: { on: { ...write('uncommitted'), RECOVER_ROLLBACK: 'rolledBack', ...done, ...failTo('uncommitted'), ...crash('uncommitted') } },
    ...(inPlace ? {} : committed),
    clean: { on: { ...write('clean'), ...done, ...failTo('clean'), ...crash('clean') } },
    finalized: { on: { ...write('finalized'), ...done, ...failTo('clean'), ...crash('clean') } },
    rolledBack: { on: { ...write('rolledBack'), ...done, ...failTo('uncommitted'), ...crash('uncommitted') } },
  };
}

/** The recovery reference machine. */
export const recoveryMachine = setup({ types: { events: {} as RecoveryEvent } }).createMachine({
  id: 'recovery',
  initial: 'down',
  states: {
    down: { on: { ...recoverTo('#recovery.recovering.unknown'), CRASH: { target: 'down' } } },
    idle: { on: { WRITE: 'dirty', CLOSE: 'closed', ...crashTo('#recovery.crashed.uncommitted') } },
    dirty: { on: { WRITE: 'dirty', COMMIT_BEGIN: 'writing', CLOSE: 'closed', ...crashTo('#recovery.crashed.uncommitted') } },
    writing: {
      on: {
        WRITE: 'writing',
        DATA_SYNCED: 'synced',
        MARKER_WRITE_ATOMIC: 'markerWriting',
        COMMIT_FAILED: 'dirty',
        COMMIT_REFUSED: 'fenced',
        ...crashTo('#recovery.crashed.uncommitted'),
      },
    },
    synced: {
      on: { WRITE: 'synced', MARKER_WRITE: 'markerWriting', COMMIT_FAILED: 'dirty', ...crashTo('#recovery.crashed.uncommitted') },
    },
    markerWriting: {
      on: {
        WRITE: 'markerWriting',
        MARKER_DURABLE: 'committed',
        COMMIT_FAILED_MARKER: 'uncertain',
        COMMIT_REFUSED: 'fenced',
        ...crashTo('#recovery.crashed.unknown'),
      },
    },
    committed: {
      on: {
        WRITE: 'committed',
        FINALIZED_CLEAN: 'idle',
        FINALIZED_DIRTY: 'dirty',
        FINALIZE_FAILED: 'committed',
        ...crashTo('#recovery.crashed.committed'),
      },
    },
    uncertain: { on: { WRITE: 'uncertain', ...reloadTo('#recovery.reloading.unknown'), ...crashTo('#recovery.crashed.unknown') } },
    fenced: { on: { CLOSE: 'closed', ...crashTo('#recovery.crashed.uncommitted') } },
    closed: { on: { ...recoverTo('#recovery.recovering.uncommitted'), ...crashTo('#recovery.crashed.uncommitted') } },
    crashed: {
      initial: 'unknown',
      states: {
        uncommitted: { on: { ...recoverTo('#recovery.recovering.uncommitted') } },
        unknown: { on: { ...recoverTo('#recovery.recovering.unknown') } },
        committed: { on: { ...recoverTo('#recovery.recovering.committed') } },
        clean: { on: { ...recoverTo('#recovery.recovering.clean') } },
      },
    },
    stalled: {
      initial: 'unknown',
      states: {
        uncommitted: {
          on: { WRITE: 'uncommitted', ...recoverTo('#recovery.recovering.uncommitted'), ...reloadTo('#recovery.reloading.uncommitted'), ...crashTo('#recovery.crashed.uncommitted') },
        },
        unknown: { on: { WRITE: 'unknown', ...recoverTo('#recovery.recovering.unknown'), ...reloadTo('#recovery.reloading.unknown'), ...crashTo('#recovery.crashed.unknown') } },
        committed: { on: { WRITE: 'committed', ...recoverTo('#recovery.recovering.committed'), ...crashTo('#recovery.crashed.committed') } },
        clean: { on: { WRITE: 'clean', ...recoverTo('#recovery.recovering.clean'), ...reloadTo('#recovery.reloading.clean'), ...crashTo('#recovery.crashed.clean') } },
      },
    },
    recovering: { initial: 'unknown', states: recoveryStates(false) },
    reloading: { initial: 'unknown', states: recoveryStates(true) },
  },
});
