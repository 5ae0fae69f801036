import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KvStore } from '../../src/impl/env.ts';
import { EnvPool, staysPending, tempDir, within } from './helpers.ts';

describe('runtime kv store', () => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };

  const open = async (nodeId = 'n1', extra: { kvCompactLinesMax?: number } = {}): Promise<KvStore> =>
    (await pool.create({ nodeId, dataDir: dir.path, ...extra })).env.kv;
  const dump = (kv: KvStore, store = 's'): Promise<Record<string, unknown>> =>
    kv.transaction([store], 'readonly', async (tx) => {
      const out: Record<string, unknown> = {};
      for (const k of await tx.keys(store)) out[String(k)] = await tx.get(store, k);
      return out;
    });

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  it('commits all writes of a transaction or none of them', async () => {
    const kv = await open();
    await kv.transaction(['s'], 'readwrite', async (tx) => {
      await tx.put('s', 'a', 1);
      await tx.put('s', 'b', 2);
    });
    await expect(
      kv.transaction(['s'], 'readwrite', async (tx) => {
        await tx.put('s', 'a', 100);
        await tx.delete('s', 'b');
        expect(await tx.get('s', 'a')).toBe(100); // a transaction sees its own writes
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      kv.transaction(['s'], 'readwrite', async (tx) => {
        void tx.put('s', 'c', 3);
        tx.abort();
      }),
    ).rejects.toMatchObject({ code: 'EABORT' });
    await expect(
      kv.transaction(['s'], 'readwrite', async (tx) => {
        tx.abort();
        void tx.put('s', 'd', 4); // rejects with EABORT; not an unhandled rejection, as in IndexedDB
      }),
    ).rejects.toMatchObject({ code: 'EABORT' });
    expect(await dump(kv)).toEqual({ a: 1, b: 2 });
  });

  it('orders keys numbers first, honours ranges and copies values in and out', async () => {
    const kv = await open();
    const blob = new Uint8Array([1, 2, 3]);
    await kv.transaction(['s'], 'readwrite', async (tx) => {
      for (const k of ['b', 10, 'a', -1, 2]) await tx.put('s', k, { k, blob });
    });
    blob[0] = 99;
    const keys = await kv.transaction(['s'], 'readonly', (tx) => tx.keys('s'));
    expect(keys).toEqual([-1, 2, 10, 'a', 'b']);
    expect(await kv.transaction(['s'], 'readonly', (tx) => tx.keys('s', { lower: 2, upper: 'a' }))).toEqual([2, 10, 'a']);
    const v = (await kv.transaction(['s'], 'readonly', (tx) => tx.get('s', 'a'))) as { blob: Uint8Array };
    expect(v.blob).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('rejects writes in readonly transactions and stores outside the scope', async () => {
    const kv = await open();
    await expect(kv.transaction(['s'], 'readonly', (tx) => tx.put('s', 'a', 1))).rejects.toMatchObject({ code: 'ESTATE' });
    await expect(kv.transaction(['s'], 'readwrite', (tx) => tx.put('other', 'a', 1))).rejects.toThrow(/not in kv transaction/);
    await expect(kv.transaction([], 'readonly', async () => 1)).rejects.toThrow(/stores must be a non-empty array/);
  });

  it('runs overlapping readwrite transactions one after the other', async () => {
    const kv = await open();
    const incr = (): Promise<void> =>
      kv.transaction(['s'], 'readwrite', async (tx) => {
        const n = ((await tx.get('s', 'n')) as number | undefined) ?? 0;
        await new Promise((r) => setTimeout(r, 1));
        await tx.put('s', 'n', n + 1);
      });
    await within(5000, 'increments', Promise.all(Array.from({ length: 20 }, incr)));
    expect(await dump(kv)).toEqual({ n: 20 });
  });

  it('recovers committed transactions after close and reopen, strict and relaxed', async () => {
    let kv = await open();
    await kv.transaction(['s'], 'readwrite', async (tx) => {
      await tx.put('s', 'bytes', new Uint8Array([0, 255]));
      await tx.put('s', 'nested', { $bytes: 'not binary', list: [1, null, 'x'], n: Infinity });
    });
    await kv.transaction(['s', 't'], 'readwrite', async (tx) => {
      await tx.put('t', 7, 'relaxed');
      await tx.delete('s', 'missing');
    }, { durability: 'relaxed' });
    await pool.closeAll();
    kv = await open();
    expect(await dump(kv)).toEqual({ bytes: new Uint8Array([0, 255]), nested: { $bytes: 'not binary', list: [1, null, 'x'], n: Infinity } });
    expect(await dump(kv, 't')).toEqual({ 7: 'relaxed' });
  });

  it('ignores a torn last line and keeps appending after it', async () => {
    let kv = await open();
    await kv.transaction(['s'], 'readwrite', (tx) => tx.put('s', 'a', 1));
    await pool.closeAll();
    await appendFile(join(dir.path, '.kv', 'log'), '{"tx":2,"ops":[["s","b",');
    kv = await open();
    expect(await dump(kv)).toEqual({ a: 1 });
    await kv.transaction(['s'], 'readwrite', (tx) => tx.put('s', 'c', 3));
    await pool.closeAll();
    kv = await open();
    expect(await dump(kv)).toEqual({ a: 1, c: 3 });
  });

  it('fails to open a log corrupted in the middle, naming the line', async () => {
    await open();
    await pool.closeAll();
    const log = join(dir.path, '.kv', 'log');
    await writeFile(log, '{"tx":1,"ops":[["s","a",1]]}\ngarbage\n{"tx":3,"ops":[["s","b",2]]}\n');
    await expect(open()).rejects.toThrow(/line 2 is corrupt/);
  });

  it('compacts the log into a snapshot that recovers the same state', async () => {
    let kv = await open('n1', { kvCompactLinesMax: 10 });
    for (let i = 0; i < 25; i++) await kv.transaction(['s'], 'readwrite', (tx) => tx.put('s', `k${i % 5}`, i));
    const lines = (await readFile(join(dir.path, '.kv', 'log'), 'utf8')).split('\n').filter((l) => l !== '');
    expect(lines.length).toBeLessThan(10);
    await pool.closeAll();
    kv = await open();
    expect(await dump(kv)).toEqual({ k0: 20, k1: 21, k2: 22, k3: 23, k4: 24 });
  });

  it('is shared by two envs on the same data directory', async () => {
    const a = await open('tab-a');
    const b = await open('tab-b');
    await a.transaction(['s'], 'readwrite', (tx) => tx.put('s', 'x', 'from a'));
    expect(await dump(b)).toEqual({ x: 'from a' });
  });

  it('drops the unfinished transactions of a closed env and lets others run', async () => {
    const h = await pool.create({ nodeId: 'tab-a', dataDir: dir.path });
    const other = await open('tab-b');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stuck = h.env.kv.transaction(['s'], 'readwrite', async (tx) => {
      await tx.put('s', 'lost', 1);
      await gate;
    });
    await new Promise((r) => setTimeout(r, 10));
    await h.close();
    release();
    await within(2000, 'next transaction', other.transaction(['s'], 'readwrite', (tx) => tx.put('s', 'kept', 2)));
    expect(await staysPending(stuck, 30)).toBe(true);
    expect(await dump(other)).toEqual({ kept: 2 });
  });
});
