/**
 * Opens a generated report in a real browser: headless Chromium from Debian's `chromium` package, driven
 * by playwright-core. Checks that the state diagrams, the coverage and state-by-fault tables, the probes,
 * the failure list with replay commands and the failing-seed timelines are there and drawn.
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
      const page = await browser.newPage();
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

      const failures = page.locator('#failures tr.failure');
      expect(await failures.count()).toBe(3);
      expect(await failures.first().locator('code.replay').textContent()).toBe('npx syncbench replay fixture-flaky --seed 1 --scenarios-dir test/runner/fixtures/scenarios');

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
