/**
 * The kv store: key order, value copies, atomicity, isolation and ordering of transactions, durability
 * (strict never loses an acknowledged commit, relaxed loses only a suffix), faults, capacity, settings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvError, type Env, type KvStore, type Value } from '../../../src/impl/env.ts';
import { compareKeys } from '../../../src/impl/seam/kv-table.ts';
import { KvSpecError } from '../../../src/sim/disk/kv-spec.ts';
import { SimKv } from '../../../src/sim/disk/kv.ts';
import { Simulation } from '../../../src/sim/simulation.ts';
import type { FaultAction } from '../../../src/sim/types.ts';
import { drive } from './helpers.ts';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof EnvError ? e.code : `${(e as Error).name}: ${(e as Error).message}`;
  }
}

const put = (kv: KvStore, key: string | number, value: Value, durability?: 'strict' | 'relaxed') =>
  kv.transaction(['s'], 'readwrite', (tx) => tx.put('s', key, value), durability ? { durability } : undefined);

const get = (kv: KvStore, key: string | number) => kv.transaction(['s'], 'readonly', (tx) => tx.get('s', key));

/** A simulation with one device 'D' and tabs with the given programs (not started). */
function tabs(programs: Record<string, (env: Env) => unknown>, seed = 1, kv = {}) {
  const sim = new Simulation({ seed, trace: { keepAll: true } });
  sim.addDevice('D', { kv });
  for (const [id, program] of Object.entries(programs)) sim.addNode(id, { device: 'D', program });
  return { sim, kv: sim.device('D').kv };
}

describe('keys and values', () => {
  it('orders numbers before strings, numbers by value, strings by code unit', async () => {
    const keys = ['b', 10, 'a', -1.5, 2, '', 'B', 'aa', 0, Infinity, -Infinity];
    const { result } = await drive({}, async (env) => {
      await env.kv.transaction(['s'], 'readwrite', async (tx) => {
        for (const k of keys) await tx.put('s', k, String(k));
      });
      return env.kv.transaction(['s'], 'readonly', async (tx) => ({
        all: await tx.keys('s'),
        range: await tx.keys('s', { lower: 0, upper: 'a' }),
        strings: await tx.keys('s', { lower: '' }),
      }));
    });
    expect(result!.all).toEqual([-Infinity, -1.5, 0, 2, 10, Infinity, '', 'B', 'a', 'aa', 'b']);
    expect(result!.range).toEqual([0, 2, 10, Infinity, '', 'B', 'a']);
    expect(result!.strings).toEqual(['', 'B', 'a', 'aa', 'b']);
    expect(compareKeys(-0, 0)).toBe(0);
  });

  it('copies values on put and on get', async () => {
    const { result } = await drive({}, async (env) => {
      const value = { list: [1, 2], bytes: Uint8Array.of(1, 2), nested: { s: 'x' } };
      await env.kv.transaction(['s'], 'readwrite', async (tx) => {
        const p = tx.put('s', 'k', value);
        value.list.push(3);
        value.bytes[0] = 9;
        value.nested.s = 'changed';
        await p;
      });
      const first = (await get(env.kv, 'k')) as { list: number[]; bytes: Uint8Array };
      first.list.push(4);
      first.bytes[1] = 9;
      const second = (await get(env.kv, 'k')) as { list: number[]; bytes: Uint8Array; nested: { s: string } };
      return { list: second.list, bytes: [...second.bytes], s: second.nested.s };
    });
    expect(result).toEqual({ list: [1, 2], bytes: [1, 2], s: 'x' });
  });

  it('rejects keys and values it cannot store, naming them', async () => {
    const { result } = await drive({}, async (env) => {
      const out: string[] = [];
      await env.kv.transaction(['s'], 'readwrite', async (tx) => {
        out.push(await code(tx.put('s', NaN, 1)));
        out.push(await code(tx.put('s', 'k', { when: new Date(0) } as unknown as Value)));
      });
      return out;
    });
    expect(result![0]).toMatch(/TypeError: key must be a string or a number other than NaN/);
    expect(result![1]).toMatch(/ValueCloneError: value\.when is a Date/);
  });
});

