/**
 * Guided exploration: an anchor recorded while a model instance was in a state replays, as a triggered
 * fault, to exactly that state (the key property: a run is the same up to the trigger); every fault kind
 * the explorer aims builds a valid plan; and with the same number of runs, guided exploration reaches
 * (state, fault) cells plain seeds do not. The CLI keeps the runs that added coverage in a corpus that
 * `run --corpus` replays.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { anchorObserver, faultAt, type Anchor } from '../../src/explore/guided.ts';
import { FAULT_KINDS } from '../../src/faults/schema.ts';
import { validatePlan, type FaultKind } from '../../src/faults/plan.ts';
import { readCorpus } from '../../src/runner/corpus.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { planFor, runScenario } from '../../src/scenario/run.ts';
import { Rng } from '../../src/sim/rng.ts';
import { compareExplore } from '../../bench/explore.bench.ts';

const all = new Map((await loadScenarios()).map((l) => [l.scenario.name, l.scenario]));

describe('anchors', () => {
  it('a fault triggered at an anchor lands while the instance is in the anchor state', async () => {
    const s = all.get('storage-crash-mixed-presence')!;
    const anchors = new Map<string, Anchor[]>();
    const base = planFor(s, 0, {}).plan;
    expect(base.events.length).toBeGreaterThan(0);
    await runScenario(s, 0, { observe: anchorObserver(0, base, anchors, new Rng(1)) });
    const states = [...anchors.keys()];
    expect(states.length).toBeGreaterThan(3);
    let checked = 0;
    for (const state of states) {
      const a = anchors.get(state)![0]!;
      const event = faultAt('pause', a, ['S'], new Rng(2))!;
      const r = await runScenario(s, 0, { faults: { events: [...base.events, event] } });
      const [model, key] = state.split('|') as [string, string];
      const cells = r.coverage.find((c) => c.model === model)!.stateFaults;
      expect(cells[key]?.pause, `pause at ${a.area}.${a.op} #${a.nth} should hit ${state}; got ${JSON.stringify(cells)}`).toBeGreaterThan(0);
      checked++;
    }
    expect(checked).toBe(states.length);
  });

  it('builds a valid triggered event for every kind it can aim', () => {
    const a: Anchor = { node: 'A', area: 'kv', op: 'commit', nth: 3, seed: 0, plan: { events: [] } };
    const rng = new Rng(5);
    const aimed: FaultKind[] = [];
    for (const kind of FAULT_KINDS) {
      const e = faultAt(kind, a, ['A', 'B'], rng);
      if (e === null) continue;
      aimed.push(kind);
      expect(() => validatePlan({ events: [e] }, ['A', 'B']), kind).not.toThrow();
      expect(e.trigger).toEqual({ node: 'A', area: 'kv', op: 'commit', nth: 3 });
    }
    expect(aimed).toEqual(expect.arrayContaining(['crash', 'pause', 'clockJump', 'partition', 'isolate', 'diskError']));
  });
});

describe('guided versus plain', () => {
  it('storage-crash-mixed-presence: 30 guided runs reach more (state, fault) cells and transitions than 30 plain seeds', async () => {
    const { plain, guided } = await compareExplore('storage-crash-mixed-presence', 30);
    expect(guided.cells.size).toBeGreaterThan(plain.cells.size);
    expect(guided.transitions.size).toBeGreaterThan(plain.transitions.size);
  });
});

describe('syncbench explore', () => {
  let out = '';
  beforeEach(() => {
    out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it('keeps the runs that added coverage in a corpus that run --corpus replays', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'syncbench-explore-')), 'c.json');
    expect(await main(['explore', 'storage-crash-mixed-presence', '--budget', '12', '--corpus', file])).toBe(0);
    expect(out).toMatch(/explore storage-crash-mixed-presence: 12 runs \(\d+ guided, \d+ plain seeds from 0\): states \d+, transitions \d+, state x fault cells \d+; kept \d+, findings 0/);
    const kept = readCorpus(file).entries;
    expect(kept.length).toBeGreaterThan(1);
    expect(kept.some((e) => e.faults !== undefined)).toBe(true);
    out = '';
    expect(await main(['run', '--corpus', file, '--workers', '1', '--no-report'])).toBe(0);
    expect(out).toContain(`${kept.length} of ${kept.length} runs gave their expected verdict`);
    // A second exploration starts from the corpus: it replays the kept runs first.
    out = '';
    expect(await main(['explore', 'storage-crash-mixed-presence', '--budget', '4', '--seeds-from', '100', '--corpus', file])).toBe(0);
    expect(out).toContain(`after replaying ${kept.length} corpus runs`);
  });

  it('refuses targets no model watches', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    expect(await main(['explore', 'fixture-throwing', '--scenarios-dir', path.resolve(import.meta.dirname, '../runner/fixtures/throwing')])).toBe(64);
    expect(err.join('')).toMatch(/no model watches fixture-throwing/);
  });
});
