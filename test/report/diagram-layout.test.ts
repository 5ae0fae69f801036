/**
 * The ELK layout of every model's state diagram (src/report/diagram-layout.ts), checked on its coordinates:
 * no two labels overlap, no label overlaps a state it does not belong to, every text fits its box (with
 * the glyph width Chromium draws DejaVu Sans Mono at, not the layout's own estimate), nested states sit
 * inside their superstate's box, every transition has its route and its own label with its count.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { edgeLabelText, FONT_PX, layoutDiagram, renderDiagram, stateDiagramSvg, type DiagramLayout, type LayoutSettings } from '../../src/report/diagram-layout.ts';
import type { ModelReport } from '../../src/runner/coverage.ts';
import { ancestors, foreignOverlaps, inside, overlappingPairs, projectModelReports, type Named, type Rect } from './diagram-models.ts';

/** DejaVu Sans Mono (Chromium's monospace here): advance 1233/2048 em; ascent + descent 1.164 em. */
const REAL_EM = 1233 / 2048;
const REAL_HEIGHT_EM = 1.164;
const { edge: EDGE_PX, name: NAME_PX, title: TITLE_PX } = FONT_PX;

/** The box the text takes when drawn centred (horizontally and vertically) in `box`. */
function textIn(box: Rect, text: string, px: number): Rect {
  const width = [...text].length * REAL_EM * px;
  const height = REAL_HEIGHT_EM * px;
  return { x: box.x + (box.width - width) / 2, y: box.y + (box.height - height) / 2, width, height };
}

/** Every way a layout draws labels over each other or over states, and texts outside their boxes; [] when clean. */
function problems(layout: DiagramLayout): string[] {
  const out: string[] = [];
  // A transition's label may lie inside the superstates of its ends, a title inside its own box's.
  const labels: Named[] = [
    ...layout.edges.map((e) => ({ ...e.label, what: `label of ${e.key}`, owners: [...ancestors(e.from), ...ancestors(e.to)] })),
    ...layout.groups.map((g) => ({ ...g.title, what: `title of ${g.key}`, owners: [g.key, ...ancestors(g.key)] })),
  ];
  out.push(...overlappingPairs(labels).map((p) => `labels overlap: ${p}`));
  out.push(...foreignOverlaps(labels, [...layout.states, ...layout.groups]).map((p) => `label over a state: ${p}`));
  // The texts as Chromium draws them: each inside its own box, and none over another or over a foreign state.
  const texts: Named[] = [];
  for (const e of layout.edges) {
    const t = { ...textIn(e.label, e.label.text, EDGE_PX), what: `text of ${e.key}`, owners: [...ancestors(e.from), ...ancestors(e.to)] };
    if (!inside(t, e.label)) out.push(`text wider than its label: ${e.key}`);
    texts.push(t);
  }
  for (const g of layout.groups) {
    const t = { ...textIn(g.title, g.name, TITLE_PX), what: `title text of ${g.key}`, owners: [g.key, ...ancestors(g.key)] };
    if (!inside(t, g.title)) out.push(`title wider than its box: ${g.key}`);
    texts.push(t);
  }
  for (const s of layout.states) {
    const t = { ...textIn({ ...s, height: s.height / 2 }, s.name, NAME_PX), what: `name of ${s.key}`, owners: [s.key, ...ancestors(s.key)] };
    if (!inside(t, s)) out.push(`name wider than its state: ${s.key}`);
    texts.push(t);
  }
  out.push(...overlappingPairs(texts).map((p) => `texts overlap: ${p}`));
  out.push(...foreignOverlaps(texts, [...layout.states, ...layout.groups]).map((p) => `text over a state: ${p}`));
  return out;
}

const cases: { variant: string; model: ModelReport }[] = [];
const layouts = new Map<string, DiagramLayout>();
const name = (c: { variant: string; model: ModelReport }): string => `${c.model.name} (${c.variant})`;

beforeAll(async () => {
  cases.push(...(await projectModelReports()));
  for (const c of cases) layouts.set(name(c), await layoutDiagram(c.model));
});

