/**
 * Helpers of the diagram layout tests: the ModelReport of every model the project's scenarios (and the
 * runner fixtures) use, with made-up counts, and the overlap checks both tests apply (one to the layout's
 * coordinates, one to the boxes Chromium measures).
 */
import { coverageReport, type ModelReport } from '../../src/runner/coverage.ts';
import { modelsOf } from '../../src/runner/facts.ts';
import { emptyResults } from '../../src/runner/results.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { FIXTURES_DIR } from '../runner/fixtures.ts';

/** An axis-aligned box. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A box with what it is (for messages) and who it belongs to. */
export interface Named extends Rect {
  what: string;
  /** Keys of the states or superstates the box may overlap (its own state, its superstate's ancestors). */
  owners?: readonly string[];
}

/** True when the boxes share some area (touching edges do not count). */
export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** True when `a` lies within `b` (give or take `eps`, for measured boxes). */
export function inside(a: Rect, b: Rect, eps = 0.01): boolean {
  return a.x >= b.x - eps && a.y >= b.y - eps && a.x + a.width <= b.x + b.width + eps && a.y + a.height <= b.y + b.height + eps;
}

/** Every pair of boxes that overlap, as 'a / b'. */
export function overlappingPairs(boxes: readonly Named[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) if (overlaps(boxes[i]!, boxes[j]!)) out.push(`${boxes[i]!.what} / ${boxes[j]!.what}`);
  return out;
}

/** Every label that overlaps a state (or superstate) box that is not one of its owners, as 'label / state'. */
export function foreignOverlaps(labels: readonly Named[], states: readonly (Rect & { key: string })[]): string[] {
  const out: string[] = [];
  for (const l of labels) for (const s of states) if (!(l.owners ?? []).includes(s.key) && overlaps(l, s)) out.push(`${l.what} / ${s.key}`);
  return out;
}

/** The superstates of a key, outermost first: 'a.b.c' -> ['a', 'a.b']. */
export function ancestors(key: string): string[] {
  const parts = key.split('.');
  return parts.slice(0, -1).map((_, k) => parts.slice(0, k + 1).join('.'));
}

/**
 * The model reports to lay out: every model of scenarios/ and of the runner fixtures, twice: never
 * reached at all (every label says "(never)"), and with counts of 1 to 7 digits on most states and
 * transitions and 0 on every fifth (the longest labels a real sweep writes, and both styles side by side).
 */
export async function projectModelReports(): Promise<{ variant: string; model: ModelReport }[]> {
  const scenarios = [...(await loadScenarios()), ...(await loadScenarios(FIXTURES_DIR))].map((l) => l.scenario);
  const file = emptyResults({ targets: [], from: 0, to: 0, variant: '', shards: ['1/1'] }, [], modelsOf(scenarios));
  const out: { variant: string; model: ModelReport }[] = [];
  for (const m of coverageReport(file).models) {
    out.push({ variant: 'never', model: m });
    let k = 0;
    const count = (): number => (k++ % 5 === 0 ? 0 : 10 ** (k % 7) + k);
    const counted: ModelReport = { ...m, states: m.states.map((s) => ({ key: s.key, count: count() })), transitions: m.transitions.map((t) => ({ key: t.key, count: count() })) };
    out.push({ variant: 'counted', model: counted });
  }
  return out;
}