describe('transactions', () => {
  it('a transaction sees its own writes; nothing is visible outside until commit', async () => {
    const { result } = await drive({}, async (env) => {
      await put(env.kv, 'k', 'old');
      const seen: unknown[] = [];
      await env.kv.transaction(['s'], 'readwrite', async (tx) => {
        await tx.put('s', 'k', 'new');
        await tx.delete('s', 'gone');
        seen.push(await tx.get('s', 'k'), await tx.keys('s'));
      });
      seen.push(await get(env.kv, 'k'));
      return seen;
    });
    expect(result).toEqual(['new', ['k'], 'new']);
  });

  it('is atomic: fn throwing or tx.abort() applies nothing', async () => {
    const { result } = await drive({}, async (env) => {
      await put(env.kv, 'a', 1);
      const thrown = await code(
        env.kv.transaction(['s'], 'readwrite', async (tx) => {
          await tx.put('s', 'a', 2);
          await tx.put('s', 'b', 2);
          throw new RangeError('boom');
        }),
      );
      const aborted = await code(
        env.kv.transaction(['s'], 'readwrite', async (tx) => {
          await tx.put('s', 'a', 3);
          void tx.put('s', 'c', 3); // fire-and-forget: rejected with EABORT, not an unhandled rejection
          tx.abort();
          return 'ignored';
        }),
      );
      const all = await env.kv.transaction(['s'], 'readonly', async (tx) => [await tx.keys('s'), await tx.get('s', 'a')]);
      return { thrown, aborted, all };
    });
    expect(result).toEqual({ thrown: 'RangeError: boom', aborted: 'EABORT', all: [['a'], 1] });
  });

  it('rejects misuse with ESTATE: writes in readonly, stores out of scope, ops after fn returned', async () => {
    const { result } = await drive({}, async (env) => {
      const out: string[] = [];
      await env.kv.transaction(['s'], 'readonly', async (tx) => {
        out.push(await code(tx.put('s', 'k', 1)));
        out.push(await code(tx.get('other', 'k')));
      });
      let leaked: Parameters<Parameters<KvStore['transaction']>[2]>[0] | null = null;
      await env.kv.transaction(['s'], 'readwrite', async (tx) => {
        leaked = tx;
      });
      out.push(await code(leaked!.get('s', 'k')));
      return out;
    });
    expect(result).toEqual(['ESTATE', 'ESTATE', 'EABORT']);
  });

  it('serialises overlapping readwrite transactions: concurrent read-modify-write loses no update', async () => {
    const increments = async (env: Env): Promise<void> => {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          env.kv.transaction(['s'], 'readwrite', async (tx) => {
            const n = ((await tx.get('s', 'n')) as number | undefined) ?? 0;
            await env.clock.sleep(0.01);
            await tx.put('s', 'n', n + 1);
          }),
        ),
      );
    };
    const { sim, kv } = tabs({ A: increments, B: increments });
    sim.start('A');
    sim.start('B');
    await sim.run();
    expect(sim.failure).toBeNull();
    expect(kv.visibleSnapshot().get('s')!.get('n')).toBe(20);
    const commits = sim.trace.records()!.filter((r) => r.kind === 'kv.commit').map((r) => r.data.tx);
    expect(commits).toEqual([...commits].sort((a, b) => (a as number) - (b as number)));
  });

  it('runs readonly transactions concurrently, and disjoint scopes concurrently', async () => {
    const spans: Record<string, [number, number]> = {};
    const span = (name: string, env: Env, stores: string[], mode: 'readonly' | 'readwrite') =>
      env.kv.transaction(stores, mode, async (tx) => {
        const start = env.clock.monotonic();
        await tx.get(stores[0]!, 'x');
        await env.clock.sleep(1);
        spans[name] = [start, env.clock.monotonic()];
      });
    const { sim } = tabs({
      A: (env) => Promise.all([span('r1', env, ['s'], 'readonly'), span('r2', env, ['s'], 'readonly'), span('w', env, ['s'], 'readwrite'), span('other', env, ['t'], 'readwrite')]),
    });
    sim.start('A');
    await sim.run();
    const overlap = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];
    expect(overlap(spans.r1!, spans.r2!)).toBe(true);
    expect(overlap(spans.r1!, spans.w!)).toBe(false);
    expect(overlap(spans.r2!, spans.w!)).toBe(false);
    expect(overlap(spans.r1!, spans.other!)).toBe(true); // not held up by the waiting writer of 's'
    expect(spans.w![0]).toBeGreaterThanOrEqual(spans.r2![1]);
  });

  it("a tab crash aborts only that tab's transactions and frees their scope", async () => {
    const log: string[] = [];
    const { sim, kv } = tabs({
      A: (env) =>
        env.kv.transaction(['s'], 'readwrite', async (tx) => {
          await tx.put('s', 'a', 'from A');
          await env.clock.sleep(100);
          log.push('A finished');
        }).then(() => log.push('A settled'), () => log.push('A rejected')),
      B: async (env) => {
        await env.clock.sleep(1);
        await put(env.kv, 'b', 'from B');
        log.push('B committed');
      },
    });
    sim.start('A');
    sim.start('B');
    await sim.runUntil(20_000);
    expect(log).toEqual([]); // B waits behind A's transaction
    sim.crash('A', { powerLoss: false });
    await sim.run();
    expect(log).toEqual(['B committed']);
    expect([...kv.durableSnapshot().get('s')!.keys()]).toEqual(['b']);
    expect(sim.trace.records()!.some((r) => r.kind === 'kv.abort' && r.data.reason === 'crash')).toBe(true);
  });

  it("a frozen tab keeps its transactions' scopes until it resumes, and kv.held names them", async () => {
    const log: string[] = [];
    const { sim } = tabs({
      A: async (env) => {
        const w = env.kv.transaction(['s', 't'], 'readwrite', async (tx) => {
          await env.clock.sleep(100);
          await tx.put('s', 'a', 1);
        });
        const r = env.kv.transaction(['u'], 'readonly', (tx) => tx.get('u', 'x'));
        await Promise.all([w, r]);
      },
      B: async (env) => {
        await env.clock.sleep(1);
        await put(env.kv, 'b', 'from B');
        log.push('B committed');
      },
    });
    sim.start('A');
    sim.start('B');
    await sim.runUntil(50);
    sim.pause('A');
    await sim.runUntil(1_000_000);
    expect(log).toEqual([]); // B's transaction on 's' waits behind frozen A's
    const held = sim.trace.records()!.filter((r) => r.kind === 'kv.held');
    expect(held.map((r) => [r.node, r.data])).toEqual([['A', { txs: [1, 2], stores: ['s', 't', 'u'], readwrite: ['s', 't'] }]]);
    sim.resume('A');
    await sim.run();
    expect(log).toEqual(['B committed']);
    sim.pause('B'); // holds nothing: no record
    expect(sim.trace.records()!.filter((r) => r.kind === 'kv.held')).toHaveLength(1);
  });
});

