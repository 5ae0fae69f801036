/**
 * Draws a failing run's timeline as SVG: one horizontal lane per node (the first lane holds the fault
 * injector), steps in trace order from left to right (ticks show virtual time), messages as arrows
 * between lanes, faults as orange diamonds with a dashed line across all lanes, and the failing step as a
 * red ring with a red line. A grey dotted break with '…' separates the fault records kept from before the
 * window from the window.
 */
import { esc, r1 } from './svg.ts';
import type { Timeline } from './timeline.ts';

const LANE_H = 44;
/** Horizontal space per step: wide for short windows, at least 9 px. */
function stepWidth(n: number): number {
  return Math.max(9, Math.min(30, Math.floor(1100 / Math.max(1, n))));
}
const LEFT = 110;
const TOP = 30;

function stepColour(kind: string): string {
  const area = kind.split('.')[0];
  switch (area) {
    case 'net': return '#1a73e8';
    case 'disk': return '#8e24aa';
    case 'kv': return '#6a1b9a';
    case 'bus': return '#00897b';
    case 'lock': return '#5d4037';
    case 'node': return '#455a64';
    case 'fault': return '#f29900';
    case 'probe': return '#c2185b';
    case 'sim': return '#000000';
    default: return '#546e7a';
  }
}

/** The SVG of a timeline. */
export function timelineSvg(tl: Timeline): string {
  const STEP_W = stepWidth(tl.steps.length);
  const width = LEFT + Math.max(1, tl.steps.length) * STEP_W + 40;
  const height = TOP + tl.lanes.length * LANE_H + 20;
  const x = (k: number): number => LEFT + k * STEP_W + STEP_W / 2;
  const y = (lane: number): number => TOP + lane * LANE_H + LANE_H / 2;
  const out: string[] = [];
  out.push(`<svg class="timeline" data-scenario="${esc(tl.scenario)}" data-seed="${tl.seed}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  const arrow = `msg-${tl.scenario}-${tl.seed}`;
  out.push(`<defs><marker id="${esc(arrow)}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1a73e8"/></marker></defs>`);
  tl.lanes.forEach((name, l) => {
    out.push(`<g class="lane" data-lane="${esc(name)}"><line x1="${LEFT}" y1="${y(l)}" x2="${width - 20}" y2="${y(l)}" stroke="#ccc"/><text x="8" y="${y(l) + 4}" class="lname">${esc(name)}</text></g>`);
  });
  const tickEvery = Math.max(1, Math.ceil(70 / STEP_W));
  tl.steps.forEach((s, k) => {
    if (k % tickEvery === 0) out.push(`<text x="${r1(x(k))}" y="14" class="tick">${esc((s.t / 1000).toFixed(1))}ms</text><line x1="${r1(x(k))}" y1="18" x2="${r1(x(k))}" y2="24" stroke="#999"/>`);
  });
  if (tl.windowStart > 0) {
    const gx = r1(x(tl.windowStart) - STEP_W / 2);
    out.push(`<g class="gap"><title>records left out here (only fault records are kept before the window)</title><line x1="${gx}" y1="${TOP}" x2="${gx}" y2="${height - 20}" stroke="#9aa0a6" stroke-width="2" stroke-dasharray="1 3"/><text x="${gx}" y="${height - 6}" text-anchor="middle" class="tick">…</text></g>`);
  }
  for (const m of tl.messages) {
    const a = tl.steps[m.from]!;
    const b = tl.steps[m.to]!;
    out.push(`<line class="message" x1="${r1(x(m.from))}" y1="${y(a.lane)}" x2="${r1(x(m.to))}" y2="${y(b.lane)}" stroke="#1a73e8" stroke-opacity="0.55" stroke-width="1.2" marker-end="url(#${esc(arrow)})"/>`);
  }
  tl.steps.forEach((s, k) => {
    if (s.fault) out.push(`<line x1="${r1(x(k))}" y1="${TOP}" x2="${r1(x(k))}" y2="${height - 20}" stroke="#f29900" stroke-dasharray="3 3" stroke-opacity="0.6"/>`);
  });
  tl.steps.forEach((s, k) => out.push(stepSvg(s, k, x(k), y(s.lane))));
  if (tl.failing >= 0) {
    const s = tl.steps[tl.failing]!;
    out.push(`<g class="failing-step"><line x1="${r1(x(tl.failing))}" y1="${TOP}" x2="${r1(x(tl.failing))}" y2="${height - 20}" stroke="#d93025" stroke-width="2"/><circle cx="${r1(x(tl.failing))}" cy="${y(s.lane)}" r="8" fill="none" stroke="#d93025" stroke-width="3"/></g>`);
  }
  if (tl.failingNodeStep >= 0 && tl.failingNodeStep !== tl.failing) {
    const s = tl.steps[tl.failingNodeStep]!;
    out.push(`<g class="failing-node-step"><title>last step of the failing node</title><circle cx="${r1(x(tl.failingNodeStep))}" cy="${y(s.lane)}" r="8" fill="none" stroke="#d93025" stroke-width="2" stroke-dasharray="3 2"/></g>`);
  }
  out.push('</svg>');
  return out.join('');
}

function stepSvg(s: Timeline['steps'][number], k: number, cx: number, cy: number): string {
  const title = `<title>#${s.i} ${(s.t / 1000).toFixed(3)} ms ${esc(s.kind)} ${esc(s.text)}</title>`;
  if (s.fault) {
    return `<g class="step fault" data-i="${s.i}">${title}<path d="M${r1(cx)},${cy - 7} l6,7 l-6,7 l-6,-7 z" fill="#f29900"/></g>`;
  }
  return `<g class="step" data-i="${s.i}" data-k="${k}">${title}<circle cx="${r1(cx)}" cy="${cy}" r="3.5" fill="${stepColour(s.kind)}"/></g>`;
}
