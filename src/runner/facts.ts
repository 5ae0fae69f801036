/** Static facts the results file records about scenarios and their models (graphs from @xstate/graph). */
import { initialTransition } from 'xstate';
import { modelGraph } from '../model/graph.ts';
import { stateKey } from '../model/monitor.ts';
import type { Scenario } from '../scenario/types.ts';
import type { ModelInfo, ScenarioFacts } from './results.ts';

/** A scenario that may list the probes it is expected to reach (`probes: ['recovery-rolled-back', ...]`). */
export type ScenarioWithProbes = Scenario & { probes?: readonly string[] };

/** The probes a scenario declares (empty when it declares none). */
export function declaredProbes(s: Scenario): string[] {
  const p = (s as ScenarioWithProbes).probes;
  return Array.isArray(p) ? [...p] : [];
}

/** Suites, model names and declared probes of a scenario. */
export function factsOf(s: Scenario): ScenarioFacts {
  return { name: s.name, suites: [...s.suites], models: (s.models ?? []).map((m) => m.name), probesDeclared: declaredProbes(s) };
}

/** Full graph and initial state of every model the scenarios use, by model name. */
export function modelsOf(scenarios: readonly Scenario[]): Record<string, ModelInfo> {
  const out: Record<string, ModelInfo> = {};
  for (const s of scenarios) {
    for (const m of s.models ?? []) {
      if (out[m.name] !== undefined) continue;
      const g = modelGraph(m.machine);
      const guards = Object.keys((m.machine as unknown as { implementations?: { guards?: object } }).implementations?.guards ?? {}).sort();
      out[m.name] = { initial: stateKey(initialTransition(m.machine)[0].value), states: g.states, transitions: g.transitions, guards };
    }
  }
  return out;
}
