/** index.html ties the report together: ELK-drawn model diagrams, and links from failures and timelines to the trace viewer pages. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/write.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { FIXTURES_DIR } from '../runner/fixtures.ts';

describe('report links', () => {
  it('failures and timelines link to their viewer pages, which exist; diagrams are laid out by ELK', async () => {
    const scenarios = (await loadScenarios(FIXTURES_DIR)).map((l) => l.scenario).filter((s) => s.name === 'fixture-flaky');
    const { file } = await runSweep({ targets: ['fixture-flaky'], scenarios, from: 0, to: 1, workers: 1 });
    expect(file.runs.map((r) => r.verdict)).toEqual(['pass', 'correctness']);
    const dir = mkdtempSync(path.join(tmpdir(), 'syncbench-links-'));
    const written = await writeReport(dir, file, { scenarios: new Map(scenarios.map((s) => [s.name, s])) });
    const html = readFileSync(written.index, 'utf8');
    const links = [...html.matchAll(/<a class="viewer" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(2); // the failure group's example and the timeline box
    for (const l of new Set(links)) expect(existsSync(path.join(dir, decodeURI(l))), l).toBe(true);
    expect(new Set(links)).toEqual(new Set(['timeline-fixture-flaky-1.html']));
    expect(html).toContain('data-layout="elk"');
  });
});
