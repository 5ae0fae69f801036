/**
 * The monitor spec of the recovery model: which trace records feed it and how they map to model events.
 * The instance is the node (one store per process); a node's crash or stop ends its process.
 *
 * Trace kinds read (emitted by any block store implementation, see docs/storage.md):
 *   store.write, store.recover.kept-dirty -> WRITE      store.commit.begin -> COMMIT_BEGIN
 *   store.commit.synced -> DATA_SYNCED                  store.commit.marker-write -> MARKER_WRITE[_ATOMIC]
 *   store.commit.marker -> MARKER_DURABLE               store.commit.done {dirty} -> FINALIZED_CLEAN/DIRTY
 *   store.commit.finalize-failed -> FINALIZE_FAILED     store.commit.failed {stage} -> COMMIT_FAILED[_MARKER]
 *   store.commit.refused -> COMMIT_REFUSED              store.closed -> CLOSE
 *   store.recover.begin -> RECOVER_BEGIN, or RELOAD_BEGIN when {inPlace: true}
 *   store.recover.finalize/rollback/failed/done -> RECOVER_*             node.crash, node.stop -> CRASH
 */
import type { ModelEvent, ModelSpec } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { recoveryMachine } from './machine.ts';

const SIMPLE: Readonly<Record<string, string>> = {
  'store.write': 'WRITE',
  'store.recover.kept-dirty': 'WRITE',
  'store.commit.begin': 'COMMIT_BEGIN',
  'store.commit.synced': 'DATA_SYNCED',
  'store.commit.marker': 'MARKER_DURABLE',
  'store.commit.finalize-failed': 'FINALIZE_FAILED',
  'store.commit.refused': 'COMMIT_REFUSED',
  'store.closed': 'CLOSE',
  'store.recover.finalize': 'RECOVER_FINALIZE',
  'store.recover.rollback': 'RECOVER_ROLLBACK',
  'store.recover.failed': 'RECOVER_FAILED',
  'store.recover.done': 'RECOVER_DONE',
  'node.crash': 'CRASH',
  'node.stop': 'CRASH',
};

function eventOf(rec: TraceRecord): string | null {
  switch (rec.kind) {
    case 'store.commit.marker-write':
      return rec.data.atomic === true ? 'MARKER_WRITE_ATOMIC' : 'MARKER_WRITE';
    case 'store.commit.done':
      return rec.data.dirty === true ? 'FINALIZED_DIRTY' : 'FINALIZED_CLEAN';
    case 'store.commit.failed':
      return rec.data.stage === 'marker' ? 'COMMIT_FAILED_MARKER' : 'COMMIT_FAILED';
    case 'store.recover.begin':
      return rec.data.inPlace === true ? 'RELOAD_BEGIN' : 'RECOVER_BEGIN';
    default:
      return SIMPLE[rec.kind] ?? null;
  }
}

/** Trace kinds the recovery model reads. */
export const RECOVERY_KINDS: readonly string[] = [
  ...Object.keys(SIMPLE),
  'store.commit.marker-write',
  'store.commit.done',
  'store.commit.failed',
  'store.recover.begin',
];

/** The recovery model as a monitor spec (put it in Scenario.models). */
export const recoveryModel: ModelSpec = {
  name: 'recovery',
  machine: recoveryMachine,
  kinds: RECOVERY_KINDS,
  finite: true,
  map(rec: TraceRecord): { instance: string; event: ModelEvent } | null {
    const type = eventOf(rec);
    return type === null ? null : { instance: rec.node, event: { type } };
  },
};
