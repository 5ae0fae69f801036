import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenario/run.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import { shrink, ShrinkError, simplerEvents } from '../../src/runner/shrink.ts';
import { fixture } from './fixtures.ts';

describe('shrink', () => {
  it('finds the one fault and the small workload that matter, and the result replays', async () => {
    const s = await fixture('fixture-shrink');
    const out = await shrink(s, 3);
    expect(out.signature).toEqual({ kind: 'correctness', check: 'invariant:no-pause-with-3-items' });
    expect(out.originalPlan.events).toHaveLength(7);
    expect(out.plan.events).toHaveLength(1);
    expect(out.plan.events[0]).toMatchObject({ kind: 'pause', node: 'A' });
    // 20 items at scale 1; 3 are needed, so the scale must come down to about 3/20.
    expect(Math.round(20 * out.workloadScale)).toBe(3);
    expect(out.budgetExhausted).toBe(false);
    const again = await runScenario(s, 3, { faults: out.plan, workloadScale: out.workloadScale });
    expect(again.failure?.check).toBe('invariant:no-pause-with-3-items');
    expect(again.traceHash).toBe(out.result.traceHash);
  });

  it('refuses a passing seed', async () => {
    await expect(shrink(await fixture('fixture-ticker'), 0)).rejects.toThrow(ShrinkError);
  });

  it('respects its run budget', async () => {
    const out = await shrink(await fixture('fixture-shrink'), 1, { maxRuns: 3 });
    expect(out.runs).toBeLessThanOrEqual(3);
    expect(out.budgetExhausted).toBe(true);
  });

  it('offers simpler versions of an event', () => {
    const e = { kind: 'crash', node: 'A', powerLoss: true, restartAfterMs: 400, trigger: { node: 'A', area: 'disk', op: 'fsync', nth: 3 } } as const;
    const simpler = simplerEvents(e);
    expect(simpler).toContainEqual({ ...e, restartAfterMs: 0 });
    expect(simpler).toContainEqual({ ...e, restartAfterMs: 200 });
    expect(simpler).toContainEqual({ ...e, powerLoss: false });
    expect(simpler).toContainEqual({ ...e, trigger: { ...e.trigger, nth: 1 } });
  });

  it('makes damage at rest one flipped bit, and lowers the count of its trigger', () => {
    const e: FaultEvent = { kind: 'corrupt', node: 'A', path: '/db/*', mode: 'truncate', trigger: { node: 'A', area: 'disk', op: 'rename', nth: 4 } };
    const simpler = simplerEvents(e);
    expect(simpler).toContainEqual({ ...e, mode: 'flip' });
    expect(simpler).toContainEqual({ ...e, trigger: { ...e.trigger, nth: 3 } });
    expect(simplerEvents({ ...e, mode: 'flip', trigger: { ...e.trigger!, nth: 1 } })).toEqual([]);
  });
});
