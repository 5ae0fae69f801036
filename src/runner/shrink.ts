/**
 * Shrinking: given a failing (scenario, seed), find a smaller fault plan and a smaller workload that still
 * fail with the same failure kind and check. The seed stays the same; streams are derived by name, so
 * dropping a fault does not reshuffle the workload's or the network's randomness.
 *
 * Steps, each kept only when the run still fails the same way:
 * 1. workload: halve the workload scale while it fails, then bisect between the last pass and fail;
 * 2. events: remove chunks of the plan (halves, quarters, ... single events: ddmin-style);
 * 3. fields: halve durations, clock steps, drift and link rates; lower trigger counts; drop optional
 *    restarts and power loss; damage at rest becomes one flipped bit;
 * 4. workload again (fewer faults often need fewer operations).
 * Every candidate plan is validated before it runs. A run budget and a time budget bound the search.
 */
import { validatePlan, type FaultEvent, type FaultPlan } from '../faults/plan.ts';
import { planFor, runScenario } from '../scenario/run.ts';
import type { RunResult, Scenario } from '../scenario/types.ts';
import { RunAbandonedError, type RunFn } from './isolated.ts';

/** Options of shrink(). */
export interface ShrinkOptions {
  variant?: string;
  /** Most runs to try (default 400). */
  maxRuns?: number;
  /** Wall-clock budget, ms (default 120,000). */
  timeLimitMs?: number;
  /** Called with a line after each accepted step. */
  onStep?(line: string): void;
  /** How runs are made (default runScenario in this process; the CLI runs them on a watched thread). */
  run?: RunFn;
  /** Stops the search when aborted (the outcome is the best plan so far, budgetExhausted set). */
  signal?: AbortSignal;
}

/** A failure that shrinking must preserve. */
export interface FailureSignature {
  kind: string;
  check: string;
}

/** The outcome of shrinking. */
export interface ShrinkOutcome {
  signature: FailureSignature;
  originalPlan: FaultPlan;
  plan: FaultPlan;
  workloadScale: number;
  /** False when the scenario's workload ignores the scale (a run at half of it is the same run): not shrunk. */
  scaleHonoured: boolean;
  /** The last failing run with the minimal plan and scale. */
  result: RunResult;
  runs: number;
  /** True when the run or time budget ran out before the search finished. */
  budgetExhausted: boolean;
}

/** Shrinking cannot start: the seed passes, or the plan override changes the failure. */
export class ShrinkError extends Error {
  override name = 'ShrinkError';
}

/** Smallest workload scale tried. */
export const SCALE_MIN = 1 / 64;
const HALVABLE = ['durationMs', 'deltaMs', 'driftPpm', 'lossRate', 'dupRate', 'reorderRate', 'latencyMs', 'jitterMs', 'tailMs', 'tailProbability', 'probability', 'restartAfterMs'] as const;

class Search {
  runs = 0;
  exhausted = false;
  private readonly deadline: number;
  private readonly nodes: string[];

  constructor(
    private readonly scenario: Scenario,
    private readonly seed: number,
    private readonly o: ShrinkOptions,
    readonly sig: FailureSignature,
  ) {
    this.deadline = performance.now() + (o.timeLimitMs ?? 120_000);
    this.nodes = scenario.topology.nodes.map((n) => n.id);
  }

  /** Runs the candidate; returns the result when it fails the same way, else null. */
  async fails(plan: FaultPlan, scale: number): Promise<RunResult | null> {
    const r = await this.run(plan, scale);
    return r !== null && r.failure !== null && r.failure.kind === this.sig.kind && r.failure.check === this.sig.check ? r : null;
  }

  /** Runs the candidate (counted against the budget); null when the budget is spent or the plan is invalid. */
  async run(plan: FaultPlan, scale: number): Promise<RunResult | null> {
    if (this.runs >= (this.o.maxRuns ?? 400) || performance.now() > this.deadline || this.o.signal?.aborted === true) {
      this.exhausted = true;
      return null;
    }
    try {
      validatePlan(plan, this.nodes);
    } catch {
      return null;
    }
    this.runs++;
    try {
      return await (this.o.run ?? runScenario)(this.scenario, this.seed, { variant: this.o.variant, faults: plan, workloadScale: scale });
    } catch (e) {
      if (!(e instanceof RunAbandonedError)) throw e;
      this.exhausted = true;
      return null;
    }
  }
}

