/**
 * invariant:request-covered (hunt 5, 2026-12): a sync request's job, once durably completed, reaches the
 * provider's durable head at the request. End to end: variant provider-request-joins-running in
 * test/provider/variants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { recordSyncRequest, requestCoveredCheck } from '../../src/model/provider/request-covered.ts';
import { checkHarness } from '../check-harness.ts';

const file = (rev: number) => ({ provider: 'P1', id: `f${rev}`, rev, path: `/m/${rev}.mp3`, hash: 'h', deleted: false });
const job = (id: number, state: string, cursor: string | null) => ({ device: 'L', job: id, provider: 'P1', requested: 'incremental', type: 'incremental', state, from: null, cursor, items: 0, bytes: 0 });

async function run(completedAt: string | null, state = 'completed'): Promise<string[]> {
  const h = checkHarness(requestCoveredCheck(), { extra: { nowMs: () => 100 } });
  for (const rev of [1, 2, 3]) h.emit('sim', 'fact.provider.file', file(rev));
  await recordSyncRequest(h.ctx, 'L', 'P1', Promise.resolve(7));
  h.emit('sim', 'fact.provider.file', file(4));
  h.emit('sim', 'fact.library.job', job(7, 'running', null));
  h.emit('sim', 'fact.library.job', job(7, state, completedAt));
  h.final();
  return h.failures;
}

describe('invariant:request-covered', () => {
  it("passes a requested job completed at or past the head durable at the request", async () => {
    expect(await run('0:3')).toEqual([]);
    expect(await run('0:4')).toEqual([]);
  });

  it('fails one completed below it', async () => {
    expect(await run('0:2')).toEqual([expect.stringMatching(/^invariant:request-covered: a sync of P1 requested at 100\.0 ms, when the provider's durable head was 3, resolved with job 7 on L, which completed at cursor 0:2/)]);
  });

  it('makes no claim for a failed or cancelled job, nor a request that did not resolve', async () => {
    expect(await run('0:1', 'failed')).toEqual([]);
    expect(await run(null, 'cancelled')).toEqual([]);
    const h = checkHarness(requestCoveredCheck(), { extra: { nowMs: () => 100 } });
    h.emit('sim', 'fact.provider.file', file(1));
    await recordSyncRequest(h.ctx, 'L', 'P1', Promise.reject(new Error('down'))).catch(() => undefined);
    h.emit('sim', 'fact.library.job', job(1, 'completed', '0:0'));
    h.final();
    expect(h.failures).toEqual([]);
  });
});
