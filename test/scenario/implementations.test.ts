/**
 * Scenario-level seams: withImplementations re-runs stock scenarios with a plugged-in implementation. The
 * built-in implementation plugged in gives the stock traces (same hashes); a flawed one is caught by the
 * stock checks; misuse (unknown seam, a seam the scenarios ignore, a bad label) is refused with a clear error.
 */
import { describe, expect, it } from 'vitest';
import { LeaseElection } from '../../src/impl/election/lease-election.ts';
import { resolveTabOptions } from '../../src/impl/election/options.ts';
import { HlcClock } from '../../src/impl/peer/hlc.ts';
import { stockScenarios, withImplementations } from '../../src/scenario/implementations.ts';
import { ScenarioError, validateScenario } from '../../src/scenario/registry.ts';
import { checkRecords } from '../../src/scenario/check-records.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { ElectionFactory } from '../../src/impl/election/types.ts';
import { StickyLeaseElection } from '../election/sticky-lease-election.ts';

const election = await stockScenarios('election');
const peer = await stockScenarios('peer');
const named = (list: Scenario[], name: string): Scenario => {
  const s = list.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
};

describe('withImplementations', () => {
  it('the built-in lease election plugged in gives the stock trace hashes', async () => {
    const stock = named(election, 'election-two-tabs-same-instant');
    const [plugged] = withImplementations([stock], { label: 'builtin', election: (deps) => new LeaseElection(deps, resolveTabOptions({ mode: 'lease' })) });
    expect(plugged!.name).toBe('builtin-election-two-tabs-same-instant');
    for (const seed of [0, 1]) {
      const a = await runScenario(stock, seed);
      // The header names the scenario: the same name makes the traces comparable record for record.
      const b = await runScenario({ ...plugged!, name: stock.name }, seed);
      expect(a.verdict).toBe('pass');
      expect(b.traceHash).toBe(a.traceHash);
    }
  });

  it('a flawed election plugged into the stock leader-freeze scenario is caught by its checks', async () => {
    const [plugged] = withImplementations([named(election, 'election-leader-paused')], { label: 'sticky', election: (deps) => new StickyLeaseElection(deps) });
    const lines: string[] = [];
    const r = await runScenario(plugged!, 1, { traceSink: (l) => lines.push(l) });
    expect(r.verdict).toBe('correctness');
    expect(r.failure?.check).toBe('invariant:lease-exclusive');
    // Its recorded trace (with the plug-in's own campaign mode, 'sticky-lease') gives check-trace the same verdict.
    expect(lines.some((l) => l.includes('"mode":"sticky-lease"'))).toBe(true);
    const o = await checkRecords(lines.map((l) => JSON.parse(l) as TraceRecord), { name: plugged!.name, models: plugged!.models ?? [], checks: plugged!.checks ?? [] });
    expect(`${o.verdict} ${o.failure?.check}`).toBe('correctness invariant:lease-exclusive');
  });

  it('the built-in HLC plugged into a stock peer scenario gives its trace hash', async () => {
    const stock = named(peer, 'peer-clock-skew');
    const [plugged] = withImplementations([stock], { label: 'hlc', hlc: (device, wallMs, maxDriftMs) => new HlcClock(device, wallMs, maxDriftMs) });
    const a = await runScenario(stock, 0);
    const b = await runScenario({ ...plugged!, name: stock.name }, 0);
    expect(a.verdict).toBe('pass');
    expect(b.traceHash).toBe(a.traceHash);
  });

  it('given every area, copies only the scenarios of the plugged seams, each with its own seams', async () => {
    const all = await stockScenarios();
    const f: ElectionFactory = (deps) => new StickyLeaseElection(deps);
    const copies = withImplementations(all, { label: 'mine', election: f });
    expect(copies.length).toBe(election.length);
    expect(copies.every((c) => c.name.startsWith('mine-election-') && Object.keys(c.implementations ?? {}).join() === 'election')).toBe(true);
    for (const c of copies) validateScenario(c, 'copies.ts');
    const hlc = withImplementations(all, { label: 'two', election: f, hlc: (device, wallMs, maxDriftMs) => new HlcClock(device, wallMs, maxDriftMs) });
    expect(hlc.length).toBe(election.length + peer.filter((s) => (s.seams ?? []).includes('hlc')).length);
    for (const c of hlc) validateScenario(c, 'copies.ts');
  });

  it('copies are valid scenarios and leave the stock ones untouched', () => {
    const copies = withImplementations(election, { label: 'mine', election: (deps) => new StickyLeaseElection(deps) });
    expect(copies).toHaveLength(election.length);
    for (const c of copies) validateScenario(c, 'copies.ts');
    expect(election.every((s) => s.implementations === undefined)).toBe(true);
  });

  it('refuses misuse with an error naming it', async () => {
    const f: ElectionFactory = (deps) => new StickyLeaseElection(deps);
    expect(() => withImplementations(election, { label: 'Mine', election: f })).toThrow(/label 'Mine' must be kebab-case/);
    expect(() => withImplementations(election, { label: 'x', electon: f } as never)).toThrow(/unknown seam 'electon' \(seams: election, hlc/);
    expect(() => withImplementations(election, { label: 'x', election: 42 } as never)).toThrow(/election must be an ElectionFactory/);
    expect(() => withImplementations(election, { label: 'x' })).toThrow(/no implementation given/);
    expect(() => withImplementations(peer, { label: 'x', election: f })).toThrow(/none of the \d+ scenarios builds its nodes through the 'election' seam \(their seams: hlc/);
    expect(() => withImplementations(peer, { label: 'x', peer: async () => ({}) as never, hlc: (d, w, m) => new HlcClock(d, w, m) })).toThrow(/'hlc' is the built-in peer node's clock/);
    await expect(stockScenarios('nope')).rejects.toThrow(ScenarioError);
    await expect(stockScenarios('../x')).rejects.toThrow(/no area '\.\.\/x'/);
    const bad = { ...named(peer, 'peer-clock-skew'), implementations: { election: f } };
    expect(() => validateScenario(bad as Scenario, 'bad.ts')).toThrow(/implementations\.election: this scenario builds no node through the 'election' seam/);
  });
});
