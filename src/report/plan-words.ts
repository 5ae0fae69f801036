/**
 * A fault plan in words, for failure reports: one short line per event, "kind target time duration"
 * (`pause B at 4000 ms for 1500 ms`, `crash A at the 3rd disk.fsync of A (powerLoss, restart after 200 ms)`),
 * at most a few lines and "and N more". It extends faults/plan.ts `formatPlan` (one `field=value` line per
 * event, made to be exact) with a reading order made to be skimmed; fields it does not place are listed
 * after it as `field=value`, as formatPlan does.
 *
 * `runPlanWords` finds the plan of a failed run: from its scenario when that is at hand (`planFor`, as the
 * run drew it), otherwise only the run's fault summary is known.
 */
import { FAULT_SCHEMA } from '../faults/schema.ts';
import { formatTrigger, type FaultEvent, type FaultPlan } from '../faults/plan.ts';
import { formatRef, isSelector } from '../faults/select.ts';
import type { RunRow } from '../runner/results.ts';
import { planFor } from '../scenario/run.ts';
import type { Scenario } from '../scenario/types.ts';

/** Events listed before "and N more". */
export const PLAN_WORDS_MAX = 3;

/** Fields placed in the sentence itself (target, time, duration); the others follow as `field=value`. */
const PLACED = new Set(['node', 'a', 'b', 'from', 'to', 'durationMs', 'restartAfterMs']);

const word = (v: unknown): string => (isSelector(v) ? formatRef(v) : String(v));
const list = (v: unknown): string => (Array.isArray(v) ? v.map(word).join(',') : word(v));

/**
 * Who the event hits: `B`, `A,B | C` (a partition; `->` one way), `A -> B`, `A <-> B`, `* -> B`; a selector
 * in one word (`{leader:election}`).
 */
function target(e: FaultEvent): string {
  switch (e.kind) {
    case 'partition':
      return `${list(e.a)} ${e.oneWay === true ? '->' : '|'} ${list(e.b)}`;
    case 'clog':
      return `${e.from} -> ${e.to}`;
    case 'linkFaults':
      return e.from === undefined && e.to === undefined ? 'every link' : `${e.from ?? '*'} -> ${e.to ?? '*'}`;
    case 'stall':
      return `${e.a} <-> ${e.b}`;
    case 'resetConnections':
      return e.b === undefined ? e.a : `${e.a} <-> ${e.b}`;
    default:
      return formatRef(e.node);
  }
}

/** One event in words: `pause B at 4000 ms for 1500 ms`, `crash A at the 3rd disk.fsync of A (powerLoss)`. */
export function eventWords(e: FaultEvent): string {
  const when = e.trigger !== undefined ? `at the ${formatTrigger(e.trigger)}` : `at ${e.atMs ?? '?'} ms`;
  const record = e as unknown as Record<string, unknown>;
  const extra: string[] = [];
  for (const f of FAULT_SCHEMA[e.kind]) {
    const v = record[f.name];
    if (v === undefined || PLACED.has(f.name) || (f.name === 'oneWay' && e.kind === 'partition')) continue;
    extra.push(v === true ? f.name : `${f.name}=${list(v)}`);
  }
  if (e.kind === 'crash' && e.restartAfterMs !== undefined) extra.push(`restart after ${e.restartAfterMs} ms`);
  const duration = 'durationMs' in e && e.durationMs !== undefined ? ` for ${e.durationMs} ms` : '';
  return `${e.kind} ${target(e)} ${when}${duration}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
}

/** The plan in words: up to `max` events, then "and N more"; '(no faults)' for an empty plan. */
export function planWords(plan: FaultPlan, max = PLAN_WORDS_MAX): string[] {
  if (plan.events.length === 0) return ['(no faults)'];
  const lines = plan.events.slice(0, max).map(eventWords);
  if (plan.events.length > max) lines.push(`and ${plan.events.length - max} more`);
  return lines;
}

/**
 * The number of fault events of a run, read from its fault summary ('no faults', 'plan: N fault events',
 * 'plan: N fault events (override)', 'swarm: ...; N events in Dms'); undefined when it does not say.
 */
export function faultEventCount(faultSummary: string): number | undefined {
  if (faultSummary === 'no faults') return 0;
  const m = /^plan: (\d+) fault events?\b/.exec(faultSummary) ?? /^swarm: .*?; (\d+) events in \d+ms/.exec(faultSummary);
  return m === null ? undefined : Number(m[1]);
}

/** True when the run used a plan given on the command line or by a corpus entry (not its scenario's). */
const isOverride = (faultSummary: string): boolean => /^plan: \d+ fault events? \(override\)/.test(faultSummary);

/**
 * A failed run's fault plan in words. The first line says what the run's fault summary says (a swarm's
 * mix, or how many events a fixed plan has); the next ones list the events when the run's scenario is
 * at hand (`planFor` draws the same plan as the run did). A plan that overrode the scenario's (a corpus
 * entry, a shrunk plan) cannot be drawn again from the scenario: the replay command names it.
 */
export function runPlanWords(r: RunRow, scenario: Scenario | undefined, max = PLAN_WORDS_MAX): string[] {
  const n = faultEventCount(r.faultSummary);
  const head = r.faultSummary.startsWith('swarm: ') ? r.faultSummary.split('\n') : [n === undefined ? r.faultSummary : n === 0 ? 'no faults' : `${n} fault event${n === 1 ? '' : 's'}${isOverride(r.faultSummary) ? ' (a plan given to the run, not its scenario\'s: see the replay command)' : ''}`];
  if (scenario === undefined || n === 0 || isOverride(r.faultSummary)) return head;
  let plan: FaultPlan;
  try {
    plan = planFor(scenario, r.seed, { variant: r.variant }).plan;
  } catch {
    return head;
  }
  return [...head, ...planWords(plan, max)];
}
