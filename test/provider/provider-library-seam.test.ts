/**
 * The providerLibrary seam (src/impl/provider/seam.ts): another library plugged into the stock provider
 * scenarios through withImplementations is judged by the same checks as the built-in one. The built-in
 * library plugged in explicitly gives the stock traces; three "third-party" libraries (test/provider/
 * flawed-libraries.ts: the built-in coordinator over a store of their own, each with one flaw) are caught;
 * a plug-in that is no library fails loudly.
 */
import { describe, expect, it } from 'vitest';
import { builtInProviderLibrary, type ProviderLibraryFactory } from '../../src/impl/provider/seam.ts';
import { stockScenarios, withImplementations } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { expectStockHashes, plugged } from '../scenario/seam-testing.ts';
import { latestCursorLibrary, twoStepItemLibrary, volatileJobIdsLibrary } from './flawed-libraries.ts';

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
      expect(r.failure?.message).toMatch(/in state 'pending' refused JOB .*"state":"running","from":"0:\d+".*startsFromCompleted: an incremental sync started from 0:\d+, not from the cursor of the last completed job/);
    }
  });

  it('an item written in two transactions (track, then content) fails invariant:track-revisions', async () => {
    const r = await runScenario(plugged(stock, 'provider-incremental', 'two-step', { providerLibrary: twoStepItemLibrary }), 0);
    expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:track-revisions');
    expect(r.failure?.message).toMatch(/but its durable content is missing: a half-applied item/);
  });

  it('job ids reused after a restart are caught, by invariant:queue-bound (the reused id inherits a lost queue)', async () => {
    // Nothing checks job-id uniqueness itself: the queue check counts pushes and takes per (node, job id),
    // and the items an interrupted job had queued, never taken, are counted again for the new job of that id.
    for (const seed of [0, 1]) {
      const r = await runScenario(plugged(stock, 'provider-crash-at-awaits', 'volatile-ids', { providerLibrary: volatileJobIdsLibrary }), seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:queue-bound');
    }
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
