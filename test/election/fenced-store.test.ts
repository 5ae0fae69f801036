/** The fenced store over the block store: fencing, exactly-once by request id, lookups, two tabs. */
import { describe, expect, it } from 'vitest';
import { EnvError, type Env } from '../../src/impl/env.ts';
import { tolerate } from '../../src/impl/election/errors.ts';
import { BlockFencedStore } from '../../src/impl/election/block-fenced-store.ts';
import { FencedError } from '../../src/impl/election/fenced-store.ts';
import { resolveTabOptions } from '../../src/impl/election/options.ts';
import { StoreError } from '../../src/impl/storage/index.ts';
import { Simulation } from '../../src/sim/simulation.ts';

/** Runs one program per tab (all on one device, started together) and returns what each resolved with. */
async function inTabs<T>(bodies: Record<string, (env: Env) => Promise<T>>): Promise<{ results: Record<string, T>; sim: Simulation }> {
  const sim = new Simulation({ seed: 7, trace: { keepAll: true } });
  const results: Record<string, T> = {};
  let error: unknown;
  for (const [id, body] of Object.entries(bodies)) {
    sim.addNode(id, { device: 'dev', program: (env) => body(env).then((r) => void (results[id] = r), (e: unknown) => void (error = e)) });
    sim.start(id);
  }
  await sim.run({ untilUs: 10_000_000 });
  if (error !== undefined) throw error;
  expect(sim.failure).toBeNull();
  return { results, sim };
}

async function inTab<T>(body: (env: Env) => Promise<T>): Promise<{ result: T; sim: Simulation }> {
  const { results, sim } = await inTabs({ A: body });
  return { result: results.A as T, sim };
}

const store = (env: Env, noFencing = false): BlockFencedStore => new BlockFencedStore(env, { writer: env.nodeId, noFencing });

