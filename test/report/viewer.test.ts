/**
 * The trace viewer (src/report/viewer.ts): model bands stepped offline, the lane order, the page's marks
 * (the failing record, its culprit, the lane, the initial scroll target), messages and faults, and the
 * viewer pages writeReport puts beside index.html.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { culpritOf, laneOrder, modelBands, TraceWindow, viewerFileName, viewerHtml } from '../../src/report/viewer.ts';
import { writeReport } from '../../src/report/write.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { fixture, fixtures } from '../runner/fixtures.ts';

const rec = (i: number, t: number, node: string, kind: string, data: Record<string, unknown> = {}): TraceRecord => ({ i, t, node, kind, data });

/** The page's data (the JSON the page's script reads). */
function pageData(html: string): Record<string, any> {
  const m = /<script type="application\/json" id="viewer-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m, 'the page embeds its data').not.toBeNull();
  return JSON.parse(m![1]!) as Record<string, any>;
}

async function traceOf(name: string, seed: number): Promise<TraceRecord[]> {
  const lines: string[] = [];
  await runScenario(await fixture(name), seed, { traceSink: (l) => lines.push(l) });
  return lines.map((l) => JSON.parse(l) as TraceRecord);
}

describe('modelBands', () => {
  it("follows each ticker's model state over the run: busy and idle in turn, one span per flip, end to end", async () => {
    const records = await traceOf('fixture-ticker', 0);
    const scenario = await fixture('fixture-ticker');
    const bands = modelBands(scenario, records);
    expect(bands.map((b) => [b.model, b.instance, b.node])).toEqual([
      ['ticker', 'A', 'A'],
      ['ticker', 'B', 'B'],
    ]);
    const end = records.at(-1)!.t;
    for (const b of bands) {
      const flips = records.filter((r) => r.node === b.instance && r.kind.startsWith('ticker.'));
      // The first flip creates the instance (busy), every later one starts a new span.
      expect(b.spans).toHaveLength(flips.length);
      expect(b.spans[0]).toMatchObject({ state: 'busy', fromUs: flips[0]!.t });
      b.spans.forEach((s, k) => {
        expect(s.state).toBe(k % 2 === 0 ? 'busy' : 'idle');
        expect(s.toUs).toBeGreaterThan(s.fromUs);
        if (k > 0) expect(s.fromUs).toBe(b.spans[k - 1]!.toUs);
        expect(s.fromUs).toBe(flips[k]!.t);
      });
      expect(b.spans.at(-1)!.toUs).toBe(end);
      expect(b.stopped).toBeUndefined();
    }
  });

  it('stops a model at the record it refuses (a sink that notes the failure, not one that throws) and keeps its last state', async () => {
    const scenario = await fixture('fixture-ticker');
    const bands = modelBands(scenario, [
      rec(0, 0, 'A', 'ticker.busy'),
      rec(1, 10, 'B', 'ticker.busy'),
      rec(2, 20, 'A', 'ticker.busy'), // busy cannot take BUSY: refused
      rec(3, 30, 'B', 'ticker.idle'), // the model has stopped: not followed
      rec(4, 40, 'sim', 'sim.end'),
    ]);
    const a = bands.find((b) => b.instance === 'A')!;
    const b = bands.find((x) => x.instance === 'B')!;
    expect(a.spans).toEqual([{ state: 'busy', fromUs: 0, toUs: 40 }]);
    expect(b.spans).toEqual([{ state: 'busy', fromUs: 10, toUs: 40 }]);
    expect(a.stopped).toMatchObject({ atUs: 20, traceIndex: 2, instance: 'A' });
    expect(a.stopped!.message).toMatch(/model 'ticker' instance 'A' in state 'busy' refused BUSY/);
    expect(b.stopped).toEqual(a.stopped);
  });

  it('has no bands for a scenario without models', () => {
    expect(modelBands({}, [rec(0, 0, 'A', 'ticker.busy')])).toEqual([]);
  });
});

