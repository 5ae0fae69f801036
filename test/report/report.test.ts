import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/report/junit.ts';
import { reportHtml } from '../../src/report/html.ts';
import { captureTimeline, timelineOf, TIMELINE_STEPS_MAX } from '../../src/report/timeline.ts';
import { coverageReport } from '../../src/runner/coverage.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { fixtures } from '../runner/fixtures.ts';

async function flakySweep(to = 3) {
  const all = await fixtures();
  return (await runSweep({ targets: ['fixture-flaky'], scenarios: [all.get('fixture-flaky')!], from: 0, to, workers: 1 })).file;
}

async function sweepOf(name: string, to: number) {
  const all = await fixtures();
  return (await runSweep({ targets: [name], scenarios: [all.get(name)!], from: 0, to, workers: 1 })).file;
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

  it("keeps one testcase per seed and gives each failure its group, the group's plan in words and replay command", async () => {
    const file = await sweepOf('fixture-shrink', 2);
    const xml = junitXml(file, await fixtures());
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure type="correctness" message="correctness: invariant:no-pause-with-3-items: A was paused and 20 items were added \(1 of 3 seeds failing this way; smallest seed 0\)">/g)).toHaveLength(3);
    const body = [
      'group: 3 seeds of fixture-shrink failed invariant:no-pause-with-3-items this way (seeds 0..2); first seed 0; smallest seed 0 (7 fault events)',
      'faults of seed 0: 7 fault events',
      '  pause B at 100 ms for 300 ms',
      '  clockJump B at 150 ms (deltaMs=5000)',
      '  pause B at 500 ms for 300 ms',
      '  and 4 more',
      'replay seed 0: npx syncbench replay fixture-shrink --seed 0 --scenarios-dir test/runner/fixtures/scenarios</failure>',
    ].join('\n');
    expect(xml.split(body)).toHaveLength(4);
    expect(xml).toContain('replay: npx syncbench replay fixture-shrink --seed 2 --scenarios-dir test/runner/fixtures/scenarios\n\ngroup: 3 seeds');
    // Without the scenarios, the plan is what the run's fault summary says.
    expect(junitXml(file)).toContain('faults of seed 0: 7 fault events\nreplay seed 0: ');
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

  it('groups the failures, each group expandable to its seeds, linked to the timelines the page has', async () => {
    const file = await flakySweep(7);
    const all = await fixtures();
    const tl = await captureTimeline(all.get('fixture-flaky')!, file.runs.find((r) => r.seed === 1)!);
    const html = reportHtml({ file, coverage: coverageReport(file), timelines: [tl] });
    const failures = html.slice(html.indexOf('<section id="failures">'), html.indexOf('<section id="coverage">'));
    expect(failures).toContain('<h2>Failures (6 runs in 3 groups)</h2>');
    expect(failures.match(/<div class="group" data-scenario="fixture-flaky" data-check="[^"]+" data-runs="2">/g)).toHaveLength(3);
    expect(failures).toContain('first seed 1; smallest seed 1 (no faults).');
    expect(failures.match(/<details class="seeds"><summary>all 2 seeds<\/summary>/g)).toHaveLength(3);
    expect(failures.match(/<tr class="failure" /g)).toHaveLength(6);
    // Seed 1 has a timeline: its rows link to it, and the timeline has that id; seed 5 has none.
    expect(html).toContain('<div class="timeline-box" id="timeline-fixture-flaky-1" data-scenario="fixture-flaky" data-seed="1">');
    expect(failures).toContain('<a href="#timeline-fixture-flaky-1">timeline</a>');
    expect(failures).not.toContain('#timeline-fixture-flaky-5');
    expect(failures).toMatch(/<tr class="failure" data-scenario="fixture-flaky" data-seed="5">(?:(?!<\/tr>).)*<td class="l nw">–<\/td>/);
  });

  it('puts every replay command on one unbroken line with a copy button (inline script, clipboard or selection)', async () => {
    const html = reportHtml({ file: await flakySweep(), coverage: coverageReport(await flakySweep()), timelines: [] });
    expect(html).toContain('.cmd code{display:block;white-space:nowrap;overflow-x:auto;');
    expect(html).toContain('<div class="cmd"><code class="replay">npx syncbench replay fixture-flaky --seed 1 --scenarios-dir test/runner/fixtures/scenarios</code><button type="button" class="copy" title="copy the command">copy</button></div>');
    expect(html.match(/<button type="button" class="copy"/g)).toHaveLength(3 + 3);
    const script = /<script>([^<]*)<\/script>/.exec(html)![1]!;
    expect(script).toContain('navigator.clipboard.writeText');
    expect(script).toContain('selectNodeContents');
  });

  it('keeps red for failures: never-reached states, transitions, probes and vacuous checks are neutral, with a legend', async () => {
    const file = await sweepOf('fixture-ticker', 1);
    const html = reportHtml({ file, coverage: coverageReport(file), timelines: [] });
    const css = /<style>([^<]*)<\/style>/.exec(html)![1]!;
    const red = css.split('}').filter((rule) => rule.includes('#d93025')).map((rule) => rule.split('{')[0]!.trim());
    expect(red).toEqual(['.bad', '.group']);
    expect(css).toContain('.never{color:#5f6368;font-style:italic}');
    expect(css).toContain('svg.diagram g.state.never rect{fill:#f1f3f4;stroke:#80868b;stroke-dasharray:5 4}');
    expect(css).toContain('svg.diagram g.transition.never path{stroke:#9aa0a6}');
    expect(html).toContain('<p class="legend">reach:<span class="swatch-never"></span>never reached (grey, dashed: no run of this sweep got there; not a failure)');
    expect(html).toContain('<g class="state never" data-state="stopped"');
    expect(html).toContain('<tr data-probe="ticker.never" class="never"><td class="l">ticker.never</td><td>never</td>');
    expect(html).toContain('<span class="swatch-never"></span>never: no run of this sweep reached the probe (not a failure)');
    expect(html).not.toMatch(/class="bad">[^<]*never/);
  });

  it("lists only the probes the sweep's scenarios declare", async () => {
    // fixture-flaky hits ticker.rare but declares no probe; fixture-ticker declares ticker.rare and ticker.never.
    const flaky = await sweepOf('fixture-flaky', 19);
    expect(Object.keys(flaky.scenarios['fixture-flaky']!.probes)).toContain('ticker.rare');
    const html = reportHtml({ file: flaky, coverage: coverageReport(flaky), timelines: [] });
    expect(html).not.toContain('data-probe="ticker.rare"');
    expect(html).toContain('<p>No probes were declared.</p><p class="probe-undeclared">1 other probe was hit that no scenario of this sweep declares (listed in coverage.json).</p>');
    const ticker = await sweepOf('fixture-ticker', 19);
    const both = reportHtml({ file: ticker, coverage: coverageReport(ticker), timelines: [] });
    expect(both.match(/<tr data-probe="/g)).toHaveLength(2);
  });

  it('escapes what scenarios write', async () => {
    const file = await flakySweep();
    file.runs[1]!.failure!.message = '<img src=x onerror=alert(1)>';
    const html = reportHtml({ file, coverage: coverageReport(file), timelines: [] });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
