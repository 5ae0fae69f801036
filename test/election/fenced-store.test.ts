/** The fenced store over the device's kv store: fencing, exactly-once by request id, lookups. */
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/impl/env.ts';
import { FencedError, KvFencedStore } from '../../src/impl/election/fenced-store.ts';
import { Simulation } from '../../src/sim/simulation.ts';

/** Runs `body` as the program of one tab and returns what it resolved with. */
async function inTab<T>(body: (env: Env) => Promise<T>): Promise<{ result: T; sim: Simulation }> {
  const sim = new Simulation({ seed: 7, trace: { keepAll: true } });
  let result: T | undefined;
  let error: unknown;
  sim.addNode('A', { device: 'dev', program: (env) => body(env).then((r) => void (result = r), (e: unknown) => void (error = e)) });
  sim.start('A');
  await sim.run({ untilUs: 10_000_000 });
  if (error !== undefined) throw error;
  expect(sim.failure).toBeNull();
  return { result: result as T, sim };
}

describe('KvFencedStore', () => {
  it('rejects writes and fences below the highest epoch it has seen, as FencedError', async () => {
    const { result } = await inTab(async (env) => {
      const store = new KvFencedStore(env.kv, env.trace, { writer: 'A' });
      await store.fence(2);
      const stale = await store.apply({ key: 'k', value: 'v1', epoch: 1, reqId: null }).catch((e: unknown) => e);
      const staleFence = await store.fence(1).catch((e: unknown) => e);
      const ok = await store.apply({ key: 'k', value: 'v2', epoch: 3, reqId: null });
      const afterRaise = await store.apply({ key: 'k', value: 'v3', epoch: 2, reqId: null }).catch((e: unknown) => e);
      return { stale, staleFence, ok, afterRaise, value: await store.read('k') };
    });
    expect(result.stale).toBeInstanceOf(FencedError);
    expect((result.stale as FencedError).code).toBe('EFENCED');
    expect((result.stale as FencedError).fence).toBe(2);
    expect(result.staleFence).toBeInstanceOf(FencedError);
    expect(result.ok.dedup).toBe(false);
    // A write with a higher epoch raises the fence too.
    expect(result.afterRaise).toBeInstanceOf(FencedError);
    expect(result.value).toBe('v2');
  });

  it('applies a request id once: a retry returns the first log position', async () => {
    const { result, sim } = await inTab(async (env) => {
      const store = new KvFencedStore(env.kv, env.trace, { writer: 'A' });
      const first = await store.apply({ key: 'k', value: 'x', epoch: 1, reqId: 'r1' });
      const retry = await store.apply({ key: 'k', value: 'x', epoch: 1, reqId: 'r1' });
      const found = await store.lookup('r1');
      const missing = await store.lookup('r2');
      return { first, retry, found, missing };
    });
    expect(result.retry).toEqual({ seq: result.first.seq, dedup: true });
    expect(result.found?.seq).toBe(result.first.seq);
    expect(result.missing).toBeNull();
    // One commit; the retry and the lookup re-report the same record (same position and content).
    const writes = sim.trace.records()!.filter((r) => r.kind === 'fenced.write');
    expect(new Set(writes.map((r) => JSON.stringify(r.data))).size).toBe(1);
    expect(writes[0]!.data).toMatchObject({ pos: result.first.seq, value: 'x', epoch: 1, writer: 'A' });
  });

  it('without fencing (the weakened variant) accepts a stale epoch', async () => {
    const { result } = await inTab(async (env) => {
      const store = new KvFencedStore(env.kv, env.trace, { writer: 'A', noFencing: true });
      await store.fence(5);
      return store.apply({ key: 'k', value: 'late', epoch: 1, reqId: null });
    });
    expect(result.dedup).toBe(false);
  });
});