describe('lane order', () => {
  it('is the nodes by name (digits as numbers), then workload, fault and sim, whatever order they appear in', () => {
    const want = ['A', 'B', 'tab2', 'tab10', 'workload', 'fault', 'sim'];
    expect(laneOrder(['sim', 'tab10', 'fault', 'B', 'workload', 'tab2', 'A'])).toEqual(want);
    expect(laneOrder(['workload', 'A', 'tab2', 'sim', 'B', 'fault', 'tab10', 'A'])).toEqual(want);
    expect(laneOrder(['C', 'A'])).toEqual(['A', 'C']);
  });

  it('gives two seeds of a scenario the same lanes in the same order', async () => {
    const lanes = async (seed: number): Promise<string[]> => pageData(viewerHtml({ title: 't', records: await traceOf('fixture-shrink', seed) })).lanes as string[];
    const [a, b] = [await lanes(0), await lanes(3)];
    expect(a).toEqual(['A', 'B', 'workload', 'fault', 'sim']);
    expect(b).toEqual(a);
  });
});

/** A small failing run: messages on the network and the tab bus, a pause, and a check that names its culprit. */
const failing: TraceRecord[] = [
  rec(0, 0, 'sim', 'sim.begin', { scenario: 'x', seed: 1, variant: '', faults: 'plan: 1 fault events' }),
  rec(1, 100, 'A', 'net.send', { conn: 'c1', to: 'B', seq: 1, type: 'hello' }),
  rec(2, 350, 'B', 'net.deliver', { conn: 'c1', from: 'A', seq: 1, type: 'hello' }),
  rec(3, 400, 'fault', 'fault.pause', { event: 0, node: 'C', durationMs: 2 }),
  rec(4, 500, 'B', 'bus.post', { channel: 'ch', msg: 1, to: 2, type: 'leader' }),
  rec(5, 650, 'A', 'bus.deliver', { channel: 'ch', msg: 1, from: 'B', type: 'leader' }),
  rec(6, 700, 'A', 'net.send', { conn: 'c1', to: 'B', seq: 2, type: 'data' }),
  rec(7, 2400, 'fault', 'fault.end', { event: 0, kind: 'pause' }),
  rec(8, 2500, 'C', 'bus.deliver', { channel: 'ch', msg: 1, from: 'B', type: 'leader' }),
  rec(9, 9000, 'B', 'writer.begin', { epoch: 2 }),
  rec(10, 9000, 'sim', 'sim.failure', { kind: 'correctness', check: 'invariant:one-writer', message: "'B' wrote with epoch 2 (trace #9)" }),
  rec(11, 9000, 'sim', 'sim.end', { verdict: 'correctness' }),
];

