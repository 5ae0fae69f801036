/**
 * The end-to-end proof that the Env seam is honest: the demo gossip node, written only against Env and
 * run in the simulator elsewhere, runs unchanged on the real runtime over loopback TCP and real disks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGossipNode, type GossipHandle } from '../../src/impl/demo/gossip.ts';
import type { NodeEnvHandle } from '../../src/runtime/node/index.ts';
import { EnvPool, tempDir, waitFor, within } from './helpers.ts';

const FAST = { retryMs: 50, antiEntropyMs: 200 };

describe('demo gossip nodes on the real runtime', () => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  /** Starts env + gossip node `id` on its own data dir; `peers` maps known peers to ports. */
  const start = async (id: string, peers: Record<string, number>): Promise<{ h: NodeEnvHandle; g: GossipHandle }> => {
    const h = await pool.create({ nodeId: id, dataDir: `${dir.path}/${id}`, peers });
    const g = await within(5000, `start gossip ${id}`, startGossipNode(h.env, { peers: ['a', 'b'].filter((p) => p !== id), ...FAST }));
    return { h, g };
  };

  it('converge over loopback, and a node reopened from its data dir still holds its items', async () => {
    const a = await start('a', {});
    const b = await start('b', { a: a.h.port });
    a.h.setPeer('b', b.h.port);
    await within(5000, 'adds', Promise.all([a.g.add('from-a-1'), a.g.add('from-a-2'), b.g.add('from-b-1')]));
    const all = ['from-a-1', 'from-a-2', 'from-b-1'];
    await waitFor(5000, 'convergence', () => a.g.items().join() === all.join() && b.g.items().join() === all.join());
    expect(a.h.env.incarnation).toBe(0);

    await b.h.close();
    await a.g.add('while-b-was-down');
    const b2 = await start('b', { a: a.h.port });
    expect(b2.h.env.incarnation).toBe(1);
    expect(b2.g.items()).toEqual(all); // recovered from its own log before any peer spoke
    a.h.setPeer('b', b2.h.port);
    const after = [...all, 'while-b-was-down'].sort();
    await waitFor(5000, 'catch-up after restart', () => b2.g.items().join() === after.join());
    await b2.g.add('from-b-2');
    await waitFor(5000, 'new item reaches a', () => a.g.items().includes('from-b-2'));
  });
});
