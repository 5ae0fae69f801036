import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/report/junit.ts';
import { reportHtml } from '../../src/report/html.ts';
import { captureTimeline, timelineOf, TIMELINE_STEPS_MAX } from '../../src/report/timeline.ts';
import { coverageReport } from '../../src/runner/coverage.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { fixtures } from '../runner/fixtures.ts';

async function flakySweep() {
  const all = await fixtures();
  return (await runSweep({ targets: ['fixture-flaky'], scenarios: [all.get('fixture-flaky')!], from: 0, to: 3, workers: 1 })).file;
}

describe('junit.xml', () => {
  it('has one testcase per seed; correctness and liveness are failures, crashes errors, with replay commands', async () => {
    const xml = junitXml(await flakySweep());
    expect(xml).toMatch(/<testsuite name="fixture-flaky" tests="4" failures="2" errors="1"/);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml.match(/<failure type="(correctness|liveness)"/g)).toHaveLength(2);
    expect(xml).toMatch(/<error type="crash" message="crash: exception: B: Error: boom in B">/);
    expect(xml).toContain('replay: npx syncbench replay fixture-flaky --seed 1');
  });
});

describe('timelines', () => {
  it('re-running a failing seed gives the same trace hash and marks the failing step', async () => {
    const file = await flakySweep();
    const all = await fixtures();
    const row = file.runs.find((r) => r.seed === 3)!;
    const tl = await captureTimeline(all.get('fixture-flaky')!, row);
    expect(tl.traceHash).toBe(row.traceHash);
    expect(tl.lanes).toEqual(expect.arrayContaining(['fault', 'sim', 'A', 'B']));
    expect(tl.steps[tl.failing]).toMatchObject({ i: row.failure!.traceIndex, kind: 'sim.failure' });
    // The crash names node B: its last act before the failure is marked too.
    expect(tl.lanes[tl.steps[tl.failingNodeStep]!.lane]).toBe('B');
    expect(tl.failingNodeStep).toBeLessThan(tl.failing);
  });

  it('matches sends to deliveries by connection and sequence, and keeps a bounded window', () => {
    const rec = (i: number, node: string, kind: string, data: Record<string, unknown>): TraceRecord => ({ i, t: i * 10, node, kind, data });
    const recs = [
      rec(0, 'A', 'net.send', { conn: 'c1', to: 'B', seq: 1 }),
      rec(1, 'A', 'net.send', { conn: 'c1', to: 'B', seq: 2 }),
      rec(2, 'B', 'net.deliver', { conn: 'c1', from: 'A', seq: 2 }),
      rec(3, 'fault', 'fault.crash', { node: 'B' }),
      rec(4, 'B', 'net.deliver', { conn: 'c1', from: 'A', seq: 1 }),
      rec(5, 'sim', 'sim.failure', {}),
    ];
    const tl = timelineOf('x', 1, recs, 5, 0, 'h');
    expect(tl.messages).toEqual([{ from: 1, to: 2 }, { from: 0, to: 4 }]);
    expect(tl.steps[3]!.fault).toBe(true);
    expect(tl.failing).toBe(5);
    expect(TIMELINE_STEPS_MAX).toBeLessThanOrEqual(1000);
  });
});

describe('index.html', () => {
  it('is self-contained and has every section', async () => {
    const file = await flakySweep();
    const html = reportHtml({ file, coverage: coverageReport(file), timelines: [] });
    for (const id of ['summary', 'failures', 'coverage', 'state-faults', 'probes']) expect(html).toContain(`id="${id}"`);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('<svg class="diagram" data-model="ticker"');
    expect(html).toContain('npx syncbench replay fixture-flaky --seed 2');
  });

  it('escapes what scenarios write', async () => {
    const file = await flakySweep();
    file.runs[1]!.failure!.message = '<img src=x onerror=alert(1)>';
    const html = reportHtml({ file, coverage: coverageReport(file), timelines: [] });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
