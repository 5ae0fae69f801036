/**
 * The sync server (server.ts) answering scripted clients over the simulated network: what it takes from a
 * session before and after the handshake, what it does with a message it cannot decode, and the operator's
 * writes (ServerHandle.exec): stored, relayed to live sessions with the server's site, each cell's column
 * version one above the one it replaces. Fast (one short simulation per test).
 */
import { describe, expect, it } from 'vitest';
import type { Connection, Value } from '../../src/impl/env.ts';
import { encode, type Change } from '../../src/impl/clientserver/messages.ts';
import { startServer, type ServerHandle } from '../../src/impl/clientserver/server.ts';
import { Simulation } from '../../src/sim/simulation.ts';

type Wire = Record<string, Value> & { type: string };

interface World {
  sim: Simulation;
  server(): ServerHandle;
  /** Opens a connection from the scripted client node to the server; `got` collects what it receives. */
  open(): Promise<{ conn: Connection; got: Wire[] }>;
  advance(ms: number): Promise<void>;
  /** The server's trace records of `kind`. */
  recs(kind: string): Record<string, unknown>[];
}

async function world(appendGate?: () => Promise<void>): Promise<World> {
  const sim = new Simulation({ seed: 5, trace: { keepAll: true }, net: { latencyMs: 1, jitterMs: 0, tailProbability: 0 } });
  sim.addNode('S', { device: 'S', program: (env) => startServer(env, { db: 'd', schema: 1, blockSize: 256, appendGate }) });
  let client: { connect(): Promise<Connection> } | null = null;
  sim.addNode('C', {
    device: 'C',
    program: (env) => {
      client = { connect: () => env.net.connect('S', { timeoutMs: 1_000 }) };
      return client;
    },
  });
  sim.start('S');
  sim.start('C');
  const advance = async (ms: number): Promise<void> => {
    await sim.run({ untilUs: sim.nowUs() + ms * 1000 });
  };
  await advance(500);
  if (client === null || sim.node('S').handle === undefined) throw new Error('the server or the client did not start');
  return {
    sim,
    server: () => sim.node('S').handle as ServerHandle,
    open: async () => {
      const p = client!.connect();
      await advance(20);
      const conn = await p;
      const got: Wire[] = [];
      conn.onMessage((m) => got.push(m as Wire));
      return { conn, got };
    },
    advance,
    recs: (kind) => sim.trace.records()!.filter((r) => r.node === 'S' && r.kind === kind).map((r) => r.data),
  };
}

const change = (site: string, v: number): Change => ({ table: 't', pk: `p${v}`, col: 'c', value: `${site} ${v}`, colVersion: 1, dbVersion: v, site });
const hello = (client: string, schema = 1, cursor = 0) => encode({ type: 'Hello', db: 'd', schema, client, server: null, cursor });

