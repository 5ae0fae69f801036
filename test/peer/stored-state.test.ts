/**
 * Reading the durable state back and storage failures (store.ts, core.ts):
 * - recovery reads every record of `rec` and `log` under `<resource>/<id>` and the `meta` values; a stored
 *   record that is not `{u, w, t, d}` (strings, d null or a string) or a key without a resource is corruption:
 *   recovery fails naming the key instead of loading a wrong record;
 * - a storage operation is retried (each failure traced as `peer.store.error` naming the operation, the
 *   attempt and the error) at most STORE_ATTEMPTS_MAX times, then the error propagates;
 * - a failed background task is reported the same way, whatever it was rejected with, and never throws;
 * - a cursor kept in `meta` (a checkpoint's or a watermark's) is used only when both its fields are strings.
 */
import { describe, expect, it } from 'vitest';
import type { Env, KvKey, KvStore, KvTx, Value } from '../../src/impl/env.ts';
import { metaCursor, reportFailure, retrying, STORE_ATTEMPTS_MAX, type Core } from '../../src/impl/peer/core.ts';
import { PeerStore } from '../../src/impl/peer/store.ts';

/** A kv store in memory (enough for reads): store -> key -> value. */
function memoryKv(data: Record<string, Record<string, Value>>): KvStore {
  const tx: KvTx = {
    get: async (store, key) => data[store]?.[String(key)],
    put: async () => undefined,
    delete: async () => undefined,
    keys: async (store) => Object.keys(data[store] ?? {}).sort() as KvKey[],
    abort: () => undefined,
  };
  return { transaction: (_stores, _mode, fn) => fn(tx) } as KvStore;
}

const good = { u: 'u1', w: 'A', t: '000000000000001-000000-A', d: 'x' };

describe('recovery reads the stored state back', () => {
  it('records and log entries by resource, and every meta value', async () => {
    const tomb = { ...good, u: 'u2', d: null };
    const loaded = await new PeerStore(
      memoryKv({
        rec: { 'entry/u1': good, 'tag/u2': tomb },
        log: { [`tag/${tomb.t}`]: tomb },
        meta: { init: true, 'wm/B/entry': { ts: good.t, uuid: 'u1' } },
      }),
    ).load();
    expect(loaded.records.get('entry')).toEqual([{ uuid: 'u1', writer: 'A', ts: good.t, data: 'x' }]);
    expect(loaded.records.get('tag')).toEqual([{ uuid: 'u2', writer: 'A', ts: good.t, data: null }]);
    expect(loaded.log.get('tag')).toEqual([{ uuid: 'u2', writer: 'A', ts: good.t, data: null }]);
    expect(loaded.meta).toEqual(new Map<string, Value>([['init', true], ['wm/B/entry', { ts: good.t, uuid: 'u1' }]]));
  });

  it.each([
    ['a missing uuid', { ...good, u: undefined }],
    ['a numeric uuid', { ...good, u: 1 }],
    ['a missing writer', { ...good, w: undefined }],
    ['a numeric ts', { ...good, t: 5 }],
    ['numeric data', { ...good, d: 5 }],
    ['missing data', { ...good, d: undefined }],
  ] as const)('a stored record with %s is corruption: recovery fails naming its key', async (_what, value) => {
    const v = Object.fromEntries(Object.entries(value).filter(([, x]) => x !== undefined)) as Value;
    await expect(new PeerStore(memoryKv({ rec: { 'entry/u1': v } })).load()).rejects.toThrow("peer store: corrupt record under 'entry/u1'");
    await expect(new PeerStore(memoryKv({ log: { 'tag/h1': v } })).load()).rejects.toThrow("peer store: corrupt record under 'tag/h1'");
  });

  it.each(['u1', '/u1'])('a record key without a resource (%s) is corruption', async (k) => {
    await expect(new PeerStore(memoryKv({ rec: { [k]: good } })).load()).rejects.toThrow(`peer store: bad key '${k}'`);
  });
});