describe('faults at commit', () => {
  const run = async (action: FaultAction) => {
    const { sim, kv } = tabs({
      A: async (env) => {
        const c = await code(put(env.kv, 'k', 'v'));
        await env.kv.transaction(['log'], 'readwrite', (tx) => tx.put('log', 'result', c));
      },
    });
    let fired = false;
    sim.addInterceptor((op) => {
      if (fired || op.area !== 'kv' || op.target !== 's') return null;
      fired = true;
      expect(op).toMatchObject({ op: 'commit', node: 'A', device: 'D' });
      return action;
    });
    sim.start('A');
    await sim.run();
    expect(fired).toBe(true);
    return { durable: kv.durableSnapshot(), status: sim.node('A').status };
  };

  it('an error aborts with that code and applies nothing', async () => {
    const { durable } = await run({ type: 'error', code: 'EIO' });
    expect(durable.get('s')).toBeUndefined();
    expect(durable.get('log')!.get('result')).toBe('EIO');
  });

  it("a crash 'before' applies nothing; 'after' applies it all (strict: durable)", async () => {
    const before = await run({ type: 'crash', when: 'before' });
    expect(before.status).toBe('down');
    expect(before.durable.get('s')).toBeUndefined();
    const after = await run({ type: 'crash', when: 'after' });
    expect(after.status).toBe('down');
    expect(after.durable.get('s')!.get('k')).toBe('v');
    expect(after.durable.get('log')).toBeUndefined();
  });
});

