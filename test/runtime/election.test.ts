/**
 * Multi-tab leader election (src/impl/election), written only against Env, on the real runtime: three
 * tabs of one device in this process share the kv store, the bus and the locks; one leads, followers'
 * writes are forwarded to it, and when the leader's env closes (a crash) another tab takes over.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startElectionTab, type ElectionTabHandle } from '../../src/impl/election/index.ts';
import { NodeDevice, type NodeEnvHandle } from '../../src/runtime/node/index.ts';
import { EnvPool, tempDir, waitFor, within } from './helpers.ts';

describe.each(['lock', 'lease'] as const)('election tabs on the real runtime (%s mode)', (mode) => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  it('elects one leader, forwards writes to it and fails over when it crashes', async () => {
    const device = new NodeDevice('browser');
    const tabs: { h: NodeEnvHandle; t: ElectionTabHandle }[] = [];
    for (const id of ['tab1', 'tab2', 'tab3']) {
      const h = await pool.create({ nodeId: id, dataDir: dir.path, device });
      tabs.push({ h, t: startElectionTab(h.env, { mode, leaseMs: 300 }) });
    }
    const leaders = (): typeof tabs => tabs.filter((x) => x.t.role() === 'leader');
    await waitFor(5000, 'a leader', () => leaders().length === 1);
    const first = leaders()[0]!;
    const follower = tabs.find((x) => x !== first)!;
    await within(5000, 'forwarded write', follower.t.write('k', 'v1'));
    expect(await first.t.read('k')).toBe('v1');

    await first.h.close(); // a crash: no step-down, locks released, lease left to expire
    const rest = tabs.filter((x) => x !== first);
    await waitFor(5000, 'a new leader', () => rest.filter((x) => x.t.role() === 'leader').length === 1);
    const second = rest.find((x) => x.t.role() === 'leader')!;
    expect(second.t.epoch()).toBeGreaterThan(0);
    const other = rest.find((x) => x !== second)!;
    await within(5000, 'write after failover', other.t.write('k', 'v2'));
    expect(await other.t.read('k')).toBe('v2');
    await Promise.all(rest.map((x) => within(5000, 'tab close', x.t.close())));
  });
});
