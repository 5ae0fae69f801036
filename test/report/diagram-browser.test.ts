/**
 * The ELK state diagrams (src/report/diagram-layout.ts) drawn by a real browser: headless Chromium from
 * Debian's `chromium` package, driven by playwright-core, as in browser.test.ts. Each model of the
 * project's scenarios (and of the runner fixtures) is rendered under the report's own stylesheet, and the
 * boxes Chromium measures (getBBox) are checked: no two texts overlap, every transition's text lies inside
 * its label and over no state, every state's texts inside its box. A layout made with labels a quarter of
 * their size shows the check failing.
 *
 * CI installs chromium in .ci/run; without it (a bare dev machine) the test is skipped with a message.
 */
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHAR_EM, FONT_PX, layoutDiagram, renderDiagram } from '../../src/report/diagram-layout.ts';
import { reportHtml } from '../../src/report/html.ts';
import { coverageReport } from '../../src/runner/coverage.ts';
import { emptyResults } from '../../src/runner/results.ts';
import { chromiumPath } from './chromium.ts';
import { ancestors, foreignOverlaps, inside, overlappingPairs, projectModelReports, type Named, type Rect } from './diagram-models.ts';

const exe = chromiumPath();
if (exe === null) console.warn('diagram browser test skipped: no chromium (apt-get install -y chromium)');

/** The SVG elements the page function reads (the project's tsconfig has no DOM library). */
interface SvgEl {
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<SvgEl>;
  closest(selector: string): SvgEl | null;
  getBBox(): Rect;
  getComputedTextLength(): number;
  textContent: string | null;
}

/** What Chromium measured of one diagram. */
interface Measured {
  id: string;
  /** Every text: its box, class, and the transition, state or superstate it belongs to. */
  texts: (Rect & { cls: string; owner: string; text: string; length: number; font: string })[];
  /** The label ground of each transition. */
  labels: (Rect & { owner: string })[];
  states: (Rect & { key: string })[];
}

/** Runs in the page: measures every diagram of it. */
function measure(svgs: SvgEl[]): Measured[] {
  const box = (e: SvgEl): Rect => {
    const b = e.getBBox();
    return { x: b.x, y: b.y, width: b.width, height: b.height };
  };
  const style = (globalThis as unknown as { getComputedStyle(e: SvgEl): { fontFamily: string } }).getComputedStyle;
  const ownerOf = (e: SvgEl): string => {
    const g = e.closest('g[data-transition], g[data-state], g[data-superstate]');
    return g === null ? '' : (g.getAttribute('data-transition') ?? g.getAttribute('data-state') ?? g.getAttribute('data-superstate') ?? '');
  };
  return svgs.map((svg) => ({
    id: svg.closest('[data-case]')?.getAttribute('data-case') ?? '',
    texts: Array.from(svg.querySelectorAll('text')).map((t) => ({ ...box(t), cls: t.getAttribute('class') ?? '', owner: ownerOf(t), text: t.textContent ?? '', length: t.getComputedTextLength(), font: style(t).fontFamily })),
    labels: Array.from(svg.querySelectorAll('g.tlabel rect')).map((r) => ({ ...box(r), owner: ownerOf(r) })),
    states: [...Array.from(svg.querySelectorAll('g.state rect')), ...Array.from(svg.querySelectorAll('g.superstate rect'))].map((r) => ({ ...box(r), key: ownerOf(r) })),
  }));
}

/** Everything wrong with the drawn diagram: overlapping texts, texts outside their label or over a state. */
function problems(d: Measured): string[] {
  const out: string[] = [];
  const texts: Named[] = d.texts.map((t) => {
    const edge = t.cls === 'elabel';
    const [from = '', , to = ''] = t.owner.split('|');
    const owners = edge ? [...ancestors(from), ...ancestors(to)] : [t.owner, ...ancestors(t.owner)];
    return { ...t, what: `${t.cls} '${t.text}'`, owners };
  });
  out.push(...overlappingPairs(texts).map((p) => `texts overlap: ${p}`));
  out.push(...foreignOverlaps(texts, d.states).map((p) => `text over a state: ${p}`));
  const labels = new Map(d.labels.map((l) => [l.owner, l]));
  for (const t of d.texts.filter((x) => x.cls === 'elabel')) if (!inside(t, labels.get(t.owner)!, 0.5)) out.push(`text outside its label: ${t.text}`);
  for (const t of d.texts.filter((x) => x.cls === 'sname' || x.cls === 'scount')) if (!inside(t, d.states.find((s) => s.key === t.owner)!, 0.5)) out.push(`text outside its state: ${t.text}`);
  return out;
}

describe.skipIf(exe === null)('ELK state diagrams in Chromium', () => {
  it('draws no text over another, outside its label or over a state, for every model; a shrunk layout fails the same check', async () => {
    const cases = await projectModelReports();
    const svgs: { id: string; svg: string; edges: number }[] = [];
    for (const c of cases) {
      const layout = await layoutDiagram(c.model);
      svgs.push({ id: `${c.model.name} (${c.variant})`, svg: renderDiagram(c.model, layout), edges: layout.edges.length });
    }
    const recovery = cases.find((c) => c.model.name === 'recovery' && c.variant === 'counted')!.model;
    svgs.push({ id: 'recovery (labels at a quarter of their size)', svg: renderDiagram(recovery, await layoutDiagram(recovery, { labelScale: 0.25 })), edges: 0 });

    // The report's own stylesheet (its `svg text` rule sets a proportional font the diagram must override).
    const file = emptyResults({ targets: [], from: 0, to: 0, variant: '', shards: ['1/1'] }, [], {});
    const css = /<style>[\s\S]*?<\/style>/.exec(reportHtml({ file, coverage: coverageReport(file), timelines: [] }))![0];
    const html = `<!doctype html><html><head><meta charset="utf-8">${css}</head><body>${svgs.map((s) => `<div class="scroll" data-case="${s.id}">${s.svg}</div>`).join('')}</body></html>`;

    const browser = await chromium.launch({ executablePath: exe!, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.setContent(html);
      const measured = await page.locator('svg.diagram[data-layout=elk]').evaluateAll(measure as unknown as (els: unknown[]) => Measured[]);
      expect(measured.map((m) => m.id)).toEqual(svgs.map((s) => s.id));
      for (const d of measured) {
        const want = svgs.find((s) => s.id === d.id)!;
        if (d.id.includes('quarter')) {
          // The check can fail: told labels are smaller than drawn, ELK packs them over each other.
          expect(problems(d).filter((p) => p.startsWith('texts overlap')).length, d.id).toBeGreaterThan(0);
          continue;
        }
        expect(problems(d), d.id).toEqual([]);
        // Every transition labelled, drawn in the monospace font the sizes were estimated for, no wider than estimated.
        const labels = d.texts.filter((t) => t.cls === 'elabel');
        expect(labels.length, d.id).toBe(want.edges);
        for (const t of labels) {
          expect(t.font, d.id).toMatch(/^ui-monospace/);
          expect(t.length / [...t.text].length, t.text).toBeLessThanOrEqual(CHAR_EM * FONT_PX.edge + 0.01);
          expect(t.text).toMatch(/ (×\d+|\(never\))$/);
        }
      }
    } finally {
      await browser.close();
    }
  });
});