describe('the viewer page', () => {
  const html = viewerHtml({
    title: 'x seed 1',
    records: failing,
    failure: { traceIndex: 10, check: 'invariant:one-writer', message: "'B' wrote with epoch 2 (trace #9)" },
    replay: 'npx syncbench replay x --seed 1',
  });
  const d = pageData(html);

  it('marks the failing record, its culprit and its lane, and opens on the culprit', () => {
    expect(html).toContain('data-culprit="9"');
    expect(html).toContain('data-failure="10"');
    expect(html).toContain('data-failing-lane="B"');
    expect(html).toContain('data-focus="9"');
    expect(html).toMatch(/<div class="lane-label culprit" data-lane="B"[^>]*><span class="name">⚠ B<\/span>/);
    expect(html.match(/lane-label culprit/g)).toHaveLength(1);
    expect(d.failure).toEqual({ check: 'invariant:one-writer', message: "'B' wrote with epoch 2 (trace #9)", rec: 10, culprit: 9, lane: 1 });
    expect(html).toContain('<b>invariant:one-writer</b>');
    expect(html).toContain('npx syncbench replay x --seed 1');
  });

  it('draws messages with their type, a send never delivered, and a fault span with its words', () => {
    expect(d.lanes).toEqual(['A', 'B', 'C', 'fault', 'sim']);
    expect(d.arrows).toEqual([
      [1, 2, 'hello'],
      [4, 5, 'leader'],
      [4, 8, 'leader'],
    ]);
    expect(d.lost).toEqual([[6, 1, 'data']]);
    expect(d.faults).toEqual([[3, 2400, [2], 'pause C 2 ms', 0]]);
  });

  it('is self-contained: no external resource, and record text cannot end the data script', () => {
    expect(html).not.toMatch(/<link|\ssrc=|https?:\/\//);
    const hostile = viewerHtml({ title: '<b>', records: [rec(0, 0, 'A', 'x.y', { s: '</script><script>alert(1)</script>' })] });
    expect(hostile.match(/<\/script>/g)).toHaveLength(2);
    expect(hostile).toContain('<title>&lt;b&gt; · syncbench trace</title>');
    expect(pageData(hostile).recs[0][4]).toEqual({ s: '</script><script>alert(1)</script>' });
  });

  it('finds the culprit: the one named, the failing record, a record the message names, the failing node last step', () => {
    const f = { traceIndex: 10, check: 'c', message: 'no index here' };
    expect(culpritOf(failing, { ...f, culprit: 6 })).toBe(6);
    expect(culpritOf(failing, { ...f, traceIndex: 9 })).toBe(9);
    expect(culpritOf(failing, { ...f, message: 'at trace #5' })).toBe(5);
    expect(culpritOf(failing, { ...f, node: 'A' })).toBe(6);
    expect(culpritOf(failing, f)).toBe(10);
  });

  it('names report pages after the scenario and seed, safely', () => {
    expect(viewerFileName('election-leader-paused', 0)).toBe('timeline-election-leader-paused-0.html');
    expect(viewerFileName('a/../b c', 7)).toBe('timeline-a_.._b_c-7.html');
  });
});

describe('viewer pages in the report', () => {
  it('are written beside index.html for every timeline, and replaced with the folder', async () => {
    const all = await fixtures();
    const { file } = await runSweep({ targets: ['fixture-flaky'], scenarios: [all.get('fixture-flaky')!], from: 0, to: 2, workers: 1 });
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'syncbench-viewer-')), 'report');
    const written = await writeReport(dir, file, { scenarios: all });
    const pages = ['timeline-fixture-flaky-1.html', 'timeline-fixture-flaky-2.html'];
    expect(written.viewers).toEqual(pages.map((p) => path.join(dir, p)));
    expect(readdirSync(dir).filter((n) => n.startsWith('timeline-')).sort()).toEqual(pages);
    const page = readFileSync(path.join(dir, pages[0]!), 'utf8');
    const d = pageData(page);
    expect(d.title).toBe('fixture-flaky seed 1');
    expect(d.failure).toMatchObject({ check: 'invariant:not-1-mod-4' });
    expect(d.bands.map((b: unknown[]) => b[1])).toEqual(['ticker', 'ticker']);
    expect(page).toContain('npx syncbench replay fixture-flaky --seed 1');

    // A later report without failures replaces the folder: no page of the earlier one is left behind.
    const { file: ok } = await runSweep({ targets: ['fixture-flaky'], scenarios: [all.get('fixture-flaky')!], from: 0, to: 0, workers: 1 });
    const again = await writeReport(dir, ok, { scenarios: all });
    expect(again.viewers).toBeUndefined();
    expect(existsSync(path.join(dir, pages[0]!))).toBe(false);
    expect(readdirSync(path.dirname(dir))).toEqual(['report']);
  });
});

describe('the window of a long trace', () => {
  it('keeps the last records up to the failure, plus sim.begin and the fault records from before them', () => {
    const w = new TraceWindow(5);
    const kinds = (i: number): string => (i === 0 ? 'sim.begin' : i === 2 || i === 4 ? 'fault.pause' : i === 25 ? 'sim.failure' : 'x.y');
    for (let i = 0; i < 30; i++) {
      const line = JSON.stringify(rec(i, i * 10, 'A', kinds(i)));
      w.add(line, kinds(i));
    }
    const r = w.result();
    expect(r.records.map((x) => x.i)).toEqual([0, 2, 4, 25, 26, 27, 28, 29]);
    expect(r).toMatchObject({ before: 22, after: 0, windowStart: 25 });
  });
});
