/**
 * Timelines of failing seeds: tab-bus messages are drawn (a post matched to each of its deliveries by the
 * bus's msg id), and the fault that led to a failure is marked even when it happened long before the
 * window of records the timeline keeps.
 */
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/impl/env.ts';
import { reportHtml } from '../../src/report/html.ts';
import { captureTimeline, timelineOf, TIMELINE_STEPS_MAX } from '../../src/report/timeline.ts';
import { coverageReport } from '../../src/runner/coverage.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const rec = (i: number, node: string, kind: string, data: Record<string, unknown>): TraceRecord => ({ i, t: i * 10, node, kind, data });

describe('timeline messages on the tab bus', () => {
  it('matches a bus post to each of its deliveries by msg id', () => {
    const recs = [
      rec(0, 't1', 'bus.post', { channel: 'c', msg: 1, to: 2, type: 'leader' }),
      rec(1, 't2', 'bus.post', { channel: 'c', msg: 2, to: 1 }),
      rec(2, 't2', 'bus.deliver', { channel: 'c', msg: 1, from: 't1', type: 'leader' }),
      rec(3, 't1', 'bus.deliver', { channel: 'c', msg: 2, from: 't2' }),
      rec(4, 't3', 'bus.deliver', { channel: 'c', msg: 1, from: 't1', type: 'leader' }),
      rec(5, 't3', 'bus.deliver', { channel: 'c', msg: 9, from: 't1' }), // its post is not in the window
      rec(6, 'sim', 'sim.failure', {}),
    ];
    const tl = timelineOf('x', 1, recs, 6, 0, 'h');
    expect(tl.messages).toEqual([{ from: 0, to: 2 }, { from: 1, to: 3 }, { from: 0, to: 4 }]);
    expect(tl.windowStart).toBe(0);
  });

  it('draws the bus messages of a failing election run', async () => {
    const loaded = await loadScenarios();
    const scenario = loaded.find((l) => l.scenario.name === 'election-leader-paused')!.scenario;
    const { file } = await runSweep({ targets: [scenario.name], scenarios: [scenario], from: 0, to: 1, variant: 'election-no-stepdown', workers: 1 });
    const row = file.runs.find((r) => r.verdict !== 'pass');
    expect(row, 'election-no-stepdown fails election-leader-paused').toBeDefined();
    const tl = await captureTimeline(scenario, row!);
    expect(tl.traceHash).toBe(row!.traceHash);
    const bus = tl.messages.filter((m) => tl.steps[m.from]!.kind === 'bus.post' && tl.steps[m.to]!.kind === 'bus.deliver');
    expect(bus.length).toBeGreaterThan(0);
    for (const m of bus) {
      const [a, b] = [tl.steps[m.from]!, tl.steps[m.to]!];
      expect(a.lane).not.toBe(b.lane);
      expect(a.i).toBeLessThan(b.i);
      expect(JSON.parse(a.text).msg).toBe(JSON.parse(b.text).msg);
    }
    const html = reportHtml({ file, coverage: coverageReport(file), timelines: [tl] });
    expect(html.match(/<line class="message"/g)?.length).toBe(tl.messages.length);
  });
});

/** One node that traces a record every millisecond; paused early; the final check always fails. */
const longAfterFault: Scenario = {
  name: 'timeline-long-after-fault',
  description: 'A node paused at 5 ms, then thousands of records, then a failing final check.',
  suites: ['test'],
  topology: { nodes: [{ id: 'A' }] },
  program: () => (env: Env) => {
    let n = 0;
    const tick = (): void => {
      env.trace.emit('tick.tock', { n: n++ });
      env.clock.setTimeout(tick, 1);
    };
    env.clock.setTimeout(tick, 1);
    return {};
  },
  faults: { events: [{ kind: 'pause', node: 'A', atMs: 5, durationMs: 10 }] },
  durationMs: 2_000,
  checks: [{ name: 'invariant:always-fails', final: (ctx) => ctx.fail('correctness', 'invariant:always-fails', 'fails at the end') }],
};

describe('timeline window', () => {
  it('keeps the fault records from before the window, marked, with a break before the window', async () => {
    const { file } = await runSweep({ targets: [longAfterFault.name], scenarios: [longAfterFault], from: 0, to: 0, workers: 1 });
    const row = file.runs[0]!;
    expect(row.verdict).toBe('correctness');
    expect(row.traceRecords).toBeGreaterThan(3 * TIMELINE_STEPS_MAX);
    const tl = await captureTimeline(longAfterFault, row);
    expect(tl.traceHash).toBe(row.traceHash);
    expect(tl.steps[tl.failing]).toMatchObject({ i: row.failure!.traceIndex });
    // The pause and its end happened thousands of records before the failure: kept anyway, on the fault lane.
    const faults = tl.steps.filter((s) => s.fault);
    expect(faults.map((s) => s.kind)).toEqual(expect.arrayContaining(['fault.pause', 'fault.end']));
    for (const f of faults) expect(tl.lanes[f.lane]).toBe('fault');
    expect(tl.windowStart).toBeGreaterThanOrEqual(2);
    const early = tl.steps.slice(0, tl.windowStart);
    expect(early.every((s) => s.fault)).toBe(true);
    const firstOfWindow = tl.steps[tl.windowStart]!.i;
    expect(faults[0]!.i).toBeLessThan(firstOfWindow);
    // The window itself is contiguous and bounded.
    tl.steps.slice(tl.windowStart).forEach((s, k) => expect(s.i).toBe(firstOfWindow + k));
    expect(tl.steps.length - tl.windowStart).toBeLessThanOrEqual(TIMELINE_STEPS_MAX);
    // Everything before the window but the fault records is counted as left out.
    expect(tl.skipped).toBe(firstOfWindow - tl.windowStart);
    const html = reportHtml({ file, coverage: coverageReport(file), timelines: [tl] });
    expect(html).toContain('<g class="gap">');
    expect(html).toContain(`${tl.skipped} earlier records not shown (but the fault records among them)`);
    expect(html.match(/<g class="step fault"/g)?.length).toBe(faults.length);
  });
});