/** Shrinks a failing run. Throws ShrinkError when the seed does not fail. */
export async function shrink(scenario: Scenario, seed: number, o: ShrinkOptions = {}): Promise<ShrinkOutcome> {
  const first = await (o.run ?? runScenario)(scenario, seed, { variant: o.variant });
  if (first.failure === null) throw new ShrinkError(`${scenario.name} seed ${seed} passes${o.variant ? ` with variant ${o.variant}` : ''}: nothing to shrink`);
  const sig = { kind: first.failure.kind, check: first.failure.check };
  const search = new Search(scenario, seed, o, sig);
  const originalPlan = planFor(scenario, seed, { variant: o.variant }).plan;
  let best = await search.fails(originalPlan, 1);
  if (best === null) {
    throw new ShrinkError(`${scenario.name} seed ${seed}: the same fault plan given as an override does not fail the same way (${sig.kind} ${sig.check}); cannot shrink`);
  }
  let plan = originalPlan;
  let scale = 1;
  const step = (what: string): void => o.onStep?.(`${what}: ${plan.events.length} fault events, workload scale ${fmtScale(scale)} (${search.runs} runs)`);

  // A scenario whose workload ignores the scale runs the same at half of it (same trace hash): then the
  // scale is not a dimension to shrink, and the outcome says so instead of claiming a smaller workload.
  const half = await search.run(plan, 0.5);
  const scaleHonoured = half === null || half.traceHash !== best.traceHash;
  if (scaleHonoured) {
    const w1 = await shrinkScale(search, plan, scale);
    if (w1 !== null) [scale, best] = [w1.scale, w1.result];
    step('workload');
  }
  const ev = await removeEvents(search, plan, scale);
  if (ev !== null) [plan, best] = [ev.plan, ev.result];
  step('events');
  const fl = await simplifyFields(search, plan, scale);
  if (fl !== null) [plan, best] = [fl.plan, fl.result];
  step('fields');
  if (scaleHonoured) {
    const w2 = await shrinkScale(search, plan, scale);
    if (w2 !== null) [scale, best] = [w2.scale, w2.result];
    step('workload');
  }
  return { signature: sig, originalPlan, plan, workloadScale: scale, scaleHonoured, result: best, runs: search.runs, budgetExhausted: search.exhausted };
}

/** Formats a scale for the command line (at most 4 significant digits). */
export function fmtScale(s: number): string {
  return String(Number(s.toPrecision(4)));
}

async function shrinkScale(search: Search, plan: FaultPlan, scale: number): Promise<{ scale: number; result: RunResult } | null> {
  let found: { scale: number; result: RunResult } | null = null;
  let failing = scale;
  let passing = 0;
  while (failing / 2 >= SCALE_MIN) {
    const r = await search.fails(plan, failing / 2);
    if (r === null) {
      passing = failing / 2;
      break;
    }
    failing /= 2;
    found = { scale: failing, result: r };
  }
  for (let k = 0; k < 4 && passing > 0; k++) {
    const mid = Number(((failing + passing) / 2).toPrecision(4));
    if (mid <= passing || mid >= failing) break;
    const r = await search.fails(plan, mid);
    if (r === null) passing = mid;
    else [failing, found] = [mid, { scale: mid, result: r }];
  }
  return found;
}

async function removeEvents(search: Search, plan: FaultPlan, scale: number): Promise<{ plan: FaultPlan; result: RunResult } | null> {
  let events = plan.events;
  let found: { plan: FaultPlan; result: RunResult } | null = null;
  let chunk = Math.max(1, Math.ceil(events.length / 2));
  while (events.length > 0 && !search.exhausted) {
    let removed = false;
    for (let at = 0; at < events.length && !search.exhausted; ) {
      const candidate = { events: [...events.slice(0, at), ...events.slice(at + chunk)] };
      const r = await search.fails(candidate, scale);
      if (r !== null) {
        events = candidate.events;
        found = { plan: candidate, result: r };
        removed = true;
      } else at += chunk;
    }
    if (chunk === 1 && !removed) break;
    if (!removed) chunk = Math.max(1, Math.floor(chunk / 2));
  }
  return found;
}

/** Simpler versions of one event, most aggressive first. */
export function simplerEvents(e: FaultEvent): FaultEvent[] {
  const out: FaultEvent[] = [];
  const rec = e as unknown as Record<string, unknown>;
  for (const f of HALVABLE) {
    const v = rec[f];
    if (typeof v !== 'number' || v === 0) continue;
    const rate = f.endsWith('Rate') || f.endsWith('robability');
    const half = rate ? v / 2 : Math.trunc(v / 2);
    if (f === 'restartAfterMs' || rate) out.push({ ...e, [f]: 0 } as FaultEvent);
    if (half !== 0 && half !== v) out.push({ ...e, [f]: half } as FaultEvent);
  }
  if (rec.powerLoss === true) out.push({ ...e, powerLoss: false } as FaultEvent);
  if (e.kind === 'corrupt' && e.mode !== undefined && e.mode !== 'flip') out.push({ ...e, mode: 'flip' });
  if (e.trigger !== undefined && e.trigger.nth > 1) {
    out.push({ ...e, trigger: { ...e.trigger, nth: 1 } } as FaultEvent);
    out.push({ ...e, trigger: { ...e.trigger, nth: e.trigger.nth - 1 } } as FaultEvent);
  }
  return out;
}

async function simplifyFields(search: Search, plan: FaultPlan, scale: number): Promise<{ plan: FaultPlan; result: RunResult } | null> {
  let events = plan.events;
  let found: { plan: FaultPlan; result: RunResult } | null = null;
  for (let round = 0, progress = true; progress && round < 20 && !search.exhausted; round++) {
    progress = false;
    for (let i = 0; i < events.length && !search.exhausted; i++) {
      for (const simpler of simplerEvents(events[i]!)) {
        const candidate = { events: events.map((e, k) => (k === i ? simpler : e)) };
        const r = await search.fails(candidate, scale);
        if (r === null) continue;
        events = candidate.events;
        found = { plan: candidate, result: r };
        progress = true;
        break;
      }
    }
  }
  return found;
}