describe('ELK state diagram layout', () => {
  it('lays out every model of the project, nested recovery states included', () => {
    expect(cases.map(name)).toEqual(expect.arrayContaining(['recovery (never)', 'election (counted)', 'ticker (never)']));
    const recovery = layouts.get('recovery (never)')!;
    expect(recovery.groups.map((g) => g.key).sort()).toEqual(['recovering', 'reloading']);
  });

  it('overlaps no label with another label or with a state it does not belong to, for every model', () => {
    for (const c of cases) expect(problems(layouts.get(name(c))!), name(c)).toEqual([]);
  });

  it('draws every state, inside its superstates, and every transition with a route and its own label with its count', () => {
    for (const c of cases) {
      const l = layouts.get(name(c))!;
      expect(l.states.map((s) => s.key).sort(), name(c)).toEqual(c.model.states.map((s) => s.key).sort());
      const groups = new Map(l.groups.map((g) => [g.key, g]));
      for (const s of l.states) for (const a of ancestors(s.key)) expect(inside(s, groups.get(a)!), `${s.key} in ${a}`).toBe(true);
      for (const s of l.states) expect(inside(s, { x: 0, y: 0, width: l.width, height: l.height })).toBe(true);
      const drawn = c.model.transitions.filter((t) => !t.key.startsWith('*|'));
      expect(l.edges.map((e) => e.key), name(c)).toEqual(drawn.map((t) => t.key));
      for (const e of l.edges) {
        expect(e.label.text).toBe(edgeLabelText(e.event, e.count));
        expect(e.label.text).toContain(e.count === 0 ? '(never)' : `×${e.count}`);
        expect(e.points.length, e.key).toBeGreaterThanOrEqual(2);
      }
      // Self-loops: each its own route and label (the old layout drew all of a state's loops on one arc).
      const loops = l.edges.filter((e) => e.from === e.to);
      expect(new Set(loops.map((e) => `${e.label.x},${e.label.y}`)).size).toBe(loops.length);
    }
  });

  it('is deterministic, and renders never-reached states and transitions grey and dashed, not red', async () => {
    const c = cases.find((x) => x.model.name === 'recovery' && x.variant === 'counted')!;
    const svg = await stateDiagramSvg(c.model);
    expect(svg).toBe(renderDiagram(c.model, await layoutDiagram(c.model)));
    expect(svg).toMatch(/^<svg class="diagram" data-model="recovery" data-layout="elk"/);
    expect(svg).not.toContain('#d93025');
    expect(svg).toMatch(/<g class="state never" data-state="[^"]+" data-count="0"><title>[^<]*<\/title><rect [^>]*fill="#f1f3f4" stroke="#80868b"[^>]*stroke-dasharray="5 4"/);
    expect(svg).toMatch(/<g class="transition never" data-transition="[^"]+" data-count="0"><title>[^<]*<\/title><path [^>]*stroke="#9aa0a6"[^>]*stroke-dasharray="5 4"/);
    expect(svg.match(/<text class="elabel"/g)).toHaveLength(c.model.transitions.filter((t) => !t.key.startsWith('*|')).length);
  });

  it('finds the overlaps when ELK is told the labels are smaller than drawn (the checks can fail)', async () => {
    // A quarter of the size: texts spill out of their labels in every model, and in recovery over each other and over states.
    const shrunk: LayoutSettings = { labelScale: 0.25 };
    for (const c of cases.filter((x) => x.variant === 'counted')) {
      const found = problems(await layoutDiagram(c.model, shrunk));
      expect(found.filter((p) => p.startsWith('text wider than its label')).length, name(c)).toBeGreaterThan(0);
      if (c.model.name !== 'recovery') continue;
      expect(found.filter((p) => p.startsWith('texts overlap: text of')).length).toBeGreaterThan(0);
      expect(found.filter((p) => p.startsWith('text over a state')).length).toBeGreaterThan(0);
    }
  });
});
