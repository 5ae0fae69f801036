/**
 * A store that answers EAPPLIED (and traces the discard) for commits carrying no request id of the
 * caller's loses those writes (test/storage/phantom-applied-store.ts): the storage oracle takes a batch as
 * discarded only from the workload's own answer, so the lost writes stay expected and are caught.
 */
import { describe, expect, it } from 'vitest';
import { stockScenarios } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { plugged } from '../scenario/seam-testing.ts';
import { phantomAppliedStorage } from './phantom-applied-store.ts';

const storage = await stockScenarios('storage');

describe('a store discarding writes with an EAPPLIED nobody asked for', () => {
  it('is caught by the storage oracle in storage-swarm-kv', async () => {
    const s = plugged(storage, 'storage-swarm-kv', 'phantom-applied', { storage: phantomAppliedStorage });
    for (const seed of [0, 2, 3]) {
      const r = await runScenario(s, seed);
      expect(`${seed} ${r.verdict}`).toBe(`${seed} correctness`);
      expect(r.failure?.check).toMatch(/^invariant:(acked-survives|read-returns-committed-data|atomic-batch|committed-data-durable)$/);
    }
  }, 30_000);
});
