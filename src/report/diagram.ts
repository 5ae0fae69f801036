/**
 * State diagrams for the report: a model's full graph (from @xstate/graph) drawn as SVG, states and
 * transitions coloured by how often the sweep reached them (never: grey and dashed; red is for failures).
 *
 * The report draws them with ELK (diagram-layout.ts: `stateDiagramSvg`, async). This module's
 * `stateDiagram` is the synchronous fallback, with a hand-written layout: states are placed in columns by
 * their breadth-first distance from the initial state, stacked within a column; transitions are quadratic
 * curves (self-loops are small arcs above the state, all of a state's on one arc), labelled with the
 * event and the count, the labels of dense models on hover only; nested states are not grouped.
 */
import type { ModelReport, Reach } from '../runner/coverage.ts';
import { NEVER_EDGE, NEVER_FILL, NEVER_INK, NEVER_STROKE } from './diagram-layout.ts';
import { esc, r1, reachColour } from './svg.ts';

export { stateDiagramSvg } from './diagram-layout.ts';

let BOX_W = 150;
/** Above this many transitions, edge labels show only on hover (the title always has them). */
export const LABELLED_EDGES_MAX = 24;
const BOX_H = 44;
const COL_GAP = 110;
const ROW_GAP = 46;
const PAD = 40;

interface Edge {
  from: string;
  event: string;
  to: string;
  count: number;
}

function parseEdges(ts: readonly Reach[]): Edge[] {
  return ts.map((t) => {
    const [from = '', event = '', to = ''] = t.key.split('|');
    return { from, event, to, count: t.count };
  });
}

/** Column of each state: BFS distance from the initial state; unreachable states go in a last column. */
function columns(states: readonly string[], initial: string, edges: readonly Edge[]): Map<string, number> {
  const col = new Map<string, number>();
  const start = states.includes(initial) ? initial : states[0];
  if (start === undefined) return col;
  col.set(start, 0);
  const queue = [start];
  while (queue.length > 0) {
    const s = queue.shift()!;
    for (const e of edges) {
      if (e.from === s && !col.has(e.to) && states.includes(e.to)) {
        col.set(e.to, col.get(s)! + 1);
        queue.push(e.to);
      }
    }
  }
  const last = Math.max(0, ...col.values()) + 1;
  for (const s of states) if (!col.has(s)) col.set(s, last);
  return col;
}

/**
 * Positions: columns from `col`; within a column, states are ordered by the mean row of their neighbours
 * in earlier columns (a barycentre pass, which removes most crossings of these small graphs).
 */
function place(states: readonly string[], col: Map<string, number>, edges: readonly Edge[]): Map<string, { x: number; y: number }> {
  const row = new Map<string, number>();
  const last = Math.max(0, ...col.values());
  for (let c = 0; c <= last; c++) {
    const here = states.filter((s) => col.get(s) === c);
    const weight = (s: string): number => {
      const ns = edges.filter((e) => (e.to === s && row.has(e.from)) || (e.from === s && row.has(e.to))).map((e) => row.get(e.to === s ? e.from : e.to)!);
      return ns.length === 0 ? Infinity : ns.reduce((a, b) => a + b, 0) / ns.length;
    };
    const order = here.map((s, k) => ({ s, w: weight(s), k })).sort((a, b) => a.w - b.w || a.k - b.k);
    order.forEach((o, r) => row.set(o.s, r));
  }
  const pos = new Map<string, { x: number; y: number }>();
  for (const s of states) pos.set(s, { x: PAD + col.get(s)! * (BOX_W + COL_GAP), y: PAD + 20 + row.get(s)! * (BOX_H + ROW_GAP) });
  return pos;
}

