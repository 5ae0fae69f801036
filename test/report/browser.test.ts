/**
 * Opens a generated report in a real browser: headless Chromium from Debian's `chromium` package, driven
 * by playwright-core. Checks that the state diagrams, the coverage and state-by-fault tables, the probes,
 * the grouped failures with replay commands and the failing-seed timelines are there and drawn; that
 * replay commands stay on one line and copy; that never-reached states, transitions and probes are drawn
 * in the neutral grey, not in the red of failures; and that failures link to their timelines.
 *
 * CI installs chromium in .ci/run; without it (a bare dev machine) the test is skipped with a message.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/write.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { fixtures } from '../runner/fixtures.ts';

/** The browser globals the page functions below use (the project's tsconfig has no DOM library). */
interface PageGlobals {
  getComputedStyle(el: unknown): { getPropertyValue(p: string): string; whiteSpace: string; overflowX: string; lineHeight: string };
  location: { hash: string };
  navigator: { clipboard: { readText(): Promise<string> } };
  getSelection(): { toString(): string; removeAllRanges(): void };
}
/** A page element as the page functions below read it. */
interface El {
  clientHeight: number;
  clientWidth: number;
  scrollWidth: number;
  textContent: string | null;
}

function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const exe = chromiumPath();
if (exe === null) console.warn('report browser test skipped: no chromium (apt-get install -y chromium)');

describe.skipIf(exe === null)('the HTML report in Chromium', () => {
  it('shows diagrams, coverage, state-by-fault, probes, failures and timelines', async () => {
    const all = await fixtures();
    const scenarios = [all.get('fixture-ticker')!, all.get('fixture-flaky')!];
    const { file } = await runSweep({ targets: ['fixture'], scenarios, from: 0, to: 3, workers: 1 });
    const dir = mkdtempSync(path.join(tmpdir(), 'syncbench-report-'));
    const written = await writeReport(dir, file, { scenarios: all });

    const browser = await chromium.launch({ executablePath: exe!, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext();
      await context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => undefined);
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(written.index).href);
      expect(await page.title()).toBe('syncbench report');

      const diagram = page.locator('#coverage svg.diagram[data-model="ticker"]');
      await expect(diagram.isVisible()).resolves.toBe(true);
      const box = await diagram.boundingBox();
      expect(box!.width).toBeGreaterThan(200);
      expect(await diagram.locator('g.state').count()).toBe(3);
      expect(await diagram.locator('g.state.never').getAttribute('data-state')).toBe('stopped');
      expect(await diagram.locator('g.transition.never').getAttribute('data-transition')).toBe('busy|STOP|stopped');
      expect(await diagram.locator('g.transition:not(.never)').count()).toBe(2);

      const sf = page.locator('#state-faults table[data-model="ticker"]');
      expect(await sf.locator('th').allTextContents()).toEqual(['state', 'pause']);
      expect(await sf.locator('tr').count()).toBe(4);

      expect(await page.locator('#probes tr[data-probe="ticker.never"]').getAttribute('class')).toBe('never');

      // Never reached is grey and dashed, not the red of failures; the legend says what it means.
      const style = (selector: string, props: string[]): Promise<string[]> =>
        page.locator(selector).first().evaluate((el, ps) => ps.map((p) => (globalThis as unknown as PageGlobals).getComputedStyle(el).getPropertyValue(p)), props);
      expect(await style('#coverage svg.diagram g.state.never rect', ['fill', 'stroke', 'stroke-dasharray'])).toEqual(['rgb(241, 243, 244)', 'rgb(128, 134, 139)', '5px, 4px']);
      expect(await style('#coverage svg.diagram g.transition.never path', ['stroke', 'stroke-dasharray'])).toEqual(['rgb(154, 160, 166)', '5px, 4px']);
      expect(await style('#probes tr[data-probe="ticker.never"] td', ['color', 'border-top-style'])).toEqual(['rgb(95, 99, 104)', 'dashed']);
      expect(await style('#coverage .legend .swatch-never', ['border-top-style'])).toEqual(['dashed']);
      expect(await page.locator('#coverage .legend').textContent()).toContain('never reached (grey, dashed: no run of this sweep got there; not a failure)');
      expect(await style('#failures .group .bad', ['color'])).toEqual(['rgb(217, 48, 37)']);

      // Failures: one group per (check, message shape); the seeds fold out; each links to its timeline.
      expect(await page.locator('#failures div.group').count()).toBe(3);
      const failures = page.locator('#failures tr.failure');
      expect(await failures.count()).toBe(3);
      await expect(failures.first().isVisible()).resolves.toBe(false);
      await page.locator('#failures details.seeds summary').first().click();
      await expect(failures.first().isVisible()).resolves.toBe(true);
      const cmd = 'npx syncbench replay fixture-flaky --seed 1 --scenarios-dir test/runner/fixtures/scenarios';
      expect(await failures.first().locator('code.replay').textContent()).toBe(cmd);
      await failures.first().locator('a[href="#timeline-fixture-flaky-1"]').click();
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).toBe('#timeline-fixture-flaky-1');
      expect(await page.locator('#timeline-fixture-flaky-1 svg.timeline[data-seed="1"]').count()).toBe(1);

      // A replay command is one line that scrolls sideways in a narrow window, never wrapped.
      await page.setViewportSize({ width: 420, height: 700 });
      const code = page.locator('#failures .group > .cmd code.replay').first();
      const line = await code.evaluate((el: El) => {
        const css = (globalThis as unknown as PageGlobals).getComputedStyle(el);
        return { ws: css.whiteSpace, ox: css.overflowX, h: el.clientHeight, lh: parseFloat(css.lineHeight) || 18, sw: el.scrollWidth, cw: el.clientWidth, text: el.textContent };
      });
      expect(line).toMatchObject({ ws: 'nowrap', ox: 'auto', text: cmd });
      expect(line.h).toBeLessThan(2 * line.lh);
      expect(line.sw).toBeGreaterThan(line.cw);

      // Copy: the clipboard when the page may use it; otherwise the command is selected for Ctrl+C.
      const copy = page.locator('#failures .group > .cmd button.copy').first();
      await copy.click();
      await expect.poll(() => copy.textContent()).toMatch(/^(copied|selected)$/);
      const copied = await page.evaluate(() => {
        const w = globalThis as unknown as PageGlobals;
        return w.navigator.clipboard.readText().catch(() => w.getSelection().toString());
      });
      expect(copied).toBe(cmd);
      await page.evaluate(() => {
        const w = globalThis as unknown as PageGlobals;
        w.getSelection().removeAllRanges();
        Object.defineProperty(w.navigator, 'clipboard', { value: undefined, configurable: true });
      });
      const second = page.locator('#failures .group > .cmd').nth(1);
      await second.locator('button.copy').click();
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).getSelection().toString())).toBe(await second.locator('code').textContent());
      await page.setViewportSize({ width: 1280, height: 720 });

      const timelines = page.locator('#timelines svg.timeline');
      expect(await timelines.count()).toBe(3);
      const crash = page.locator('#timelines svg.timeline[data-seed="3"]');
      expect(await crash.locator('g.lane').count()).toBeGreaterThanOrEqual(3);
      expect(await crash.locator('g.failing-step').count()).toBe(1);
      expect(requests).toEqual([]);
      if (process.env.SYNCBENCH_SCREENSHOT) await page.screenshot({ path: process.env.SYNCBENCH_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
