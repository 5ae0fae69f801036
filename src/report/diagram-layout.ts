/**
 * State diagrams laid out by ELK (elkjs, the Eclipse Layout Kernel compiled to JavaScript): its layered
 * algorithm with orthogonal edges, nested states as compound nodes (one box per dotted prefix:
 * 'recovering.scanning' sits inside a 'recovering' box), and every edge label an ELK label whose size is
 * measured here, so ELK places labels (self-loops' too, each its own) where they overlap neither each other
 * nor a state.
 *
 * Sizes are estimated, not measured in a browser: every text is drawn in a monospace font (the SVG's own
 * style sets it, above the page's `svg text` rule), whose glyphs are all CHAR_EM of the font size wide
 * (0.60 in DejaVu Sans Mono, Menlo, Liberation Mono and Courier; 0.55 in Consolas; 0.62 in SF Mono: the
 * widest is taken), plus padding.
 *
 * ELK runs on the layered algorithm's defaults but for: the initial state (a top-level one) in the first
 * layer, labels inline (the route runs through its label), one pass of crossing minimisation. The layout
 * is deterministic (ELK's fixed random seed): the same model and counts draw the same picture.
 *
 * `layoutDiagram` is async (elkjs's API is promise-based; its bundled build runs in this thread, loaded
 * on first use: about 0.3 s then, once per process). `renderDiagram` turns a layout into SVG: states and
 * transitions coloured by their count (pale to deep green), never-reached ones grey and dashed (red is for
 * failures only), every transition labelled with its event and count. `stateDiagramSvg` is both;
 * diagram.ts's `stateDiagram` stays as the synchronous fallback, and `modelDiagrams` gives the report its
 * map of diagrams by model name.
 */
