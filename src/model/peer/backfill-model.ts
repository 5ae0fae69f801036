/**
 * The backfill reference model: the sync states of one peer device, fed from the trace per node.
 *
 *   down --START--> uninitialized --READY--> ready                      (founder, or restart when complete)
 *   uninitialized --BEGIN--> backfilling --COMPLETE--> catchingUp --BUFFER_APPLIED--> bufferApplied --READY--> ready
 *   bufferApplied --BUFFER--> catchingUp, --BUFFER_APPLIED--> itself   (more arrived meanwhile: apply again)
 *   backfilling --PAUSE--> paused --RESUME--> backfilling               (no peer reachable, then one is)
 *   backfilling: ASSIGN, BATCH, PEER_LOST (switch peers, resume from the checkpoint)
 *   any --CRASH--> down
 *
 * What it forbids is the point: a batch applied while paused or after completion, a live update applied
 * before the device is ready (it must be buffered), buffering once ready, completing twice, a catch-up
 * batch before ready, going ready without applying the buffer.
 */
import { setup } from 'xstate';
import type { ModelSpec } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';

const CRASH = { CRASH: 'down' } as const;
/** A self-loop (XState only lets `can()` accept transitions that have a target or actions). */
const stay = (state: string) => ({ target: state });
/** Live updates may be buffered in every state before ready; a visible overflow discards them. */
const buffering = (state: string) => ({ BUFFER: stay(state), OVERFLOW: stay(state) });

/** The backfill state machine (finite: transitions depend only on state and event type). */
export const backfillMachine = setup({
  types: {
    events: {} as
      | { type: 'START' } | { type: 'CRASH' } | { type: 'READY' } | { type: 'BEGIN' } | { type: 'ASSIGN' }
      | { type: 'BATCH' } | { type: 'PEER_LOST' } | { type: 'PAUSE' } | { type: 'RESUME' } | { type: 'COMPLETE' }
      | { type: 'BUFFER' } | { type: 'OVERFLOW' } | { type: 'BUFFER_APPLIED' } | { type: 'LIVE_APPLY' } | { type: 'CATCHUP_BATCH' },
  },
}).createMachine({
  id: 'backfill',
  initial: 'down',
  states: {
    down: { on: { START: 'uninitialized' } },
    uninitialized: { on: { READY: 'ready', BEGIN: 'backfilling', ...buffering('uninitialized'), ...CRASH } },
    backfilling: {
      on: {
        ASSIGN: stay('backfilling'),
        BATCH: stay('backfilling'),
        PEER_LOST: stay('backfilling'),
        PAUSE: 'paused',
        COMPLETE: 'catchingUp',
        ...buffering('backfilling'),
        ...CRASH,
      },
    },
    paused: { on: { RESUME: 'backfilling', ...buffering('paused'), ...CRASH } },
    catchingUp: { on: { BUFFER_APPLIED: 'bufferApplied', ...buffering('catchingUp'), ...CRASH } },
    // Updates that arrived while a round was being committed (traced before it) send it round again.
    bufferApplied: { on: { READY: 'ready', BUFFER_APPLIED: stay('bufferApplied'), BUFFER: 'catchingUp', OVERFLOW: 'catchingUp', ...CRASH } },
    ready: { on: { LIVE_APPLY: stay('ready'), CATCHUP_BATCH: stay('ready'), ...CRASH } },
  },
});

const EVENT_OF: Record<string, string> = {
  'node.start': 'START',
  'node.crash': 'CRASH',
  'node.stop': 'CRASH',
  'peer.sync.ready': 'READY',
  'peer.backfill.begin': 'BEGIN',
  'peer.backfill.assign': 'ASSIGN',
  'peer.backfill.batch': 'BATCH',
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

/** The model spec for `Scenario.models`: one instance per peer node among `nodes`. */
export function backfillModel(nodes: readonly string[]): ModelSpec {
  const members = new Set(nodes);
  return {
    name: 'backfill',
    machine: backfillMachine,
    kinds: Object.keys(EVENT_OF),
    finite: true,
    map(rec: TraceRecord) {
      if (!members.has(rec.node)) return null;
      const type = EVENT_OF[rec.kind];
      return type === undefined ? null : { instance: rec.node, event: { type } };
    },
  };
}