/** An Env whose sleeps resolve at once (recorded) and whose trace records are kept. */
function testEnv() {
  const traced: { kind: string; data: Record<string, unknown> }[] = [];
  const sleeps: number[] = [];
  const env = {
    clock: { sleep: async (ms: number) => void sleeps.push(ms) },
    trace: { emit: (kind: string, data: Record<string, unknown>) => void traced.push({ kind, data }), probe: () => undefined },
  } as unknown as Env;
  return { env, traced, sleeps };
}

describe('storage operations are retried, then fail visibly', () => {
  it('retries a failing operation after delayMs, tracing each failure, and resolves with its result', async () => {
    const { env, traced, sleeps } = testEnv();
    let calls = 0;
    const r = await retrying(env, 'load', 300, async () => {
      if (++calls < 3) throw new Error('EIO: injected');
      return 'data';
    });
    expect(r).toBe('data');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([300, 300]);
    expect(traced).toEqual([
      { kind: 'peer.store.error', data: { what: 'load', attempt: 1, error: 'EIO: injected' } },
      { kind: 'peer.store.error', data: { what: 'load', attempt: 2, error: 'EIO: injected' } },
    ]);
  });

  it(`gives up after ${STORE_ATTEMPTS_MAX} attempts: the last error propagates`, async () => {
    const { env, traced, sleeps } = testEnv();
    let calls = 0;
    const failure = new Error('ENOSPC: full');
    await expect(
      retrying(env, 'init', 10, async () => {
        // Fails every attempt it should make; one more would succeed (so a retry without end cannot hang).
        if (++calls > STORE_ATTEMPTS_MAX) return 'retried too often';
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toBe(STORE_ATTEMPTS_MAX);
    expect(sleeps).toHaveLength(STORE_ATTEMPTS_MAX - 1);
    expect(traced.map((t) => t.data.attempt)).toEqual(Array.from({ length: STORE_ATTEMPTS_MAX }, (_, i) => i + 1));
  });

  it('a failure thrown as a plain value is traced with that value', async () => {
    const { env, traced } = testEnv();
    let calls = 0;
    await retrying(env, 'load', 1, async () => {
      if (++calls === 1) throw 'EIO';
      return 1;
    });
    expect(traced).toEqual([{ kind: 'peer.store.error', data: { what: 'load', attempt: 1, error: 'EIO' } }]);
  });
});

describe('a failed background task is reported, never thrown', () => {
  it('traces what failed and the error, whatever the rejection value', () => {
    const { env, traced } = testEnv();
    const report = reportFailure(env, 'apply');
    report(new Error('EIO: injected'));
    report('ENOSPC');
    expect(() => report(undefined)).not.toThrow();
    expect(() => report(null)).not.toThrow();
    expect(traced).toEqual([
      { kind: 'peer.store.error', data: { what: 'apply', attempt: 1, error: 'EIO: injected' } },
      { kind: 'peer.store.error', data: { what: 'apply', attempt: 1, error: 'ENOSPC' } },
      { kind: 'peer.store.error', data: { what: 'apply', attempt: 1, error: 'undefined' } },
      { kind: 'peer.store.error', data: { what: 'apply', attempt: 1, error: 'null' } },
    ]);
  });
});

describe('cursors kept in meta', () => {
  it('a stored cursor is used only when its ts and uuid are both strings; anything else reads as no cursor', () => {
    const core = (v: Value | undefined): Core => ({ meta: new Map(v === undefined ? [] : [['k', v]]) }) as unknown as Core;
    expect(metaCursor(core({ ts: 't', uuid: 'u' }), 'k')).toEqual({ ts: 't', uuid: 'u' });
    expect(metaCursor(core(undefined), 'k')).toBeNull();
    expect(metaCursor(core({ ts: 5, uuid: 'u' }), 'k')).toBeNull();
    expect(metaCursor(core({ ts: 't', uuid: null }), 'k')).toBeNull();
    expect(metaCursor(core({ ts: 't' }), 'k')).toBeNull();
  });
});
