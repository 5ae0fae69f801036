/**
 * The providerLibrary seam (src/impl/provider/seam.ts): another library plugged into the stock provider
 * scenarios through withImplementations is judged by the same checks as the built-in one. The built-in
 * library plugged in explicitly gives the stock traces; four "third-party" libraries (test/provider/
 * flawed-libraries.ts: the built-in coordinator over a store or a network of their own, each with one
 * flaw) are caught;
 * a plug-in that is no library fails loudly.
 */
import { describe, expect, it } from 'vitest';
import { builtInProviderLibrary, type ProviderLibraryFactory } from '../../src/impl/provider/seam.ts';
import { stockScenarios, withImplementations } from '../../src/scenario/implementations.ts';
import { AREAS, headerNodes } from '../../src/scenario/areas.ts';
import { checkRecords } from '../../src/scenario/check-records.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { expectStockHashes, plugged } from '../scenario/seam-testing.ts';
import { latestCursorLibrary, readAheadLibrary, twoStepItemLibrary, volatileJobIdsLibrary } from './flawed-libraries.ts';

const stock = await stockScenarios('provider');

describe('the providerLibrary seam', () => {
  it('every stock provider scenario builds its library through it', () => {
    expect(stock.length).toBeGreaterThanOrEqual(10);
    for (const s of stock) expect(s.seams, s.name).toContain('providerLibrary');
  });

  it('the built-in library plugged in explicitly gives the stock trace hashes', async () => {
    await expectStockHashes(stock, ['provider-incremental', 'provider-crash-at-awaits'], { providerLibrary: builtInProviderLibrary });
  });

  it('an incremental sync resumed from a cancelled or failed job\'s cursor fails model:sync-job', async () => {
    for (const seed of [0, 1]) {
      const r = await runScenario(plugged(stock, 'provider-cancel', 'latest-cursor', { providerLibrary: latestCursorLibrary }), seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness model:sync-job');
      expect(r.failure?.message).toMatch(/in state 'pending' refused JOB .*"state":"running","from":"0:\d+".*startsFromCompleted: an incremental sync started (from 0:\d+, not from the cursor of the last completed job|with no completed job to take a cursor from)/);
    }
  });

  it('an item written in two transactions (track, then content) fails invariant:track-revisions', async () => {
    const r = await runScenario(plugged(stock, 'provider-incremental', 'two-step', { providerLibrary: twoStepItemLibrary }), 0);
    expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:track-revisions');
    expect(r.failure?.message).toMatch(/but its durable content is missing: a half-applied item/);
  });

  it('job ids reused after a restart (a failed job written pending again) fail invariant:job-records-forward', async () => {
    for (const seed of [0, 1]) {
      const r = await runScenario(plugged(stock, 'provider-crash-at-awaits', 'volatile-ids', { providerLibrary: volatileJobIdsLibrary }), seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:job-records-forward');
      expect(r.failure?.message).toMatch(/^on L: job \d+ ended failed and was written again as pending \(P\d, requested incremental\): an ended job is final, and a job id is never reused/);
    }
  });

  it('a listing read ahead into an array outside the queue fails invariant:queue-bound, which the queue\'s own records miss', async () => {
    for (const name of ['provider-incremental', 'provider-two-providers']) {
      const r = await runScenario(plugged(stock, name, 'read-ahead', { providerLibrary: readAheadLibrary }), 0);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:queue-bound');
      expect(r.failure?.message).toMatch(/^L holds \d+ entries of P\d's pages for job \d+ that no delivered Download and no durable track settled, above queueMax \d+ \+ maxConcurrent \d+ \+ the \d+ entries the page just delivered added/);
    }
    // Its queue is bounded and honestly traced: every other check, invariant:queue-records included, passes it.
    const s = plugged(stock, 'provider-incremental', 'read-ahead', { providerLibrary: readAheadLibrary });
    const r = await runScenario({ ...s, checks: s.checks!.filter((k) => k.name !== 'invariant:queue-bound') }, 0);
    expect(r.verdict).toBe('pass');
  });

  it('check-trace finds both offline: the provider area the reused ids, the stock scenario the read-ahead', async () => {
    const records = async (s: Scenario): Promise<{ live: string; trace: TraceRecord[] }> => {
      const lines: string[] = [];
      const r = await runScenario(s, 0, { traceSink: (l) => lines.push(l) });
      return { live: `${r.verdict} ${r.failure?.check}`, trace: lines.map((l) => JSON.parse(l) as TraceRecord) };
    };
    const ids = await records(plugged(stock, 'provider-crash-at-awaits', 'volatile-ids', { providerLibrary: volatileJobIdsLibrary }));
    const area = await checkRecords(ids.trace, AREAS.provider!.target(headerNodes(ids.trace[0]!.data)));
    expect(`${area.verdict} ${area.failure?.check}`).toBe(ids.live);
    // The area knows only the default bounds (queueMax 64): the stock scenario's checks know its 16.
    const ahead = await records(plugged(stock, 'provider-incremental', 'read-ahead', { providerLibrary: readAheadLibrary }));
    const s = stock.find((x) => x.name === 'provider-incremental')!;
    const offline = await checkRecords(ahead.trace, { name: s.name, models: s.models ?? [], checks: s.checks ?? [] });
    expect(`${offline.verdict} ${offline.failure?.check}`).toBe(ahead.live);
    expect(ahead.live).toBe('correctness invariant:queue-bound');
  });

  it('a plug-in that is not a library is refused naming the seam', async () => {
    const notAHandle = (async () => undefined) as unknown as ProviderLibraryFactory;
    const r = await runScenario(plugged(stock, 'provider-incremental', 'broken', { providerLibrary: notAHandle }), 0);
    expect(r.verdict).toBe('crash');
    expect(r.failure?.message).toMatch(/providerLibrary seam: the plugged-in factory resolved to undefined, not a LibraryHandle \(missing requestSync, cancel, tracks, jobs, view, viewBusy/);
    expect(() => withImplementations(stock, { label: 'x', providerLibrary: 'startLibrary' as never })).toThrow(/providerLibrary must be a ProviderLibraryFactory/);
    // A scenario written by hand (not through withImplementations) with something else in the seam.
    const handMade = { ...stock.find((s) => s.name === 'provider-incremental')!, implementations: { providerLibrary: { start: builtInProviderLibrary } as never } };
    const h = await runScenario(handMade, 0);
    expect(`${h.verdict} ${h.failure?.message}`).toMatch(/^crash .*providerLibrary seam: expected a ProviderLibraryFactory \(env, options\) => Promise<handle>, got object/);
  });
});