/** The SVG of one model's state diagram. */
export function stateDiagram(m: ModelReport): string {
  // '*|EVENT|*': a check the machine makes in every state; it has no place in the drawing (listed below it).
  const edges = parseEdges(m.transitions).filter((e) => e.from !== '*');
  const col = columns(m.states.map((s) => s.key), m.initial, edges);
  BOX_W = Math.max(120, Math.min(260, 20 + 7.4 * Math.max(0, ...m.states.map((s) => s.key.length))));
  const pos = place(m.states.map((s) => s.key), col, edges);
  const rows = new Map<number, number>();
  for (const c of col.values()) rows.set(c, (rows.get(c) ?? 0) + 1);
  const width = PAD * 2 + (Math.max(0, ...col.values()) + 1) * (BOX_W + COL_GAP) - COL_GAP;
  const height = PAD * 2 + 20 + Math.max(1, ...rows.values()) * (BOX_H + ROW_GAP);
  const maxState = Math.max(1, ...m.states.map((s) => s.count));
  const maxEdge = Math.max(1, ...edges.map((e) => e.count));
  const parts: string[] = [];
  const dense = edges.length > LABELLED_EDGES_MAX ? ' dense' : '';
  parts.push(`<svg class="diagram${dense}" data-model="${esc(m.name)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  parts.push(`<defs><marker id="arrow-${esc(m.name)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>`);
  edges.forEach((e, k) => parts.push(edgeSvg(e, k, pos, maxEdge, m.name)));
  for (const s of m.states) {
    const p = pos.get(s.key)!;
    const fill = s.count === 0 ? NEVER_FILL : reachColour(s.count, maxState);
    const initial = s.key === m.initial ? ' initial' : '';
    const ink = s.count === 0 ? NEVER_INK : textInk(fill);
    parts.push(
      `<g class="state${s.count === 0 ? ' never' : ''}${initial}" data-state="${esc(s.key)}" data-count="${s.count}">` +
        `<title>${esc(s.key)}: entered ${s.count} times</title>` +
        `<rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="10" fill="${fill}" stroke="${s.count === 0 ? NEVER_STROKE : '#1e5631'}" stroke-width="${initial ? 3 : 1.5}"${s.count === 0 ? ' stroke-dasharray="5 4"' : ''}/>` +
        `<text x="${p.x + BOX_W / 2}" y="${p.y + 18}" text-anchor="middle" class="sname" fill="${ink}">${esc(s.key)}</text>` +
        `<text x="${p.x + BOX_W / 2}" y="${p.y + 35}" text-anchor="middle" class="scount" fill="${ink}">${s.count === 0 ? 'never' : `×${s.count}`}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function edgeSvg(e: Edge, k: number, pos: Map<string, { x: number; y: number }>, max: number, model: string): string {
  const a = pos.get(e.from);
  const b = pos.get(e.to);
  if (a === undefined || b === undefined) return '';
  const colour = e.count === 0 ? NEVER_EDGE : reachColour(e.count, max);
  const dash = e.count === 0 ? ' stroke-dasharray="5 4"' : '';
  const label = `${e.event} ${e.count === 0 ? '(never)' : `×${e.count}`}`;
  let d: string;
  let lx: number;
  let ly: number;
  if (e.from === e.to) {
    const x = a.x + BOX_W / 2;
    d = `M${x - 20},${a.y} C${x - 40},${a.y - 45} ${x + 40},${a.y - 45} ${x + 20},${a.y}`;
    lx = x;
    ly = a.y - 38 - (k % 2) * 10;
  } else {
    const ax = a.x + BOX_W / 2;
    const ay = a.y + BOX_H / 2;
    const bx = b.x + BOX_W / 2;
    const by = b.y + BOX_H / 2;
    // Start and end on the box borders along the line between centres.
    const [sx, sy] = borderPoint(ax, ay, bx, by);
    const [ex, ey] = borderPoint(bx, by, ax, ay);
    const bend = 30 + (k % 3) * 12;
    const len = Math.hypot(ex - sx, ey - sy) || 1;
    const cx = (sx + ex) / 2 + (-(ey - sy) / len) * bend;
    const cy = (sy + ey) / 2 + ((ex - sx) / len) * bend;
    d = `M${r1(sx)},${r1(sy)} Q${r1(cx)},${r1(cy)} ${r1(ex)},${r1(ey)}`;
    lx = (sx + 2 * cx + ex) / 4;
    ly = (sy + 2 * cy + ey) / 4;
  }
  return (
    `<g class="transition${e.count === 0 ? ' never' : ''}" data-transition="${esc(`${e.from}|${e.event}|${e.to}`)}" data-count="${e.count}">` +
    `<title>${esc(e.from)} --${esc(e.event)}--> ${esc(e.to)}: taken ${e.count} times</title>` +
    `<path d="${d}" fill="none" stroke="${colour}" stroke-width="${e.count === 0 ? 1.5 : 2.2}"${dash} marker-end="url(#arrow-${esc(model)})"/>` +
    `<text x="${r1(lx)}" y="${r1(ly)}" text-anchor="middle" class="elabel">${esc(label)}</text></g>`
  );
}

function borderPoint(cx: number, cy: number, tx: number, ty: number): [number, number] {
  const dx = tx - cx;
  const dy = ty - cy;
  const sx = dx === 0 ? Infinity : BOX_W / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : BOX_H / 2 / Math.abs(dy);
  const s = Math.min(sx, sy, 1);
  return [cx + dx * s, cy + dy * s];
}

/** White text on dark fills, black on light ones. */
function textInk(fill: string): string {
  const m = /hsl\(\d+, \d+%, (\d+)%\)/.exec(fill);
  if (m === null) return '#fff';
  return Number(m[1]) < 55 ? '#fff' : '#111';
}