describe('durability', () => {
  /** Commits txs per `plan` (true = strict) one after another; returns the acknowledged tx indexes. */
  const workload = (plan: boolean[], acked: number[]) => async (env: Env) => {
    for (let i = 0; i < plan.length; i++) {
      await env.kv.transaction(
        ['s', 'meta'],
        'readwrite',
        async (tx) => {
          await tx.put('s', i, `v${i}`);
          await tx.put('meta', 'last', i);
        },
        { durability: plan[i] ? 'strict' : 'relaxed' },
      );
      acked.push(i);
      await env.clock.sleep(3);
    }
  };

  it('strict never loses an acknowledged transaction; relaxed loses only a suffix, each whole', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 200_000 }), fc.nat(1000), async (plan, crashAtUs, seed) => {
        const acked: number[] = [];
        const { sim, kv } = tabs({ A: workload(plan, acked) }, seed, { flushMs: 20 });
        sim.start('A');
        await sim.runUntil(crashAtUs);
        sim.powerLoss('D');
        await sim.run();
        const durable = kv.durableSnapshot();
        const kept = [...(durable.get('s')?.keys() ?? [])] as number[];
        // all or nothing per transaction
        expect(durable.get('meta')?.get('last') ?? -1).toBe(kept.length === 0 ? -1 : kept[kept.length - 1]);
        // a prefix of the committed ones survives
        expect(kept).toEqual(kept.map((_, i) => i));
        // every acknowledged strict transaction (and everything before it) survives
        const lastStrict = Math.max(-1, ...acked.filter((i) => plan[i]));
        expect(kept.length).toBeGreaterThanOrEqual(lastStrict + 1);
        expect(kv.visibleSnapshot()).toEqual(durable);
      }),
      { numRuns: 200 },
    );
  });

  it('relaxed commits become durable at the background flush', async () => {
    const { sim, kv } = tabs({ A: (env) => put(env.kv, 'k', 1, 'relaxed') }, 1, { flushMs: 50 });
    sim.start('A');
    await sim.runUntil(10_000);
    expect(kv.visibleSnapshot().get('s')!.get('k')).toBe(1);
    expect(kv.durableSnapshot().get('s')?.get('k')).toBeUndefined();
    expect(kv.volatileTxs()).toHaveLength(1);
    await sim.runUntil(60_000);
    expect(kv.durableSnapshot().get('s')!.get('k')).toBe(1);
    expect(kv.volatileTxs()).toEqual([]);
  });

  it('powerLossWith loses exactly the chosen suffix', async () => {
    const { sim, kv } = tabs({
      A: async (env) => {
        for (let i = 0; i < 4; i++) await put(env.kv, i, i, 'relaxed');
      },
    }, 1, { flushMs: 1000 });
    sim.start('A');
    await sim.runUntil(5_000);
    expect(kv.volatileTxs()).toHaveLength(4);
    expect(() => kv.powerLossWith(5)).toThrow(RangeError);
    kv.powerLossWith(3);
    expect([...kv.durableSnapshot().get('s')!.keys()]).toEqual([0]);
    const rec = sim.trace.records()!.find((r) => r.kind === 'kv.powerloss')!;
    expect(rec.data).toMatchObject({ lost: 3, kept: 1 });
  });

  it('counts against the disk capacity: a commit that does not fit aborts with ENOSPC', async () => {
    const { result } = await drive({ disk: { capacityBytes: 1000 } }, async (env) => {
      const big = 'x'.repeat(600);
      return [
        await code(put(env.kv, 'a', big)),
        await code(put(env.kv, 'b', big)),
        await code(env.disk.writeFile('/f', new Uint8Array(500))),
        await code(env.kv.transaction(['s'], 'readwrite', (tx) => tx.delete('s', 'a'))),
        await code(env.disk.writeFile('/f', new Uint8Array(500))),
      ];
    });
    expect(result).toEqual(['ok', 'ENOSPC', 'ENOSPC', 'ok', 'ok']);
  });
});

describe('settings', () => {
  const sim = new Simulation({ seed: 1 });
  const bad: [object, RegExp][] = [
    [{ durability: 'eventual' }, /durability must be 'strict' or 'relaxed'/],
    [{ flushMs: -1 }, /flushMs/],
    [{ jitter: 2 }, /jitter must be < 1/],
    [{ queueMax: 0 }, /queueMax/],
    [{ flushUs: 5 }, /unknown field flushUs/],
  ];
  for (const [spec, message] of bad) {
    it(`rejects ${JSON.stringify(spec)}`, () => {
      expect(() => new SimKv(sim, 'X', spec as never)).toThrow(KvSpecError);
      expect(() => new SimKv(sim, 'X', spec as never)).toThrow(message);
    });
  }
});
