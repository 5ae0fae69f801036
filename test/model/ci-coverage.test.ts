/**
 * Coverage that can be trusted (docs/models.md): the `ci` suite over its coverage seeds
 * (CI_COVERAGE_SEEDS) plus the coverage corpus (corpus/coverage.json) reaches every transition of every
 * model the suite attaches, except the transitions documented as unreached with a reason
 * (src/model/unreached.ts); a documented transition that is reached fails too, so the list stays honest.
 * The figures are in the test titles.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { ciScenarios, CI_COVERAGE_SEEDS, runEntry } from '../../src/explore/coverage-corpus.ts';
import { modelGraph } from '../../src/model/graph.ts';
import { mergeCoverage, type ModelCoverage } from '../../src/model/monitor.ts';
import { UNREACHED } from '../../src/model/unreached.ts';
import { readCorpus } from '../../src/runner/corpus.ts';
import { creditTransitions } from '../../src/runner/coverage.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { RunResult } from '../../src/scenario/types.ts';

const CORPUS = fileURLToPath(new URL('../../corpus/coverage.json', import.meta.url));

const ci = await ciScenarios();
const byName = new Map(ci.map((s) => [s.name, s]));
const runs: { what: string; r: RunResult }[] = [];
for (const s of ci) for (const seed of CI_COVERAGE_SEEDS) runs.push({ what: `${s.name} seed ${seed}`, r: await runScenario(s, seed) });
const corpus = readCorpus(CORPUS, new Set(byName.keys()));
for (const [k, e] of corpus.entries.entries()) runs.push({ what: `coverage corpus entry ${k} (${e.scenario} seed ${e.seed})`, r: await runEntry(byName.get(e.scenario)!, e) });

/** Every model the suite attaches: name -> machine. */
const machines = new Map<string, AnyStateMachine>();
for (const s of ci) for (const m of s.models ?? []) machines.set(m.name, m.machine);

/** Coverage summed over every run, per model. */
const sums = new Map<string, ModelCoverage>();
for (const { r } of runs) {
  for (const c of r.coverage) {
    const into = sums.get(c.model) ?? { model: c.model, states: {}, transitions: {}, stateFaults: {}, guards: {} };
    sums.set(c.model, mergeCoverage(into, c));
  }
}

/** What the runs reached of one model's graph. */
function reachOf(name: string, machine: AnyStateMachine) {
  const g = modelGraph(machine);
  const c = sums.get(name) ?? { model: name, states: {}, transitions: {}, stateFaults: {}, guards: {} };
  const known = new Set([...g.states, ...g.transitions]);
  const counts = creditTransitions(known, c.transitions);
  const reached = new Set(Object.keys(counts).filter((k) => counts[k]! > 0));
  const states = g.states.filter((s) => (c.states[s] ?? 0) > 0);
  const extra = [...Object.keys(c.states), ...reached].filter((k) => !known.has(k));
  const listed = UNREACHED[name] ?? {};
  return { g, reached, states, extra, listed };
}

it(`every run passes: the ci suite (${ci.length} scenarios) on seeds ${CI_COVERAGE_SEEDS.join(', ')} and the ${corpus.entries.length} runs of the coverage corpus`, () => {
  const failed = runs.filter(({ r }) => r.verdict !== 'pass').map(({ what, r }) => `${what}: ${r.verdict} ${r.failure?.check ?? ''} ${r.failure?.message ?? ''}`);
  expect(failed).toEqual([]);
});

it('documents unreached transitions only for models of the ci suite', () => {
  expect(Object.keys(UNREACHED).filter((m) => !machines.has(m))).toEqual([]);
});

for (const [name, machine] of machines) {
  const { g, reached, states, extra, listed } = reachOf(name, machine);
  const n = Object.keys(listed).length;
  const title = `${name}: states ${states.length}/${g.states.length}, transitions ${g.transitions.filter((t) => reached.has(t)).length}/${g.transitions.length} reached, ${n} documented unreached`;
  describe(title, () => {
    it('reaches every transition that is not documented as unreached', () => {
      const missing = g.transitions.filter((t) => !reached.has(t) && listed[t] === undefined);
      expect(missing, `never reached and not in src/model/unreached.ts (reach it with a scenario or a corpus run, or document why it cannot happen)`).toEqual([]);
    });

    it('documents only transitions of its graph that are never reached', () => {
      const unknown = Object.keys(listed).filter((t) => !g.transitions.includes(t));
      expect(unknown, 'listed in src/model/unreached.ts but not a transition of the model').toEqual([]);
      const taken = Object.keys(listed).filter((t) => reached.has(t));
      expect(taken, 'listed as unreached in src/model/unreached.ts but reached: remove the entry').toEqual([]);
      for (const [t, u] of Object.entries(listed)) expect(u.reason.length, `${t}: a reason`).toBeGreaterThan(40);
    });

    it('reaches only states and transitions of its graph', () => {
      expect(extra, 'reached by the monitor but missing from modelGraph (a monitor/graph mismatch)').toEqual([]);
    });
  });
}
