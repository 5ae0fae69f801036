/**
 * Nuke and Resync with changes pending on a ready connection (docs/client-server.md, "Nuke and Resync",
 * step 1): the built-in client (client.ts) against the real server, one short simulation. The pending
 * changes are pushed on that connection (no connection of its own), and the Nuke goes on as soon as their
 * ACKs are recorded: nothing is kept unsaved, and the user does not wait out `nukePushTimeoutMs`.
 */
import { describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../src/impl/clientserver/client.ts';
import { startServer, type ServerHandle } from '../../src/impl/clientserver/server.ts';
import { Simulation } from '../../src/sim/simulation.ts';

describe('Nuke and Resync with changes pending on a ready connection', () => {
  it('pushes them on that connection and goes on once they are acknowledged: all pushed, none unsaved, well before the push timeout', async () => {
    const sim = new Simulation({ seed: 11, trace: { keepAll: true }, net: { latencyMs: 2, jitterMs: 0, tailProbability: 0 } });
    sim.addNode('S', { device: 'S', program: (env) => startServer(env, { db: 'd', schema: 1 }) });
    sim.addNode('C', { device: 'C', program: (env) => startClient(env, { server: 'S', db: 'd', schema: 1, nukePushTimeoutMs: 3_000 }) });
    sim.start('S');
    sim.start('C');
    await sim.run({ untilUs: 2_000_000 });
    const c = sim.node('C').handle as ClientHandle;
    expect(c.status().status).toBe('synced');
    const oldSite = c.site();
    // Three writes; the Nuke as soon as they are durable locally, before the server acknowledged them.
    let written: number[] | null = null;
    void Promise.all([1, 2, 3].map((i) => c.write('t', `p${i}`, 'c', `v${i}`))).then((v) => (written = v));
    for (let t = 1, from = sim.nowUs(); t <= 5_000 && written === null; t++) await sim.run({ untilUs: from + t * 1_000 });
    expect(written).toEqual([1, 2, 3]);
    expect(c.status().pending).toBe(3);
    const startedUs = sim.nowUs();
    const established = () => sim.trace.records()!.filter((r) => r.node === 'C' && r.kind === 'net.established').length;
    const connections = established();
    let result: { pushed: number; exported: number } | null = null;
    let doneUs = 0;
    void c.nuke().then((r) => {
      result = r;
      doneUs = sim.nowUs();
    });
    for (let t = 1; t <= 100 && result === null; t++) await sim.run({ untilUs: startedUs + t * 50_000 });
    expect(result).toEqual({ pushed: 3, exported: 0 });
    // Pushed on the ready connection: no other connection was opened before the Nuke ended.
    expect(established()).toBe(connections);
    // It went on at the ACKs (a few round trips and commits), not at nukePushTimeoutMs.
    expect((doneUs - startedUs) / 1000).toBeLessThan(1_000);
    expect(c.site()).not.toBe(oldSite);
    expect((sim.node('S').handle as ServerHandle).head()).toBe(3);
  });

  it('with a server that never acknowledges, waits nukePushTimeoutMs and no longer, then keeps all of them unsaved', async () => {
    const sim = new Simulation({ seed: 11, trace: { keepAll: true }, net: { latencyMs: 2, jitterMs: 0, tailProbability: 0 } });
    let held = false;
    // The server's appends hang once `held` (a disk that stopped answering): Pings still answered, the connection stays open.
    const gate = (): Promise<void> => (held ? new Promise<void>(() => undefined) : Promise.resolve());
    sim.addNode('S', { device: 'S', program: (env) => startServer(env, { db: 'd', schema: 1, appendGate: gate }) });
    sim.addNode('C', { device: 'C', program: (env) => startClient(env, { server: 'S', db: 'd', schema: 1, nukePushTimeoutMs: 3_000 }) });
    sim.start('S');
    sim.start('C');
    await sim.run({ untilUs: 2_000_000 });
    const c = sim.node('C').handle as ClientHandle;
    expect(c.status().status).toBe('synced');
    held = true;
    let written: number[] | null = null;
    void Promise.all([1, 2, 3].map((i) => c.write('t', `p${i}`, 'c', `v${i}`))).then((v) => (written = v));
    for (let t = 1, from = sim.nowUs(); t <= 5_000 && written === null; t++) await sim.run({ untilUs: from + t * 1_000 });
    expect(c.status().pending).toBe(3);
    const startedUs = sim.nowUs();
    let result: { pushed: number; exported: number } | null = null;
    let doneUs = 0;
    void c.nuke().then((r) => {
      result = r;
      doneUs = sim.nowUs();
    });
    for (let t = 1; t <= 1_000 && result === null; t++) await sim.run({ untilUs: startedUs + t * 10_000 });
    expect(result).toEqual({ pushed: 0, exported: 3 });
    // Up to nukePushTimeoutMs: the wait ends at 3 s (then the close and the wipe's commit, a few ms), not a poll later.
    const tookMs = (doneUs - startedUs) / 1000;
    expect(tookMs).toBeGreaterThanOrEqual(3_000);
    expect(tookMs).toBeLessThan(3_025);
  });
});