describe('BlockFencedStore', () => {
  it('rejects writes and fences below the highest epoch it has seen, as FencedError', async () => {
    const { result } = await inTab(async (env) => {
      const s = store(env);
      await s.fence(2);
      const stale = await s.apply({ key: 'k', value: 'v1', epoch: 1, reqId: null }).catch((e: unknown) => e);
      const staleFence = await s.fence(1).catch((e: unknown) => e);
      const ok = await s.apply({ key: 'k', value: 'v2', epoch: 3, reqId: null });
      const afterRaise = await s.apply({ key: 'k', value: 'v3', epoch: 2, reqId: null }).catch((e: unknown) => e);
      return { stale, staleFence, ok, afterRaise, value: await s.read('k'), missing: await s.read('nope') };
    });
    expect(result.stale).toBeInstanceOf(FencedError);
    expect((result.stale as FencedError).code).toBe('EFENCED');
    expect((result.stale as FencedError).highestEpoch).toBe(2);
    expect(result.staleFence).toBeInstanceOf(FencedError);
    expect(result.ok.dedup).toBe(false);
    // A write with a higher epoch raises the fence too.
    expect(result.afterRaise).toBeInstanceOf(FencedError);
    expect(result.value).toBe('v2');
    expect(result.missing).toBeUndefined();
  });

  it('applies a request id once: a retry returns the first commit position', async () => {
    const { result, sim } = await inTab(async (env) => {
      const s = store(env);
      await s.fence(1);
      const first = await s.apply({ key: 'k', value: 'x', epoch: 1, reqId: 'r1' });
      const retry = await s.apply({ key: 'k', value: 'x', epoch: 1, reqId: 'r1' });
      const other = await s.apply({ key: 'j', value: 'y', epoch: 1, reqId: 'r2' });
      const found = await s.lookup('r1');
      const missing = await s.lookup('r3');
      return { first, retry, other, found, missing, k: await s.read('k'), j: await s.read('j') };
    });
    expect(result.retry).toEqual({ seq: result.first.seq, dedup: true });
    expect(result.other).toEqual({ seq: result.first.seq + 1, dedup: false });
    expect(result.found?.seq).toBe(result.first.seq);
    expect(result.missing).toBeNull();
    expect([result.k, result.j]).toEqual(['x', 'y']);
    // One commit for r1; the retry and the lookup re-report the same record (same position and content).
    const writes = sim.trace.records()!.filter((r) => r.kind === 'fenced.write' && r.data.reqId === 'r1');
    expect(writes).toHaveLength(3);
    expect(new Set(writes.map((r) => JSON.stringify(r.data))).size).toBe(1);
    expect(writes[0]!.data).toMatchObject({ pos: result.first.seq, value: 'x', epoch: 1, writer: 'A' });
  });

  it('a deposed tab is refused once the new leader fenced; the new leader sees its writes, not the stale one', async () => {
    const { results } = await inTabs<unknown>({
      A: async (env) => {
        const s = store(env);
        await s.fence(1);
        await s.apply({ key: 'k', value: 'a1', epoch: 1, reqId: 'a1' });
        await env.clock.sleep(1_000); // B takes over meanwhile
        return s.apply({ key: 'k', value: 'a2', epoch: 1, reqId: 'a2' }).catch((e: unknown) => e);
      },
      B: async (env) => {
        await env.clock.sleep(500);
        const s = store(env);
        await s.fence(2);
        await s.apply({ key: 'j', value: 'b1', epoch: 2, reqId: 'b1' });
        await env.clock.sleep(1_000);
        return { k: await s.read('k'), j: await s.read('j'), a2: await s.lookup('a2') };
      },
    });
    expect(results.A).toBeInstanceOf(FencedError);
    expect(results.B).toEqual({ k: 'a1', j: 'b1', a2: null });
  });

  it('without fencing (the weakened variant) a deposed tab overwrites the new leader', async () => {
    const { results } = await inTabs<unknown>({
      A: async (env) => {
        const s = store(env, true);
        await s.fence(1);
        await s.apply({ key: 'k', value: 'a1', epoch: 1, reqId: null });
        await env.clock.sleep(1_000);
        // The first attempt finds its view stale (ESTALE); the next one, on a reopened instance, lands.
        const first = await s.apply({ key: 'k', value: 'a2', epoch: 1, reqId: null }).catch((e: unknown) => e);
        return { first, second: await s.apply({ key: 'k', value: 'a3', epoch: 1, reqId: null }) };
      },
      B: async (env) => {
        await env.clock.sleep(500);
        const s = store(env, true);
        await s.fence(5);
        await s.apply({ key: 'k', value: 'b1', epoch: 5, reqId: null });
        await env.clock.sleep(1_000);
        return s.read('k');
      },
    });
    expect((results.A as { second: { dedup: boolean } }).second.dedup).toBe(false);
    expect(results.B).toBe('a3');
  });

  it('a record longer than a block is EINVAL; a key directory that outgrows its block is ELIMIT; neither is stored', async () => {
    const { result } = await inTab(async (env) => {
      const s = store(env);
      await s.fence(1);
      const long = await s.apply({ key: 'k', value: 'x'.repeat(2_000), epoch: 1, reqId: null }).catch((e: unknown) => e);
      // Distinct keys until the directory no longer fits its block (docs: about 80 keys).
      let full: unknown = null;
      let stored = 0;
      for (let n = 0; n < 500 && full === null; n++) {
        await s.apply({ key: `key-${n}`, value: 'v', epoch: 1, reqId: null }).then(
          () => void stored++,
          (e: unknown) => void (full = e),
        );
      }
      return { long, full, stored, longValue: await s.read('k'), lastValue: await s.read(`key-${stored}`), firstValue: await s.read('key-0') };
    });
    expect(result.long).toBeInstanceOf(StoreError);
    expect((result.long as StoreError).code).toBe('EINVAL');
    expect(result.longValue).toBeUndefined();
    expect(result.full).toBeInstanceOf(StoreError);
    expect((result.full as StoreError).code).toBe('ELIMIT');
    expect(result.stored).toBeGreaterThan(8); // the election workload's keys k0..k7 fit
    expect(result.lastValue).toBeUndefined();
    expect(result.firstValue).toBe('v');
  });

  it('needs the kv backend: the file backend is refused with an error naming the option', () => {
    expect(() => resolveTabOptions({ store: { backend: 'file' } })).toThrow(/store\.backend must be 'kv'/);
    expect(resolveTabOptions({ store: { backend: 'kv' } }).store.backend).toBe('kv');
  });
});

describe('tolerate: the errors the election retries past, and the bugs it must not swallow', () => {
  it('returns an environment failure and a store refusal a retry may get past', () => {
    const env = new EnvError('EIO', 'injected');
    expect(tolerate(env)).toBe(env);
    for (const code of ['ESTALE', 'ECORRUPT', 'EFENCED'] as const) {
      const e = new StoreError(code, 'refused');
      expect(tolerate(e)).toBe(e);
    }
  });

  it('rethrows a bad argument or limit (EINVAL, ELIMIT), which no retry can fix, and anything else', () => {
    for (const code of ['EINVAL', 'ELIMIT'] as const) {
      const e = new StoreError(code, 'a bug');
      expect(() => tolerate(e)).toThrow(e);
    }
    const bug = new TypeError('x is undefined');
    expect(() => tolerate(bug)).toThrow(bug);
    expect(() => tolerate('a string')).toThrow();
  });
});
