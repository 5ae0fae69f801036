import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeEnvHandle } from '../../src/runtime/node/index.ts';
import { EnvPool, staysPending, tempDir, waitFor } from './helpers.ts';

describe('runtime clock, random and tracer', () => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };
  let h: NodeEnvHandle;
  const records: { kind: string; data: Record<string, unknown> }[] = [];

  beforeEach(async () => {
    dir = await tempDir();
    records.length = 0;
    h = await pool.create({ nodeId: 'n', dataDir: dir.path, trace: (r) => records.push(r) });
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  it('monotonic time starts near zero and sleeps take real time', async () => {
    const t0 = h.env.clock.monotonic();
    expect(t0).toBeGreaterThanOrEqual(0);
    expect(Math.abs(h.env.clock.now() - Date.now())).toBeLessThan(1000);
    await h.env.clock.sleep(30);
    expect(h.env.clock.monotonic() - t0).toBeGreaterThanOrEqual(29);
  });

  it('runs intervals until cleared and never fires a cleared timeout', async () => {
    let ticks = 0;
    let fired = false;
    const id = h.env.clock.setInterval(() => ticks++, 5);
    h.env.clock.clearTimer(h.env.clock.setTimeout(() => (fired = true), 5));
    await waitFor(2000, 'three ticks', () => ticks >= 3);
    h.env.clock.clearTimer(id);
    const at = ticks;
    await new Promise((r) => setTimeout(r, 30));
    expect(ticks).toBe(at);
    expect(fired).toBe(false);
    expect(() => h.env.clock.setTimeout(() => {}, -1)).toThrow(/timer delay/);
  });

  it('after close, timers stop and sleeps never settle', async () => {
    let ticks = 0;
    h.env.clock.setInterval(() => ticks++, 5);
    const sleeping = h.env.clock.sleep(5);
    await h.close();
    expect(await staysPending(sleeping, 40)).toBe(true);
    expect(ticks).toBe(0);
  });

  it('random values are in range and uuids are v4-shaped', () => {
    for (let i = 0; i < 1000; i++) {
      const f = h.env.random.float();
      expect(f >= 0 && f < 1).toBe(true);
      const n = h.env.random.int(7);
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true);
    }
    expect(h.env.random.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(h.env.random.bytes(16)).toHaveLength(16);
    expect(() => h.env.random.int(0)).toThrow(/n must be a safe integer >= 1/);
  });

  it('emits trace records to the callback and counts probes', () => {
    h.env.trace.emit('store.commit', { n: 1 });
    h.env.trace.probe('rare');
    h.env.trace.probe('rare');
    expect(records.map((r) => r.kind)).toEqual(['runtime.start', 'store.commit', 'probe', 'probe']);
    expect(records[1]!.data).toEqual({ n: 1 });
    expect(h.probes().get('rare')).toBe(2);
  });

  it('appends trace records to a JSONL file', async () => {
    const file = join(dir.path, 'trace.jsonl');
    const t = await pool.create({ nodeId: 'traced', dataDir: join(dir.path, 'traced'), traceFile: file });
    t.env.trace.emit('demo.added', { item: 'x' });
    t.env.trace.probe('p');
    await t.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { node: string; kind: string; data: unknown });
    expect(lines.map((l) => l.kind)).toEqual(['runtime.start', 'demo.added', 'probe']);
    expect(lines[1]).toMatchObject({ node: 'traced', data: { item: 'x' } });
  });

  it('counts incarnations per node in the data directory', async () => {
    expect(h.env.incarnation).toBe(0);
    await h.close();
    const again = await pool.create({ nodeId: 'n', dataDir: dir.path });
    expect(again.env.incarnation).toBe(1);
    const other = await pool.create({ nodeId: 'other', dataDir: dir.path });
    expect(other.env.incarnation).toBe(0);
  });

  it('rejects bad options naming the field', async () => {
    await expect(pool.create({ nodeId: '', dataDir: dir.path })).rejects.toThrow(/nodeId must be a non-empty string/);
    await expect(pool.create({ nodeId: 'x', dataDir: dir.path, port: 70_000 })).rejects.toThrow(/port must be a port number/);
    await expect(pool.create({ nodeId: 'x', dataDir: dir.path, peers: { y: -1 } })).rejects.toThrow(/peers.y must be an integer/);
    await expect(pool.create({ nodeId: 'x', dataDir: dir.path, kvDurability: 'weak' as 'strict' })).rejects.toThrow(/kvDurability/);
  });
});
