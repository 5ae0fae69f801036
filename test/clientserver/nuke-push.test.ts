/**
 * Nuke and Resync with changes pending on a ready connection (docs/client-server.md, "Nuke and Resync",
 * step 1): the built-in client (client.ts) against the real server, one short simulation. The pending
 * changes are pushed on that connection (no connection of its own), and the Nuke goes on as soon as their
 * ACKs are recorded: nothing is kept unsaved, and the user does not wait out `nukePushTimeoutMs`.
 */
import { describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../src/impl/clientserver/client.ts';
import { startServer, type ServerHandle } from '../../src/impl/clientserver/server.ts';
import { encode, type CsMessage, type LoggedChange } from '../../src/impl/clientserver/messages.ts';
import { EnvError, type Connection, type Env, type KvStore, type Value } from '../../src/impl/env.ts';
import { Simulation } from '../../src/sim/simulation.ts';

/** A synced client C of the real server S (`server`: the server's extra options), then three writes durable locally. */
async function syncedWithThreePending(server: Partial<Parameters<typeof startServer>[1]> = {}, beforeWrites: () => void = () => {}): Promise<{ sim: Simulation; c: ClientHandle; written: number[] | null }> {
  const sim = new Simulation({ seed: 11, trace: { keepAll: true }, net: { latencyMs: 2, jitterMs: 0, tailProbability: 0 } });
  sim.addNode('S', { device: 'S', program: (env) => startServer(env, { db: 'd', schema: 1, ...server }) });
  sim.addNode('C', { device: 'C', program: (env) => startClient(env, { server: 'S', db: 'd', schema: 1, nukePushTimeoutMs: 3_000 }) });
  sim.start('S');
  sim.start('C');
  await sim.run({ untilUs: 2_000_000 });
  const c = sim.node('C').handle as ClientHandle;
  expect(c.status().status).toBe('synced');
  beforeWrites();
  let written: number[] | null = null;
  void Promise.all([1, 2, 3].map((i) => c.write('t', `p${i}`, 'c', `v${i}`))).then((v) => (written = v));
  for (let t = 1, from = sim.nowUs(); t <= 5_000 && written === null; t++) await sim.run({ untilUs: from + t * 1_000 });
  expect(c.status().pending).toBe(3);
  return { sim, c, written };
}

/** Clicks Nuke and Resync and runs the simulation in `stepUs` steps (at most `steps`) until it ends. */
async function nukeAndWait(sim: Simulation, c: ClientHandle, stepUs: number, steps: number): Promise<{ result: { pushed: number; exported: number } | null; tookMs: number }> {
  const startedUs = sim.nowUs();
  let result: { pushed: number; exported: number } | null = null;
  let doneUs = 0;
  void c.nuke().then((r) => {
    result = r;
    doneUs = sim.nowUs();
  });
  for (let t = 1; t <= steps && result === null; t++) await sim.run({ untilUs: startedUs + t * stepUs });
  return { result, tookMs: (doneUs - startedUs) / 1000 };
}

describe('Nuke and Resync with changes pending on a ready connection', () => {
  it('pushes them on that connection and goes on once they are acknowledged: all pushed, none unsaved, well before the push timeout', async () => {
    // Three writes; the Nuke as soon as they are durable locally, before the server acknowledged them.
    const { sim, c, written } = await syncedWithThreePending();
    expect(written).toEqual([1, 2, 3]);
    const oldSite = c.site();
    const established = () => sim.trace.records()!.filter((r) => r.node === 'C' && r.kind === 'net.established').length;
    const connections = established();
    const { result, tookMs } = await nukeAndWait(sim, c, 50_000, 100);
    expect(result).toEqual({ pushed: 3, exported: 0 });
    // Pushed on the ready connection: no other connection was opened before the Nuke ended.
    expect(established()).toBe(connections);
    // It went on at the ACKs (a few round trips and commits), not at nukePushTimeoutMs.
    expect(tookMs).toBeLessThan(1_000);
    expect(c.site()).not.toBe(oldSite);
    expect((sim.node('S').handle as ServerHandle).head()).toBe(3);
    // Step 4's report.
    const reported = sim.trace.records()!.filter((r) => r.node === 'C' && r.kind === 'cs.nuke');
    expect(reported.map((r) => r.data)).toEqual([{ pushed: 3, exported: 0, unsaved: 0, site: c.site() }]);
  });

  it('with a server that never acknowledges, waits nukePushTimeoutMs and no longer, then keeps all of them unsaved', async () => {
    let held = false;
    // The server's appends hang once `held` (a disk that stopped answering): Pings still answered, the connection stays open.
    const gate = (): Promise<void> => (held ? new Promise<void>(() => undefined) : Promise.resolve());
    const { sim, c } = await syncedWithThreePending({ appendGate: gate }, () => (held = true));
    const { result, tookMs } = await nukeAndWait(sim, c, 10_000, 1_000);
    expect(result).toEqual({ pushed: 0, exported: 3 });
    // Up to nukePushTimeoutMs: the wait ends at 3 s (then the close and the wipe's commit, a few ms), not a poll later.
    expect(tookMs).toBeGreaterThanOrEqual(3_000);
    expect(tookMs).toBeLessThan(3_025);
  });
});

/**
 * A scripted server at S: `answer` decides what it sends back to each message (Pings always get their Pong);
 * every message it received is kept.
 */
function scriptedWorld(answer: (m: Record<string, Value>) => CsMessage[], kvFails: { next: Error | null } = { next: null }, listening = true) {
  const sim = new Simulation({ seed: 13, trace: { keepAll: true }, net: { latencyMs: 2, jitterMs: 0, tailProbability: 0 } });
  const got: Record<string, Value>[] = [];
  const conns: Connection[] = [];
  sim.addNode('S', {
    device: 'S',
    program: (env) => {
      if (!listening) return null;
      env.net.listen((conn) => {
        conns.push(conn);
        conn.onMessage((raw) => {
          const m = raw as Record<string, Value>;
          got.push(m);
          const out = m.type === 'Ping' ? [{ type: 'Pong', n: m.n } as CsMessage] : answer(m);
          for (const o of out) if (conn.open) conn.send(encode(o));
        });
      });
      return null;
    },
  });
  sim.addNode('C', {
    device: 'C',
    program: (env) => {
      // The client's kv store, whose next transaction fails with `kvFails.next` once it is set.
      const kv: KvStore = {
        transaction: (stores, mode, fn, options) => {
          const e = kvFails.next;
          kvFails.next = null;
          return e !== null ? Promise.reject(e) : env.kv.transaction(stores, mode, fn, options);
        },
      };
      return startClient(Object.assign(Object.create(env) as Env, { kv }), { server: 'S', db: 'd', schema: 1, nukePushTimeoutMs: 3_000 });
    },
  });
  sim.start('S');
  sim.start('C');
  const client = () => sim.node('C').handle as ClientHandle;
  /** Writes `n` changes and waits until they are durable locally. */
  const write = async (n: number): Promise<void> => {
    let done = false;
    void Promise.all(Array.from({ length: n }, (_, i) => client().write('t', `w${i}`, 'c', `v${i}`))).then(() => (done = true));
    for (let t = 1, from = sim.nowUs(); t <= 5_000 && !done; t++) await sim.run({ untilUs: from + t * 1_000 });
    expect(done).toBe(true);
  };
  /** Runs a Nuke to its end (at most 10 s): its result, or the error it failed with; `at1s` runs 1 s into it. */
  const nuke = async (at1s?: () => void): Promise<{ pushed: number; exported: number } | { error: string }> => {
    let out: { pushed: number; exported: number } | { error: string } | null = null;
    void client().nuke().then(
      (r) => (out = r),
      (e: unknown) => (out = { error: String(e) }),
    );
    for (let t = 1, from = sim.nowUs(); t <= 1_000 && out === null; t++) {
      await sim.run({ untilUs: from + t * 10_000 });
      if (t === 100) at1s?.();
    }
    return out ?? { error: 'did not end' };
  };
  return { sim, got, conns, client, write, nuke };
}

describe("Nuke and Resync's own connection", () => {
  it('a server that never answers the Hello: the Nuke keeps every pending change unsaved and ends', async () => {
    const w = scriptedWorld(() => []);
    await w.sim.run({ untilUs: 1_000_000 });
    await w.write(2);
    // Meanwhile (its own handshake under way) the footer shows connecting.
    let meanwhile = '';
    expect(await w.nuke(() => (meanwhile = w.client().status().status))).toEqual({ pushed: 0, exported: 2 });
    expect(meanwhile).toBe('connecting');
    expect(w.got.filter((m) => m.type === 'Push')).toEqual([]);
    expect(w.client().status().unsaved).toBe(2);
  });

  it('a server that cannot be reached: the Nuke keeps every pending change unsaved and ends', async () => {
    const w = scriptedWorld(() => [], { next: null }, false);
    await w.sim.run({ untilUs: 1_000_000 });
    await w.write(2);
    expect(await w.nuke()).toEqual({ pushed: 0, exported: 2 });
    expect(w.client().status().unsaved).toBe(2);
  });

  it('a server of the same lineage whose log ends below the cursor (restored from an old copy) is pushed nothing', async () => {
    const change: LoggedChange = { table: 't', pk: 'x', col: 'c', value: 'from the server', colVersion: 1, dbVersion: 1, site: 'other', seq: 1 };
    let restored = false;
    const w = scriptedWorld((m) => {
      if (m.type !== 'Hello') return [];
      if (!restored) return [{ type: 'Welcome', db: 'd', site: 'srv-1', schema: 1, head: 1, acked: 0, total: 1, bytes: 15 }, { type: 'Changes', changes: [change] }];
      return [{ type: 'Welcome', db: 'd', site: 'srv-1', schema: 1, head: 0, acked: 0, total: 0, bytes: 0 }];
    });
    await w.sim.run({ untilUs: 1_000_000 });
    expect(w.client().get('t', 'x', 'c')).toBe('from the server');
    restored = true;
    for (const c of w.conns) c.close();
    await w.sim.run({ untilUs: 3_000_000 });
    expect(w.client().status().status).toBe('incompatible');
    await w.write(1);
    const pushes = w.got.filter((m) => m.type === 'Push').length;
    expect(await w.nuke()).toEqual({ pushed: 0, exported: 1 });
    expect(w.got.filter((m) => m.type === 'Push').length).toBe(pushes);
  });

  it('a local storage error during its push ends the push, is traced (cs.client.store-error), and the Nuke still ends keeping the changes', async () => {
    // The first Hello is never answered (the sync connection never gets ready), the Nuke's own is.
    let hellos = 0;
    const kvFails: { next: Error | null } = { next: null };
    const w = scriptedWorld((m) => (m.type === 'Hello' && ++hellos > 1 ? [{ type: 'Welcome', db: 'd', site: 'srv-1', schema: 1, head: 0, acked: 0, total: 0, bytes: 0 }] : []), kvFails);
    await w.sim.run({ untilUs: 1_000_000 });
    await w.write(2);
    expect(hellos).toBe(1);
    const failure = new EnvError('EIO', `the disk is gone ${'.'.repeat(150)}`);
    kvFails.next = failure;
    expect(await w.nuke()).toEqual({ pushed: 0, exported: 2 });
    expect(kvFails.next).toBeNull();
    expect(hellos).toBe(2);
    expect(w.got.filter((m) => m.type === 'Push')).toEqual([]);
    const traced = w.sim.trace.records()!.filter((r) => r.node === 'C' && r.kind === 'cs.client.store-error');
    expect(traced.map((r) => r.data)).toEqual([{ error: failure.message.slice(0, 120) }]);
  });
});

