import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Value } from '../../src/impl/env.ts';
import { NodeDevice, type NodeEnvHandle } from '../../src/runtime/node/index.ts';
import { EnvPool, staysPending, tempDir, waitFor, within } from './helpers.ts';

describe('runtime tab bus and locks (tabs of one device in one process)', () => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };
  let t1: NodeEnvHandle;
  let t2: NodeEnvHandle;
  let t3: NodeEnvHandle;

  beforeEach(async () => {
    dir = await tempDir();
    const device = new NodeDevice('laptop');
    t1 = await pool.create({ nodeId: 't1', dataDir: dir.path, device });
    t2 = await pool.create({ nodeId: 't2', dataDir: dir.path, device });
    t3 = await pool.create({ nodeId: 't3', dataDir: dir.path, device: 'another-device' });
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  it('posts a copy to the other tabs of the device, in order, never to the sender or other devices', async () => {
    const got: [string, Value][] = [];
    const self: Value[] = [];
    const foreign: Value[] = [];
    t2.env.bus.subscribe('ch', (m, from) => got.push([from, m]));
    t1.env.bus.subscribe('ch', (m) => self.push(m));
    t3.env.bus.subscribe('ch', (m) => foreign.push(m));
    const msg = { n: 1, list: [1, 2] };
    t1.env.bus.post('ch', msg);
    t1.env.bus.post('ch', { n: 2 });
    msg.list.push(3);
    await waitFor(2000, 'two deliveries', () => got.length === 2);
    expect(got).toEqual([
      ['t1', { n: 1, list: [1, 2] }],
      ['t1', { n: 2 }],
    ]);
    expect(self).toEqual([]);
    expect(foreign).toEqual([]);
    expect(t1.env.deviceId).toBe('laptop');
  });

  it('an unsubscribed or closed tab receives nothing posted after', async () => {
    const got: Value[] = [];
    const off = t2.env.bus.subscribe('ch', (m) => got.push(m));
    t1.env.bus.post('ch', 'before');
    off(); // unsubscribed before dispatch: not delivered
    t1.env.bus.post('ch', 'after');
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual([]);
  });

  it('grants a lock FIFO, one holder at a time, and releases it when fn settles', async () => {
    const order: string[] = [];
    const hold = (h: NodeEnvHandle, tag: string): Promise<string> =>
      h.env.locks.request('leader', {}, async (lock) => {
        order.push(`+${tag}:${lock?.name}`);
        await new Promise((r) => setTimeout(r, 10));
        order.push(`-${tag}`);
        return tag;
      });
    const results = await within(3000, 'locks', Promise.all([hold(t1, 'a'), hold(t2, 'b'), hold(t1, 'c')]));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(order).toEqual(['+a:leader', '-a', '+b:leader', '-b', '+c:leader', '-c']);
  });

  it('ifAvailable gets null while held; steal takes the lock and aborts the holder', async () => {
    let release!: () => void;
    const held = t1.env.locks.request('L', {}, () => new Promise<void>((r) => (release = r)));
    await waitFor(2000, 'grant', () => t1.device.locks.isHeld('L'));
    expect(await t2.env.locks.request('L', { ifAvailable: true }, (lock) => lock)).toBeNull();
    const stolen = await within(2000, 'steal', t2.env.locks.request('L', { steal: true }, (lock) => lock?.name));
    expect(stolen).toBe('L');
    await expect(held).rejects.toMatchObject({ code: 'EABORT' });
    release();
  });

  it('closing a tab releases its locks to the next in line', async () => {
    const held = t1.env.locks.request('L', {}, () => new Promise<void>(() => {}));
    await waitFor(2000, 'grant', () => t1.device.locks.isHeld('L'));
    const next = t2.env.locks.request('L', {}, () => 'got it');
    await t1.close();
    expect(await within(2000, 'handover', next)).toBe('got it');
    expect(await staysPending(held, 20)).toBe(true);
  });
});
