import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { modelGraph } from '../../src/model/graph.ts';
import { backfillMachine } from '../../src/model/peer/backfill-model.ts';

function run(events: string[]): string {
  let snap = initialTransition(backfillMachine)[0];
  for (const type of events) {
    if (!snap.can({ type } as never)) return `rejected ${type} in ${String(snap.value)}`;
    snap = transition(backfillMachine, snap, { type } as never)[0];
  }
  return String(snap.value);
}

describe('backfill model', () => {
  it('accepts a join with a crash, a pause, a peer switch and buffered updates', () => {
    expect(
      run(['START', 'BEGIN', 'PAUSE', 'BUFFER', 'RESUME', 'ASSIGN', 'BATCH', 'CRASH', 'START', 'BEGIN', 'ASSIGN', 'BATCH', 'PEER_LOST', 'ASSIGN', 'BATCH', 'BUFFER', 'OVERFLOW', 'COMPLETE', 'BUFFER_APPLIED', 'BUFFER', 'BUFFER_APPLIED', 'READY', 'LIVE_APPLY', 'CATCHUP_BATCH']),
    ).toBe('ready');
  });

  it('forbids live updates before ready, batches while paused, buffering once ready, and ready without applying the buffer', () => {
    expect(run(['START', 'BEGIN', 'LIVE_APPLY'])).toBe('rejected LIVE_APPLY in backfilling');
    expect(run(['START', 'BEGIN', 'PAUSE', 'BATCH'])).toBe('rejected BATCH in paused');
    expect(run(['START', 'READY', 'BUFFER'])).toBe('rejected BUFFER in ready');
    expect(run(['START', 'BEGIN', 'COMPLETE', 'READY'])).toBe('rejected READY in catchingUp');
    expect(run(['START', 'BEGIN', 'CATCHUP_BATCH'])).toBe('rejected CATCHUP_BATCH in backfilling');
  });

  it('has the states of the issue, all reachable in the graph', () => {
    const g = modelGraph(backfillMachine);
    expect(g.states).toEqual(['backfilling', 'bufferApplied', 'catchingUp', 'down', 'paused', 'ready', 'uninitialized']);
    expect(g.transitions.length).toBeGreaterThan(25);
  });
});
