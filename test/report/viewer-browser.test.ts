/**
 * A trace viewer page in a real browser (headless Chromium from Debian's `chromium`, driven by
 * playwright-core, as browser.test.ts): a 20,000-record trace opens on its failure, with the culprit's
 * lane label and the culprit in view; the lane labels stay put while the timeline scrolls sideways; a
 * click shows a record's fields, ctrl+wheel zooms, a kind filter hides records; nothing is fetched.
 *
 * Skipped with a message where there is no chromium (a bare dev machine); CI installs it in .ci/run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumPath, culpritRingInView } from './chromium.ts';
import { viewerHtml } from '../../src/report/viewer.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';

const exe = chromiumPath();
if (exe === null) console.warn('viewer browser test skipped: no chromium (apt-get install -y chromium)');

/** A 20,000-record trace: four nodes exchanging messages, a pause, and a failure culprit on C at record 15,000. */
function bigTrace(): TraceRecord[] {
  const nodes = ['A', 'B', 'C', 'D'];
  const out: TraceRecord[] = [];
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) >> 8) % n;
  let t = 0;
  const push = (node: string, kind: string, data: Record<string, unknown>): TraceRecord => {
    const r = { i: out.length, t, node, kind, data };
    out.push(r);
    return r;
  };
  push('sim', 'sim.begin', { scenario: 'synthetic', seed: 0, variant: '', faults: '' });
  const inFlight: { from: string; to: string; seq: number; at: number }[] = [];
  let seq = 0;
  while (out.length < 19_998) {
    t += rnd(5) === 0 ? 20_000 + rnd(200_000) : rnd(400);
    if (out.length === 8000) push('fault', 'fault.pause', { event: 0, node: 'B', durationMs: 300 });
    if (out.length === 9000) push('fault', 'fault.end', { event: 0, kind: 'pause' });
    if (out.length === 15_000) {
      push('C', 'writer.begin', { epoch: 2 });
      continue;
    }
    if (inFlight.length > 0 && inFlight[0]!.at <= t) {
      const m = inFlight.shift()!;
      push(m.to, 'net.deliver', { conn: `c-${m.from}${m.to}`, from: m.from, seq: m.seq, type: ['hello', 'data', 'ack'][m.seq % 3] });
      continue;
    }
    const from = nodes[rnd(4)]!;
    const to = nodes[(nodes.indexOf(from) + 1 + rnd(3)) % 4]!;
    if (rnd(3) === 0) {
      seq++;
      push(from, 'net.send', { conn: `c-${from}${to}`, to, seq, type: ['hello', 'data', 'ack'][seq % 3] });
      inFlight.push({ from, to, seq, at: t + 50 + rnd(900) });
    } else push(from, ['disk.write', 'kv.commit', 'app.step'][rnd(3)]!, { n: out.length });
  }
  const culprit = out.find((r) => r.kind === 'writer.begin')!;
  push('sim', 'sim.failure', { kind: 'correctness', check: 'invariant:synthetic', message: `'C' wrote with a stale epoch (trace #${culprit.i})` });
  push('sim', 'sim.end', { verdict: 'correctness' });
  return out;
}

/** A browser-side expression's value (the project's tsconfig has no DOM library: the code is a string). */
const js = <T>(page: Page, code: string): Promise<T> => page.evaluate(code) as Promise<T>;

describe.skipIf(exe === null)('the trace viewer in Chromium', () => {
  it('opens a 20,000-record trace on its failure: culprit and its lane label in view; labels stay while scrolling; click, zoom, filter', async () => {
    const records = bigTrace();
    expect(records).toHaveLength(20_000);
    const culprit = records.find((r) => r.kind === 'writer.begin')!;
    const failure = records.find((r) => r.kind === 'sim.failure')!;
    const started = performance.now();
    const html = viewerHtml({ title: 'synthetic seed 0', records, failure: { traceIndex: failure.i, check: 'invariant:synthetic', message: String(failure.data.message) } });
    const genMs = performance.now() - started;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'syncbench-viewer-')), 'view.html');
    writeFileSync(file, html);

    const browser = await chromium.launch({ executablePath: exe!, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 760 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      const loadStart = performance.now();
      await page.goto(pathToFileURL(file).href);
      const loadMs = performance.now() - loadStart;
      console.log(`viewer, 20,000 records: ${(html.length / 1024).toFixed(0)} KB generated in ${genMs.toFixed(0)} ms, loaded in ${loadMs.toFixed(0)} ms`);
      expect(loadMs).toBeLessThan(10_000);

      // The culprit's lane label is marked and on screen, the culprit ringed inside the visible timeline.
      const label = page.locator('.lane-label.culprit');
      expect(await label.getAttribute('data-lane')).toBe('C');
      expect(await label.isVisible()).toBe(true);
      const lb = (await label.boundingBox())!;
      expect(lb.x).toBeGreaterThanOrEqual(0);
      expect(lb.y + lb.height).toBeLessThanOrEqual(760);
      expect(await culpritRingInView(page, 760)).toBe(true);
      const rb = (await page.locator('#culprit-ring').boundingBox())!;
      // ... its fields in the panel, its lane's row the one it sits on.
      expect(await page.locator('#panel-body pre').textContent()).toContain(`"i": ${culprit.i}`);
      expect(Math.abs(rb.y + rb.height / 2 - (lb.y + 20))).toBeLessThan(12);
      expect(errors).toEqual([]);

      // Scrolling sideways moves the timeline, not the lane labels.
      const before = await js<number>(page, 'window.syncbenchViewer.scrollLeft()');
      await js(page, "document.getElementById('scroller').scrollLeft -= 600");
      expect(await js<number>(page, 'window.syncbenchViewer.scrollLeft()')).toBeLessThan(before);
      expect((await label.boundingBox())!.x).toBe(lb.x);

      // A click on a record shows its fields.
      await js(page, 'window.syncbenchViewer.draw()');
      const x = await js<number>(page, `window.syncbenchViewer.xOf(${culprit.i}) - window.syncbenchViewer.scrollLeft()`);
      await page.locator('#go-failure').click();
      const x2 = await js<number>(page, `window.syncbenchViewer.xOf(${culprit.i}) - window.syncbenchViewer.scrollLeft()`);
      expect(x2).not.toBe(x);
      const cv = (await page.locator('#cv').boundingBox())!;
      await page.locator('#panel-body').evaluate('(el) => { el.textContent = ""; }');
      await page.mouse.click(cv.x + x2, rb.y + rb.height / 2);
      expect(await page.locator('#panel-body pre').textContent()).toContain(`"i": ${culprit.i}`);

      // Ctrl+wheel zooms at the pointer; a kind filter hides records.
      const zoom = await js<number>(page, 'window.syncbenchViewer.zoom()');
      await page.mouse.move(cv.x + 200, cv.y + 60);
      await page.keyboard.down('Control');
      await page.mouse.wheel(0, 400);
      await page.keyboard.up('Control');
      await expect.poll(() => js<number>(page, 'window.syncbenchViewer.zoom()')).toBeLessThan(zoom);
      await page.locator('#f-kind').fill('net.');
      const net = records.filter((r) => r.kind.startsWith('net.')).length;
      await expect.poll(() => page.locator('#count').textContent()).toBe(`${net} of 20000 records shown`);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
