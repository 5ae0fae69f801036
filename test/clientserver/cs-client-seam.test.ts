/**
 * The csClient seam (src/impl/clientserver/seam.ts): another client plugged into the stock client-server
 * scenarios through withImplementations is judged by the same checks as the built-in one. The built-in
 * client plugged in explicitly gives the stock traces; two "third-party" clients (test/clientserver/
 * flawed-clients.ts: the built-in engine under an app layer with one flaw) are caught, one by the status
 * model the area was built around, one by a data check; a plug-in that is no client fails loudly.
 */
import { describe, expect, it } from 'vitest';
import { builtInCsClient, type CsClientFactory } from '../../src/impl/clientserver/seam.ts';
import { stockScenarios, withImplementations } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { expectStockHashes, plugged } from '../scenario/seam-testing.ts';
import { firstWinsDownloadClient, greenOnConnectClient } from './flawed-clients.ts';

const stock = await stockScenarios('clientserver');

describe('the csClient seam', () => {
  it('every stock client-server scenario builds its clients through it', () => {
    expect(stock.length).toBeGreaterThanOrEqual(12);
    for (const s of stock) expect(s.seams, s.name).toContain('csClient');
  });

  it('the built-in client plugged in explicitly gives the stock trace hashes', async () => {
    await expectStockHashes(stock, ['cs-pending-count', 'cs-rebuilt-server'], { csClient: builtInCsClient });
  });

  it('a footer that turns green when the connection opens, before the handshake, fails model:sync-status', async () => {
    const r = await runScenario(plugged(stock, 'cs-rebuilt-server', 'green-on-connect', { csClient: greenOnConnectClient }), 0);
    expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness model:sync-status');
    expect(r.failure?.message).toMatch(/refused SYNCE[DG].*handshaken: no Welcome was delivered/);
  });

  it('a download compaction that keeps the first change of a cell, not the winning one, fails invariant:no-loss-no-dup', async () => {
    for (const seed of [0, 1]) {
      const r = await runScenario(plugged(stock, 'cs-pending-count', 'first-wins', { csClient: firstWinsDownloadClient }), seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:no-loss-no-dup');
      expect(r.failure?.message).toMatch(/durable cursor is at #\d+, but the server change #\d+ is not in its durable database/);
    }
  });

  it('a plug-in that is not a client is refused naming the seam', async () => {
    const notAHandle = (async () => ({ status: () => null })) as unknown as CsClientFactory;
    const r = await runScenario(plugged(stock, 'cs-footer-red', 'broken', { csClient: notAHandle }), 0);
    expect(r.verdict).toBe('crash');
    expect(r.failure?.message).toMatch(/csClient seam: the plugged-in factory resolved to object, not a ClientHandle \(missing site, onStatus, onProgress, write, get, digest, nuke/);
    expect(() => withImplementations(stock, { label: 'x', csClient: { startClient: builtInCsClient } as never })).toThrow(/csClient must be a CsClientFactory/);
    // A scenario written by hand (not through withImplementations) with an object in the seam.
    const handMade = { ...stock.find((s) => s.name === 'cs-footer-red')!, implementations: { csClient: { startClient: builtInCsClient } as never } };
    const h = await runScenario(handMade, 0);
    expect(`${h.verdict} ${h.failure?.message}`).toMatch(/^crash .*csClient seam: expected a CsClientFactory \(env, options\) => Promise<handle>, got object/);
  });
});
