/**
 * A fault triggered at a tab's own bus post or lock request that crashes *another* tab of the device with a
 * power loss takes the calling tab down too: its post must not take effect (no `bus.post`, no delivery, no
 * evidence of a message from a dead tab) and its lock request must never be placed (a dead holder would
 * keep the lock). Found by a fresh-seed nightly run: election-swarm-leader seed 2008, where the request
 * model saw the bus carry a forwarded write after the workload had recorded its tab dead.
 */
import { describe, expect, it } from 'vitest';
import { installFaults } from '../../src/faults/inject.ts';
import { kinds, tabWorld } from '../sim/tabs/helpers.ts';

const idle = (): void => {};

describe('a power loss decided at a tab\'s own operation', () => {
  it('bus.post: the post of a tab its device lost power under never takes effect', async () => {
    const got: unknown[] = [];
    const w = tabWorld(1, { t1: idle, t2: idle, t3: (env) => void env.bus.subscribe('c', (m) => got.push(m)) });
    installFaults(w.sim, { events: [{ kind: 'crash', node: 't2', powerLoss: true, trigger: { node: 't1', area: 'bus', op: 'post', nth: 1 } }] });
    w.at(5, () => w.env('t1').bus.post('c', 'from-a-dead-tab'));
    await w.sim.run({ untilUs: 50_000 });
    expect(kinds(w.sim, 'node.crash').map((r) => r.node).sort()).toEqual(['t1', 't2', 't3']);
    expect(kinds(w.sim, 'bus.post')).toEqual([]);
    expect(got).toEqual([]);
  });

  it('lock.request: the request of a tab its device lost power under is never placed', async () => {
    const w = tabWorld(2, { t1: idle, t2: idle });
    installFaults(w.sim, {
      events: [{ kind: 'crash', node: 't2', powerLoss: true, restartAfterMs: 10, trigger: { node: 't1', area: 'lock', op: 'request', nth: 1 } }],
    });
    w.at(5, () => void w.env('t1').locks.request('L', {}, () => new Promise(() => {})));
    // After the restart, t2 asks for the lock: nobody holds it.
    let granted = false;
    w.at(30, () => void w.env('t2').locks.request('L', { ifAvailable: true }, (lock) => void (granted = lock !== null)));
    await w.sim.run({ untilUs: 100_000 });
    expect(w.sim.device('dev1').locks.holder('L')).not.toBe('t1');
    expect(kinds(w.sim, 'lock.grant').map((r) => r.node)).toEqual(['t2']);
    expect(granted).toBe(true);
  });
});
