/**
 * invariant:cancel-is-final on hand-made job records (src/model/provider/cancel-is-final.ts): what follows a
 * durable `cancelled` record of a provider's job — the job itself written again, a job created before the
 * cancel running after it, a new job — with or without a request of the user or a restart since.
 */
import { describe, expect, it } from 'vitest';
import { cancelIsFinal } from '../../src/model/provider/cancel-is-final.ts';
import { checkHarness, type CheckHarness } from '../check-harness.ts';

/** Library L on device L, provider P1; `ask(ms)` is the user's sync request of P1 recorded by the workload. */
function run(): CheckHarness & { at(ms: number): void; job(id: number, state: string): void; ask(): void; restart(): void } {
  let now = 0;
  const requestedUs = new Map<string, number>();
  const h = checkHarness(cancelIsFinal('L', () => ({ requestedUs })), { now: () => now });
  h.emit('L', 'node.start', { incarnation: 1, device: 'L' });
  return {
    ...h,
    at: (ms) => void (now = ms * 1000),
    job: (id, state) => void h.emit('sim', 'fact.library.job', { device: 'L', provider: 'P1', job: id, state }),
    ask: () => void requestedUs.set('P1', now),
    restart: () => void h.emit('L', 'node.start', { incarnation: 2, device: 'L' }),
  };
}

describe('invariant:cancel-is-final', () => {
  it('the cancelled job revived by the library itself fails, once, and so does a job it creates afterwards', () => {
    const h = run();
    h.at(10); h.job(1, 'pending'); h.job(1, 'running');
    h.at(100); h.job(1, 'cancelled');
    h.at(400); h.job(1, 'pending'); h.job(1, 'running');
    h.at(800); h.job(1, 'completed');
    h.at(900); h.job(2, 'pending');
    expect(h.failures).toHaveLength(2);
    expect(h.failures[0]).toMatch(/^invariant:cancel-is-final: job 1 of P1 on L was cancelled by the user \(100\.0 ms\) and then written again as pending/);
    expect(h.failures[1]).toMatch(/^invariant:cancel-is-final: job 2 of P1 on L was created .* after the user cancelled the last one/);
  });

  it('a new job with no request nor restart since the cancel fails; after a request or a restart it passes', () => {
    const h = run();
    h.at(10); h.job(1, 'pending'); h.job(1, 'running');
    h.at(100); h.job(1, 'cancelled');
    h.at(300); h.job(2, 'pending');
    expect(h.failures).toHaveLength(1);
    h.job(2, 'running');
    h.at(350); h.job(2, 'cancelled');
    h.at(400); h.ask(); h.job(3, 'pending'); h.job(3, 'running');
    h.at(500); h.job(3, 'cancelled');
    h.at(600); h.restart(); h.job(4, 'pending');
    expect(h.failures).toHaveLength(1);
    expect(h.exercised.length).toBeGreaterThanOrEqual(3);
  });

  it('a job asked for before the cancel runs after it: the user\'s request (no failure)', () => {
    const h = run();
    h.at(10); h.job(1, 'pending'); h.job(1, 'running');
    h.at(50); h.job(2, 'pending');
    h.at(100); h.job(1, 'cancelled');
    h.at(110); h.job(2, 'running');
    h.at(200); h.job(2, 'completed');
    expect(h.failures).toEqual([]);
  });
});
