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
  | { type: 'RECOVER_FINALIZE' }
  | { type: 'RECOVER_ROLLBACK' }
  | { type: 'RECOVER_FAILED' }
  | { type: 'RECOVER_DONE' };

const crashTo = (target: string) => ({ CRASH: { target } });
const recoverTo = (target: string) => ({ RECOVER_BEGIN: { target } });

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
    uncertain: { on: { WRITE: 'uncertain', ...recoverTo('#recovery.recovering.unknown'), ...crashTo('#recovery.crashed.unknown') } },
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
        uncommitted: { on: { WRITE: 'uncommitted', ...recoverTo('#recovery.recovering.uncommitted'), ...crashTo('#recovery.crashed.uncommitted') } },
        unknown: { on: { WRITE: 'unknown', ...recoverTo('#recovery.recovering.unknown'), ...crashTo('#recovery.crashed.unknown') } },
        committed: { on: { WRITE: 'committed', ...recoverTo('#recovery.recovering.committed'), ...crashTo('#recovery.crashed.committed') } },
        clean: { on: { WRITE: 'clean', ...recoverTo('#recovery.recovering.clean'), ...crashTo('#recovery.crashed.clean') } },
      },
    },
    recovering: {
      initial: 'unknown',
      states: {
        unknown: {
          on: { RECOVER_FINALIZE: 'finalized', RECOVER_ROLLBACK: 'rolledBack', RECOVER_DONE: '#recovery.idle', RECOVER_FAILED: '#recovery.stalled.unknown', ...crashTo('#recovery.crashed.unknown') },
        },
        uncommitted: {
          on: { RECOVER_ROLLBACK: 'rolledBack', RECOVER_DONE: '#recovery.idle', RECOVER_FAILED: '#recovery.stalled.uncommitted', ...crashTo('#recovery.crashed.uncommitted') },
        },
        committed: {
          on: { RECOVER_FINALIZE: 'finalized', RECOVER_DONE: '#recovery.idle', RECOVER_FAILED: '#recovery.stalled.committed', ...crashTo('#recovery.crashed.committed') },
        },
        clean: {
          on: { RECOVER_DONE: '#recovery.idle', RECOVER_FAILED: '#recovery.stalled.clean', ...crashTo('#recovery.crashed.clean') },
        },
        finalized: {
          on: { RECOVER_DONE: '#recovery.idle', RECOVER_FAILED: '#recovery.stalled.clean', ...crashTo('#recovery.crashed.clean') },
        },
        rolledBack: {
          on: { RECOVER_DONE: '#recovery.idle', RECOVER_FAILED: '#recovery.stalled.uncommitted', ...crashTo('#recovery.crashed.uncommitted') },
        },
      },
    },
  },
});