import { createRequire } from 'node:module';
import type { ELK, ELKConstructorArguments, ElkExtendedEdge, ElkLabel, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import type { ModelReport } from '../runner/coverage.ts';
import { esc, r1, reachColour } from './svg.ts';

/** Width of one glyph of the diagram's monospace font, in ems (the widest of the fonts the stack may pick). */
export const CHAR_EM = 0.62;
/** The font stack of every text in the diagram: monospace, so widths are known without a browser. */
export const DIAGRAM_FONT = "ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono','Liberation Mono',monospace";
/** Font sizes (px) of the diagram's texts: transition labels, state names and counts, superstate titles. */
export const FONT_PX = { edge: 11, name: 12, count: 11, title: 12 } as const;
const { edge: EDGE_PX, name: NAME_PX, count: COUNT_PX, title: TITLE_PX } = FONT_PX;
/** Padding around a label's text, each side (px). */
const LABEL_PAD_X = 4;
const LABEL_PAD_Y = 2;
/** A state box: at least this wide; its name and count lines. */
const STATE_W_MIN = 84;
const STATE_H = 42;
const STATE_PAD_X = 10;
/** Never-reached: neutral grey, dashed (the report's convention: red marks failures only). */
export const NEVER_FILL = '#f1f3f4';
export const NEVER_STROKE = '#80868b';
export const NEVER_INK = '#5f6368';
export const NEVER_EDGE = '#9aa0a6';
const NEVER_DASH = '5 4';
const REACHED_STROKE = '#1e5631';
const MARGIN = 12;

/** An axis-aligned box in the diagram's coordinates (px, origin top left). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A leaf state: its box, full key (dotted) and the name drawn (the last part of the key). */
export interface LaidState extends Box {
  key: string;
  name: string;
  count: number;
  initial: boolean;
}

/** A superstate (a dotted prefix of some states' keys): its box and its title's box inside it, at the top. */
export interface LaidGroup extends Box {
  key: string;
  name: string;
  title: Box;
}

/** A transition: its route (absolute points, first on the source's border, last on the target's) and label. */
export interface LaidEdge {
  key: string;
  from: string;
  event: string;
  to: string;
  count: number;
  points: { x: number; y: number }[];
  label: Box & { text: string };
}

/** Where everything of one model's diagram goes. */
export interface DiagramLayout {
  model: string;
  width: number;
  height: number;
  states: LaidState[];
  groups: LaidGroup[];
  edges: LaidEdge[];
}

/** Width (px) of `text` in the diagram's font at `px`. */
export function textWidth(text: string, px: number): number {
  return [...text].length * CHAR_EM * px;
}

/** The text of a transition's label: its event and how often it was taken. */
export function edgeLabelText(event: string, count: number): string {
  return `${event} ${count === 0 ? '(never)' : `×${count}`}`;
}

function countText(count: number): string {
  return count === 0 ? 'never' : `×${count}`;
}

/** The size of a label: its text's estimated extent and padding, times `scale` (1 but in tests). */
function labelSize(text: string, px: number, scale: number): { width: number; height: number } {
  return { width: Math.ceil(scale * (textWidth(text, px) + 2 * LABEL_PAD_X)), height: Math.ceil(scale * (px * 1.2 + 2 * LABEL_PAD_Y)) };
}

function stateWidth(name: string, count: number): number {
  return Math.ceil(Math.max(STATE_W_MIN, textWidth(name, NAME_PX) + 2 * STATE_PAD_X, textWidth(countText(count), COUNT_PX) + 2 * STATE_PAD_X));
}

/** The superstates of a key: 'a.b.c' -> ['a', 'a.b']. */
function prefixes(key: string): string[] {
  const parts = key.split('.');
  return parts.slice(0, -1).map((_, k) => parts.slice(0, k + 1).join('.'));
}

function parentOf(key: string): string {
  const k = key.lastIndexOf('.');
  return k < 0 ? '' : key.slice(0, k);
}

function lastPart(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

/** Options for every element (ELK applies them unless an element sets its own). */
const ELK_OPTIONS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  // The route runs through its label (drawn over it on a white ground): fewer, shorter detours.
  'elk.edgeLabels.inline': 'true',
  'elk.spacing.nodeNode': '24',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '8',
  'elk.spacing.edgeLabel': '3',
  'elk.spacing.labelLabel': '4',
  'elk.spacing.labelNode': '6',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '8',
  // One pass of crossing minimisation, no greedy-switch refinement: a third less time (recovery, 84 edges),
  // drawings as good to the eye.
  'elk.layered.thoroughness': '1',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.layered.crossingMinimization.greedySwitchHierarchical.type': 'OFF',
  // Every coordinate relative to the diagram (by default ELK gives them relative to the parent box).
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
};

let elkInstance: ELK | undefined;

/**
 * The ELK instance, loaded on first use: the bundled build (no worker, runs in this thread), by `require`,
 * which skips what an ESM import of this 1.6 MB CommonJS file costs (Node scans it for its exports and its
 * module format: 300 ms of a 700 ms first use, measured here).
 */
function elk(): ELK {
  if (elkInstance === undefined) {
    const Ctor = createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as new (args?: ELKConstructorArguments) => ELK;
    // Only the layered algorithm: registering the others costs start-up time for nothing.
    elkInstance = new Ctor({ algorithms: ['layered'] });
  }
  return elkInstance;
}

interface ParsedEdge {
  key: string;
  from: string;
  event: string;
  to: string;
  count: number;
}

/** The transitions drawn: not '*|EVENT|*' (a check in every state, listed beside the diagram), both ends known. */
function drawnEdges(m: ModelReport): ParsedEdge[] {
  const states = new Set(m.states.map((s) => s.key));
  return m.transitions
    .map((t) => {
      const [from = '', event = '', to = ''] = t.key.split('|');
      return { key: t.key, from, event, to, count: t.count };
    })
    .filter((e) => states.has(e.from) && states.has(e.to));
}

/** The ELK graph of a model: compound nodes for superstates, edges in their lowest common container. */
function elkGraph(m: ModelReport, edges: readonly ParsedEdge[], labelScale: number): ElkNode {
  const root: ElkNode = { id: 'root', children: [], edges: [], layoutOptions: { 'elk.padding': `[top=${MARGIN},left=${MARGIN},bottom=${MARGIN},right=${MARGIN}]` } };
  const containers = new Map<string, ElkNode>([['', root]]);
  const container = (key: string): ElkNode => {
    let n = containers.get(key);
    if (n !== undefined) return n;
    const parent = container(parentOf(key));
    const title = lastPart(key);
    const size = labelSize(title, TITLE_PX, labelScale);
    n = {
      id: `g:${key}`,
      children: [],
      edges: [],
      labels: [{ id: `t:${key}`, text: title, ...size }],
      layoutOptions: {
        'elk.padding': '[top=8,left=12,bottom=12,right=12]',
        'elk.nodeLabels.placement': '[H_LEFT, V_TOP, INSIDE]',
        'elk.nodeSize.constraints': '[NODE_LABELS]',
      },
    };
    parent.children!.push(n);
    containers.set(key, n);
    return n;
  };
  for (const s of m.states) {
    for (const p of prefixes(s.key)) container(p);
    const node: ElkNode = { id: `s:${s.key}`, width: stateWidth(lastPart(s.key), s.count), height: STATE_H };
    // The initial state (a top-level one) in the first layer: the diagram reads from where the model starts.
    if (s.key === m.initial && !s.key.includes('.')) node.layoutOptions = { 'elk.layered.layering.layerConstraint': 'FIRST' };
    container(parentOf(s.key)).children!.push(node);
  }
  edges.forEach((e, k) => {
    const text = edgeLabelText(e.event, e.count);
    const label: ElkLabel = { id: `l${k}`, text, ...labelSize(text, EDGE_PX, labelScale) };
    const edge: ElkExtendedEdge = { id: `e${k}`, sources: [`s:${e.from}`], targets: [`s:${e.to}`], labels: [label] };
    container(commonPrefix(e.from, e.to)).edges!.push(edge);
  });
  return root;
}

/** The deepest superstate holding both keys ('' for the top level). */
function commonPrefix(a: string, b: string): string {
  const pa = parentOf(a).split('.');
  const pb = parentOf(b).split('.');
  const out: string[] = [];
  for (let k = 0; k < Math.min(pa.length, pb.length) && pa[k] === pb[k] && pa[k] !== ''; k++) out.push(pa[k]!);
  return out.join('.');
}

/** Knobs of layoutDiagram, for tests and experiments. */
export interface LayoutSettings {
  /**
   * Factor on the estimated size of every label (default 1). Below 1 ELK is told labels are smaller than
   * they are drawn: the tests use it to show their overlap checks catch what that does.
   */
  labelScale?: number;
  /** ELK options over (or instead of) the defaults. */
  elk?: LayoutOptions;
}

/** Lays out a model's state diagram with ELK. */
export async function layoutDiagram(m: ModelReport, settings: LayoutSettings = {}): Promise<DiagramLayout> {
  const edges = drawnEdges(m);
  const graph = elkGraph(m, edges, settings.labelScale ?? 1);
  const done = await elk().layout(graph, { layoutOptions: { ...ELK_OPTIONS, ...settings.elk } });
  const states: LaidState[] = [];
  const groups: LaidGroup[] = [];
  const laidEdges: LaidEdge[] = [];
  const counts = new Map(m.states.map((s) => [s.key, s.count]));
  const visit = (n: ElkNode): void => {
    for (const c of n.children ?? []) {
      const box = { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 };
      if (c.id.startsWith('s:')) {
        const key = c.id.slice(2);
        states.push({ ...box, key, name: lastPart(key), count: counts.get(key) ?? 0, initial: key === m.initial });
      } else {
        const key = c.id.slice(2);
        const t = c.labels?.[0];
        const title = { x: t?.x ?? box.x, y: t?.y ?? box.y, width: t?.width ?? 0, height: t?.height ?? 0 };
        groups.push({ ...box, key, name: lastPart(key), title });
      }
      visit(c);
    }
    for (const e of n.edges ?? []) {
      const pe = edges[Number(e.id.slice(1))]!;
      const l = e.labels?.[0];
      laidEdges.push({ ...pe, points: routeOf(e), label: { x: l?.x ?? 0, y: l?.y ?? 0, width: l?.width ?? 0, height: l?.height ?? 0, text: l?.text ?? '' } });
    }
  };
  visit(done);
  const order = new Map(edges.map((e, k) => [e.key, k]));
  laidEdges.sort((a, b) => order.get(a.key)! - order.get(b.key)!);
  return { model: m.name, width: Math.ceil(done.width ?? 0), height: Math.ceil(done.height ?? 0), states, groups, edges: laidEdges };
}

/** The points of an edge's route: its sections chained (one, unless ELK split it at a hierarchy boundary). */
function routeOf(e: ElkExtendedEdge): { x: number; y: number }[] {
  const sections = e.sections ?? [];
  const byId = new Map(sections.map((s) => [s.id, s]));
  let sec = sections.find((s) => (s.incomingSections ?? []).length === 0) ?? sections[0];
  const points: { x: number; y: number }[] = [];
  const seen = new Set<string>();
  while (sec !== undefined && !seen.has(sec.id)) {
    seen.add(sec.id);
    for (const p of [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint]) {
      const last = points[points.length - 1];
      if (last === undefined || last.x !== p.x || last.y !== p.y) points.push({ x: p.x, y: p.y });
    }
    sec = byId.get(sec.outgoingSections?.[0] ?? '');
  }
  return points;
}

/** White text on dark fills, black on light ones. */
function textInk(fill: string): string {
  const m = /hsl\(\d+, \d+%, (\d+)%\)/.exec(fill);
  if (m === null) return '#111';
  return Number(m[1]) < 55 ? '#fff' : '#111';
}

function pathOf(points: readonly { x: number; y: number }[]): string {
  return points.map((p, k) => `${k === 0 ? 'M' : 'L'}${r1(p.x)},${r1(p.y)}`).join(' ');
}

/** Baseline of a line of text of `px` centred vertically in a box at `top` of `height`. */
function baseline(top: number, height: number, px: number): number {
  return top + height / 2 + 0.35 * px;
}

/**
 * The SVG of a laid-out diagram: `svg.diagram[data-layout=elk]`, superstates `g.superstate`, states `g.state` (`.never`,
 * `.initial`), transitions `g.transition` (`.never`) with their route, then above everything the labels of
 * the transitions, `g.tlabel` (`.never`), each with its transition's `data-transition` key. Labels come
 * last so that no route (a neighbour's self-loop, say) is drawn across one.
 */
export function renderDiagram(m: ModelReport, layout: DiagramLayout): string {
  const maxState = Math.max(1, ...m.states.map((s) => s.count));
  const maxEdge = Math.max(1, ...layout.edges.map((e) => e.count));
  const arrow = `arrow-elk-${m.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  // Above the page's `svg text` rule (html.ts), so the font is the monospace one the sizes were estimated for.
  const me = 'svg.diagram[data-layout=elk]';
  const style =
    `${me} text{font-family:${DIAGRAM_FONT};font-style:normal;letter-spacing:0;word-spacing:0}` +
    `${me} text.elabel{font-size:${EDGE_PX}px;font-weight:400}${me} text.sname{font-size:${NAME_PX}px;font-weight:700}` +
    `${me} text.scount{font-size:${COUNT_PX}px;font-weight:400}${me} text.gname{font-size:${TITLE_PX}px;font-weight:700}` +
    `${me} g.transition:hover path{stroke-width:3.5}`;
  const parts: string[] = [
    `<svg class="diagram" data-model="${esc(m.name)}" data-layout="elk" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}">`,
    `<style>${style}</style>`,
    `<defs><marker id="${arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>`,
  ];
  // Outer superstates first, so inner ones are drawn over them.
  const groups = [...layout.groups].sort((a, b) => a.key.split('.').length - b.key.split('.').length);
  for (const g of groups) {
    parts.push(
      `<g class="superstate" data-superstate="${esc(g.key)}"><title>${esc(g.key)}</title>` +
        `<rect x="${r1(g.x)}" y="${r1(g.y)}" width="${r1(g.width)}" height="${r1(g.height)}" rx="12" fill="#f8f9fa" stroke="#9aa0a6" stroke-width="1.2"/>` +
        `<text class="gname" x="${r1(g.title.x + LABEL_PAD_X)}" y="${r1(baseline(g.title.y, g.title.height, TITLE_PX))}" fill="#3c4043">${esc(g.name)}</text></g>`,
    );
  }
  for (const e of layout.edges) {
    const never = e.count === 0;
    parts.push(
      `<g class="transition${never ? ' never' : ''}" data-transition="${esc(e.key)}" data-count="${e.count}">` +
        `<title>${esc(e.from)} --${esc(e.event)}--> ${esc(e.to)}: ${never ? 'never taken' : `taken ${e.count} times`}</title>` +
        `<path d="${pathOf(e.points)}" fill="none" stroke="${never ? NEVER_EDGE : reachColour(e.count, maxEdge)}" stroke-width="${never ? 1.4 : 2}"${never ? ` stroke-dasharray="${NEVER_DASH}"` : ''} marker-end="url(#${arrow})"/></g>`,
    );
  }
  for (const s of layout.states) {
    const never = s.count === 0;
    const fill = never ? NEVER_FILL : reachColour(s.count, maxState);
    const ink = never ? NEVER_INK : textInk(fill);
    const cx = s.x + s.width / 2;
    parts.push(
      `<g class="state${never ? ' never' : ''}${s.initial ? ' initial' : ''}" data-state="${esc(s.key)}" data-count="${s.count}">` +
        `<title>${esc(s.key)}: ${never ? 'never entered' : `entered ${s.count} times`}${s.initial ? ' (the initial state)' : ''}</title>` +
        `<rect x="${r1(s.x)}" y="${r1(s.y)}" width="${r1(s.width)}" height="${r1(s.height)}" rx="9" fill="${fill}" stroke="${never ? NEVER_STROKE : REACHED_STROKE}" stroke-width="${s.initial ? 3 : 1.5}"${never ? ` stroke-dasharray="${NEVER_DASH}"` : ''}/>` +
        `<text class="sname" x="${r1(cx)}" y="${r1(baseline(s.y + 2, s.height / 2 - 1, NAME_PX))}" text-anchor="middle" fill="${ink}">${esc(s.name)}</text>` +
        `<text class="scount" x="${r1(cx)}" y="${r1(baseline(s.y + s.height / 2, s.height / 2 - 2, COUNT_PX))}" text-anchor="middle" fill="${ink}">${esc(countText(s.count))}</text></g>`,
    );
  }
  for (const e of layout.edges) {
    const never = e.count === 0;
    const l = e.label;
    parts.push(
      `<g class="tlabel${never ? ' never' : ''}" data-transition="${esc(e.key)}">` +
        `<rect x="${r1(l.x)}" y="${r1(l.y)}" width="${r1(l.width)}" height="${r1(l.height)}" rx="3" fill="#fff" fill-opacity="0.9"/>` +
        `<text class="elabel" x="${r1(l.x + l.width / 2)}" y="${r1(baseline(l.y, l.height, EDGE_PX))}" text-anchor="middle" fill="${never ? NEVER_INK : '#202124'}">${esc(l.text)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A model's state diagram: laid out by ELK, drawn as SVG. */
export async function stateDiagramSvg(m: ModelReport): Promise<string> {
  return renderDiagram(m, await layoutDiagram(m));
}

/**
 * The ELK diagram of each model, by model name, for the HTML report (html.ts draws the others with
 * diagram.ts's `stateDiagram`). A model whose layout fails (an ELK error) is left out, so it gets that
 * fallback instead of failing the report.
 */
export async function modelDiagrams(models: readonly ModelReport[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const m of models) {
    try {
      out.set(m.name, await stateDiagramSvg(m));
    } catch {
      // The fallback drawing is the caller's: see above.
    }
  }
  return out;
}
