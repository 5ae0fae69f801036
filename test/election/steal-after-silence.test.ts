/**
 * invariant:steal-after-silence on hand-fed records: a steal is judged against the last announcement the
 * simulator handed to the thief (or its start, or its step-down), in true time over the fastest clock rate
 * allowed; the workload's own take-over requests are not the watchdog's.
 */
import { describe, expect, it } from 'vitest';
import { stealAfterSilence } from '../../src/model/election/steal-after-silence.ts';
import { checkHarness } from '../check-harness.ts';

const TERMS = { takeoverMs: 1_000, clockDriftMaxPpm: 50_000 };
/** The bound in true time: 1,000 ms at 5% fast, less 1 ms. */
const BOUND_MS = 1_000 / 1.05 - 1;

function harness() {
  let now = 0;
  const h = checkHarness(stealAfterSilence(TERMS), { now: () => now });
  const at = (ms: number, node: string, kind: string, data: Record<string, unknown> = {}) => {
    now = Math.round(ms * 1000);
    h.emit(node, kind, data);
  };
  return { h, at };
}

const steal = { name: 'syncbench-election', mode: 'exclusive', ifAvailable: false, steal: true };

describe('invariant:steal-after-silence', () => {
  it('passes a steal after the takeover time of silence, and fails one before it', () => {
    const { h, at } = harness();
    at(0, 'B', 'node.start', { device: 'D' });
    at(100, 'sim', 'fact.bus.leader', { device: 'D', msg: 1, node: 'B', from: 'A', epoch: 1 });
    at(100 + BOUND_MS + 0.1, 'B', 'lock.request', steal);
    expect(h.failures).toEqual([]);
    expect(h.exercised).toEqual(['invariant:steal-after-silence']);
    // The steal itself restarts the count: a second steal right after is early.
    at(100 + BOUND_MS + 300, 'B', 'lock.request', steal);
    expect(h.failures).toHaveLength(1);
    expect(h.failures[0]).toMatch(/B stole the lock .* 299\.9 ms after it last heard a leader/);
  });

  it('counts from the last announcement handed to the thief, not to another tab', () => {
    const { h, at } = harness();
    at(0, 'B', 'node.start', { device: 'D' });
    at(0, 'C', 'node.start', { device: 'D' });
    at(500, 'sim', 'fact.bus.leader', { device: 'D', msg: 1, node: 'C', from: 'A', epoch: 1 });
    at(990, 'B', 'lock.request', steal);
    expect(h.failures).toEqual([]);
    at(1_400, 'C', 'lock.request', steal);
    expect(h.failures).toHaveLength(1);
    expect(h.failures[0]).toMatch(/^invariant:steal-after-silence: C stole the lock/);
  });

  it("excuses the workload's take-over at the same instant, and counts from a step-down", () => {
    const { h, at } = harness();
    at(0, 'B', 'node.start', { device: 'D' });
    at(10, 'workload', 'workload.handover', { node: 'B', how: 'takeOver' });
    at(10, 'B', 'lock.request', steal);
    at(20, 'B', 'election.stepdown', { epoch: 2, reason: 'lock-stolen' });
    at(20 + BOUND_MS - 5, 'B', 'lock.request', steal);
    expect(h.failures).toHaveLength(1);
    expect(h.failures[0]).toMatch(/after it last heard a leader, started, stepped down or stole/);
  });

  it('widens the bound by the drift the true clock showed beyond the assumed one', () => {
    const { h, at } = harness();
    at(0, 'B', 'node.start', { device: 'D' });
    at(0, 'sim', 'fact.clock', { node: 'B', driftPpm: 200_000, wallMs: 0, monotonicMs: 0 });
    at(1_000 / 1.2, 'B', 'lock.request', steal);
    expect(h.failures).toEqual([]);
  });

  it("does not restart the count at the user's steal: the watchdog counts from what the tab heard (review finding)", () => {
    const { h, at } = harness();
    at(0, 'B', 'node.start', { device: 'D' });
    at(750, 'sim', 'fact.bus.leader', { device: 'D', msg: 1, node: 'B', from: 'A', epoch: 1 });
    // The user's steal at 1,000 ms loses the lock to another thief that never announces.
    at(1_000, 'workload', 'workload.handover', { node: 'B', how: 'takeOver' });
    at(1_000, 'B', 'lock.request', steal);
    // The watchdog steals a takeover time after the announcement of 750 ms, 900 ms after the user's steal.
    at(750 + BOUND_MS + 0.5, 'B', 'lock.request', steal);
    expect(h.failures).toEqual([]);
  });

  it("bounds by the clock rate the tab's true clock ran at, not by the assumed worst drift", () => {
    const { h, at } = harness();
    at(0, 'B', 'node.start', { device: 'D' });
    at(0, 'sim', 'fact.clock', { node: 'B', driftPpm: 0, wallMs: 0, monotonicMs: 0 });
    // 960 ms of silence: enough at the assumed 5% (952 ms), too little for a clock running at true rate.
    at(960, 'B', 'lock.request', steal);
    expect(h.failures).toHaveLength(1);
    expect(h.failures[0]).toMatch(/at 0 ppm/);
  });
});