describe('the sync server and its sessions', () => {
  it('takes a Push only after a compatible handshake: not before the Hello, not after an incompatible Welcome', async () => {
    const w = await world();
    const a = await w.open();
    a.conn.send(encode({ type: 'Push', changes: [change('site-a', 1)] }));
    await w.advance(200);
    expect(a.got).toEqual([]);
    expect(w.server().head()).toBe(0);
    // The same connection after its Hello: taken, relayed to the live sessions (this one too), acknowledged once durable.
    a.conn.send(hello('site-a'));
    await w.advance(200);
    a.conn.send(encode({ type: 'Push', changes: [change('site-a', 1)] }));
    await w.advance(500);
    expect(a.got.map((m) => m.type)).toEqual(['Welcome', 'Changes', 'Ack']);
    expect(a.got[1]).toEqual({ type: 'Changes', changes: [{ ...change('site-a', 1), seq: 1 }] });
    expect(a.got[2]).toEqual({ type: 'Ack', upTo: 1 });
    expect(w.server().head()).toBe(1);
    expect(w.server().schema()).toBe(1);
    expect(w.recs('cs.server.append')).toEqual([{ client: 'site-a', n: 1, skipped: 0, upTo: 1, head: 1 }]);
    // Another schema: told who the server is and nothing else; its Push is not taken.
    const b = await w.open();
    b.conn.send(hello('site-b', 2));
    await w.advance(200);
    b.conn.send(encode({ type: 'Push', changes: [change('site-b', 1)] }));
    await w.advance(500);
    expect(b.got.map((m) => [m.type, m.total])).toEqual([['Welcome', 0]]);
    expect(w.server().head()).toBe(1);
    // The first session, live, was relayed nothing more: nothing was committed after its Ack.
    expect(a.got.length).toBe(3);
  });

  it('closes a session that says Hello twice or names another database; tells a client of another lineage, or one ahead of its head, who it is and nothing else', async () => {
    const w = await world();
    const a = await w.open();
    a.conn.send(encode({ type: 'Push', changes: [] }));
    a.conn.send(hello('site-a'));
    await w.advance(200);
    a.conn.send(encode({ type: 'Push', changes: [change('site-a', 1), change('site-a', 2)] }));
    await w.advance(500);
    expect(w.server().head()).toBe(2);
    // A second Hello on the same session: closed.
    a.conn.send(hello('site-a'));
    await w.advance(200);
    expect(a.conn.open).toBe(false);
    // Another database: closed without a Welcome.
    const b = await w.open();
    b.conn.send(encode({ type: 'Hello', db: 'other', schema: 1, client: 'site-b', server: null, cursor: 0 }));
    await w.advance(200);
    expect(b.got).toEqual([]);
    expect(b.conn.open).toBe(false);
    // A client of another server's lineage, or one whose cursor is past the head (the server lost changes it
    // had): a Welcome with no changes, and nothing relayed after it.
    for (const [client, server, ahead] of [['site-c', 'another-server', 0], ['site-d', null, 1]] as const) {
      const cursor = ahead === 0 ? 1 : w.server().head() + ahead;
      const c = await w.open();
      c.conn.send(encode({ type: 'Hello', db: 'd', schema: 1, client, server, cursor }));
      await w.advance(200);
      expect(c.got.map((m) => [m.type, m.total]), client).toEqual([['Welcome', 0]]);
      w.server().exec([{ table: 't', pk: 'x', col: 'c', value: client }]);
      await w.advance(500);
      expect(c.got.map((m) => m.type), client).toEqual(['Welcome']);
      expect(w.recs('cs.server.hello').at(-1), client).toMatchObject({ client, compatible: false });
    }
    // The same lineage at its head: compatible, and relayed the operator's next write.
    const e = await w.open();
    e.conn.send(encode({ type: 'Hello', db: 'd', schema: 1, client: 'site-e', server: w.server().site(), cursor: w.server().head() }));
    await w.advance(200);
    expect(e.got.map((m) => [m.type, m.total])).toEqual([['Welcome', 0]]);
    w.server().exec([{ table: 't', pk: 'y', col: 'c', value: 'e' }]);
    await w.advance(500);
    expect(e.got.map((m) => m.type)).toEqual(['Welcome', 'Changes']);
  });

  it('traces a message it cannot decode as cs.server.invalid {conn} and otherwise ignores it', async () => {
    const w = await world();
    const a = await w.open();
    a.conn.send({ type: 'Push', changes: 'not a list' });
    await w.advance(200);
    expect(w.recs('cs.server.invalid')).toEqual([{ conn: a.conn.id }]);
    // A well-formed message only a server sends: invalid from a client too.
    a.conn.send(encode({ type: 'Pong', n: 1 }));
    await w.advance(200);
    expect(w.recs('cs.server.invalid')).toEqual([{ conn: a.conn.id }, { conn: a.conn.id }]);
    expect(a.got).toEqual([]);
    a.conn.send(hello('site-a'));
    await w.advance(200);
    expect(a.got.map((m) => m.type)).toEqual(['Welcome']);
  });

  it("stores the operator's writes, relays them to live sessions with the server's site, one column version above the cell's", async () => {
    const w = await world();
    const a = await w.open();
    a.conn.send(hello('site-a'));
    await w.advance(200);
    const site = w.server().site();
    const head = w.server().exec([
      { table: 't', pk: 'x', col: 'c', value: 'one' },
      { table: 't', pk: 'y', col: 'c', value: null },
    ]);
    await w.advance(500);
    expect(await head).toBe(2);
    const again = w.server().exec([{ table: 't', pk: 'x', col: 'c', value: 'two' }]);
    await w.advance(500);
    expect(await again).toBe(3);
    const relayed = a.got.filter((m) => m.type === 'Changes').flatMap((m) => m.changes as unknown as Record<string, Value>[]);
    expect(relayed.map((c) => [c.seq, c.pk, c.value, c.colVersion, c.site, c.dbVersion])).toEqual([
      [1, 'x', 'one', 1, site, 1],
      [2, 'y', null, 1, site, 2],
      [3, 'x', 'two', 2, site, 3],
    ]);
    expect(w.recs('cs.server.exec')).toEqual([{ n: 2, head: 2 }, { n: 1, head: 3 }]);
    // A new session downloads the same log.
    const b = await w.open();
    b.conn.send(hello('site-b'));
    await w.advance(200);
    expect(b.got[0]).toMatchObject({ type: 'Welcome', head: 3, total: 3 });
    expect(b.got.slice(1).flatMap((m) => m.changes as unknown as Record<string, Value>[]).map((c) => [c.seq, c.value, c.colVersion])).toEqual([
      [1, 'one', 1],
      [2, null, 1],
      [3, 'two', 2],
    ]);
  });

  it('a Push whose commit fails is not acknowledged, its session is closed, and the failure traced (cs.server.store-error)', async () => {
    const failure = new Error(`EIO: the disk is gone ${'.'.repeat(150)}`);
    const w = await world(() => Promise.reject(failure));
    const a = await w.open();
    a.conn.send(hello('site-a'));
    await w.advance(200);
    a.conn.send(encode({ type: 'Push', changes: [change('site-a', 1)] }));
    await w.advance(500);
    expect(a.got.map((m) => m.type)).toEqual(['Welcome']);
    expect(a.conn.open).toBe(false);
    expect(w.server().head()).toBe(0);
    expect(w.recs('cs.server.store-error')).toEqual([{ error: failure.message.slice(0, 120) }]);
  });
});

