/** The per-tab election model: what it allows and forbids, and its full graph for coverage. */
import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { modelGraph } from '../../src/model/graph.ts';
import { tabElectionMachine, type TabModelEvent } from '../../src/model/election/machine.ts';

function run(events: TabModelEvent['type'][]): { state: string; rejected: string | null } {
  let snap = initialTransition(tabElectionMachine)[0];
  for (const type of events) {
    if (!snap.can({ type })) return { state: String(snap.value), rejected: type };
    snap = transition(tabElectionMachine, snap, { type })[0];
  }
  return { state: String(snap.value), rejected: null };
}

describe('election model', () => {
  it('takes a full term: start, campaign, acquire, fence, lead, write, step down, follow', () => {
    const r = run(['START', 'CAMPAIGN', 'ACQUIRED', 'LEADER', 'RENEWED', 'WRITE', 'STEP_DOWN', 'FOLLOWER', 'DOWN']);
    expect(r).toEqual({ state: 'down', rejected: null });
  });

  it('forbids writing as leader outside the leader state', () => {
    expect(run(['START', 'WRITE']).rejected).toBe('WRITE');
    expect(run(['START', 'CAMPAIGN', 'ACQUIRED', 'WRITE']).rejected).toBe('WRITE'); // not fenced yet
    expect(run(['START', 'CAMPAIGN', 'ACQUIRED', 'LEADER', 'STEP_DOWN', 'WRITE']).rejected).toBe('WRITE');
  });

  it('forbids leading without acquiring, and following without stepping down', () => {
    expect(run(['START', 'LEADER']).rejected).toBe('LEADER');
    expect(run(['START', 'CAMPAIGN', 'ACQUIRED', 'LEADER', 'FOLLOWER']).rejected).toBe('FOLLOWER');
    expect(run(['START', 'RENEWED']).rejected).toBe('RENEWED');
  });

  it('has six states and every transition listed for coverage', () => {
    const g = modelGraph(tabElectionMachine);
    expect(g.states).toEqual(['candidate', 'down', 'fencing', 'follower', 'leader', 'steppingDown']);
    expect(g.transitions).toContain('leader|WRITE|leader');
    expect(g.transitions).toContain('fencing|STEP_DOWN|steppingDown');
    expect(g.transitions.length).toBeGreaterThanOrEqual(20);
  });
});
