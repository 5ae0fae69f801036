/**
 * From a failing report to the failing step in one click (headless Chromium, as browser.test.ts): the
 * report of a sweep where a tab without step-down breaks lease exclusivity; a click on the failure group's
 * "trace viewer" link opens the viewer page on the failing step, with the culprit's lane (C) marked and
 * on screen and the culprit record ringed inside the visible timeline.
 *
 * Skipped with a message where there is no chromium (a bare dev machine); CI installs it in .ci/run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/write.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { chromiumPath, culpritRingInView } from './chromium.ts';

const exe = chromiumPath();
if (exe === null) console.warn('report-to-viewer browser test skipped: no chromium (apt-get install -y chromium)');

describe.skipIf(exe === null)('report -> trace viewer', () => {
  it('a click on a failure opens its trace viewer on the failing step, the culprit lane C marked', async () => {
    const scenarios = (await loadScenarios()).map((l) => l.scenario).filter((s) => s.name === 'election-leader-paused');
    const { file } = await runSweep({ targets: ['election-leader-paused'], scenarios, from: 0, to: 0, workers: 1, variant: 'election-no-stepdown' });
    expect(file.runs[0]!.failure).toMatchObject({ check: 'invariant:lease-exclusive' });
    const dir = mkdtempSync(path.join(tmpdir(), 'syncbench-report-viewer-'));
    const written = await writeReport(dir, file, { scenarios: new Map(scenarios.map((s) => [s.name, s])) });

    const browser = await chromium.launch({ executablePath: exe!, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      await page.goto(pathToFileURL(written.index).href);
      await Promise.all([page.waitForURL(/timeline-election-leader-paused-0\.html/), page.locator('#failures .group a.viewer').first().click()]);
      const label = page.locator('.lane-label.culprit');
      expect(await label.getAttribute('data-lane')).toBe('C');
      expect(await label.isVisible()).toBe(true);
      expect(await culpritRingInView(page)).toBe(true);
      expect(await page.locator('#panel-body pre').textContent()).toContain('"kind": "writer.begin"');
    } finally {
      await browser.close();
    }
  });
});
