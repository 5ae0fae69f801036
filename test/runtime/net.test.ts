import { connect as tcpConnect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connection, Value } from '../../src/impl/env.ts';
import type { NodeEnvHandle } from '../../src/runtime/node/index.ts';
import { EnvPool, tempDir, waitFor, within } from './helpers.ts';

/** Collects what a connection delivers. */
function record(conn: Connection): { messages: Value[]; closes: string[] } {
  const got = { messages: [] as Value[], closes: [] as string[] };
  conn.onMessage((m) => got.messages.push(m));
  conn.onClose((r) => got.closes.push(r));
  return got;
}

describe('runtime network over loopback TCP', () => {
  const pool = new EnvPool();
  let dir: { path: string; remove: () => Promise<void> };
  let a: NodeEnvHandle;
  let b: NodeEnvHandle;
  let accepted: Connection[];

  beforeEach(async () => {
    dir = await tempDir();
    a = await pool.create({ nodeId: 'a', dataDir: `${dir.path}/a`, connectTimeoutMs: 2000 });
    b = await pool.create({ nodeId: 'b', dataDir: `${dir.path}/b`, peers: { a: a.port } });
    a.setPeer('b', b.port);
    accepted = [];
    b.env.net.listen((c) => accepted.push(c));
  });
  afterEach(async () => {
    await pool.closeAll();
    await dir.remove();
  });

  it('connects with both ends naming each other and delivers messages in order, binary included', async () => {
    expect(a.port).toBeGreaterThan(0);
    const conn = await within(3000, 'connect', a.env.net.connect('b'));
    expect(conn.peer).toBe('b');
    expect(conn.open).toBe(true);
    for (let i = 0; i < 200; i++) conn.send({ type: 'n', i, bytes: new Uint8Array([i & 255]) });
    await waitFor(3000, 'an accepted connection', () => accepted.length === 1);
    const server = accepted[0]!;
    expect(server.peer).toBe('a');
    const got = record(server); // set after messages may have arrived: they are buffered, not lost
    await waitFor(3000, '200 messages', () => got.messages.length === 200);
    expect(got.messages.map((m) => (m as { i: number }).i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((got.messages[7] as { bytes: Uint8Array }).bytes).toEqual(new Uint8Array([7]));
    server.send('pong');
    const back = record(conn);
    await waitFor(3000, 'the reply', () => back.messages.length === 1);
    expect(back.messages).toEqual(['pong']);
  });

  it('a clean close is "closed" on both ends and later sends throw ECLOSED', async () => {
    const conn = await within(3000, 'connect', a.env.net.connect('b'));
    const mine = record(conn);
    await waitFor(3000, 'accept', () => accepted.length === 1);
    const theirs = record(accepted[0]!);
    conn.send('last words');
    conn.close();
    expect(conn.open).toBe(false);
    expect(() => conn.send('more')).toThrow(expect.objectContaining({ code: 'ECLOSED' }));
    await waitFor(3000, 'close on the accepting end', () => theirs.closes.length === 1);
    expect(theirs.messages).toEqual(['last words']);
    expect(theirs.closes).toEqual(['closed']);
    expect(mine.closes).toEqual(['closed']);
    expect(accepted[0]!.open).toBe(false);
  });

  it('closing an env resets its connections at the peer', async () => {
    const conn = await within(3000, 'connect', a.env.net.connect('b'));
    const mine = record(conn);
    await b.close();
    await waitFor(3000, 'reset', () => mine.closes.length === 1);
    expect(mine.closes).toEqual(['reset']);
  });

  it('refuses unknown addresses, nodes that do not listen and ports that answer as another node', async () => {
    await expect(a.env.net.connect('nobody')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(b.env.net.connect('a')).rejects.toThrow(/does not listen/);
    a.setPeer('c', b.port); // a stale peer table: 'c' is really 'b'
    await expect(a.env.net.connect('c')).rejects.toThrow(/this is 'b', not 'c'/);
    const closed = await pool.create({ nodeId: 'gone', dataDir: `${dir.path}/gone` });
    a.setPeer('gone', closed.port);
    await closed.close();
    await expect(within(3000, 'connect to a closed port', a.env.net.connect('gone'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('times out a connect whose handshake is never answered', async () => {
    const { createServer } = await import('node:net');
    const mute = createServer((s) => void s.on('error', () => {})); // accepts TCP, never answers the hello
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const port = (mute.address() as { port: number }).port;
    a.setPeer('mute', port);
    try {
      await expect(within(3000, 'connect', a.env.net.connect('mute', { timeoutMs: 100 }))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    } finally {
      mute.close();
    }
  });

  it('resets a connection whose peer sends a malformed frame', async () => {
    const raw = tcpConnect({ host: '127.0.0.1', port: b.port });
    raw.on('error', () => {}); // the reset under test
    await new Promise<void>((r) => raw.once('connect', () => r()));
    raw.write('{"hello":"x","to":"b"}\n');
    await waitFor(3000, 'accept', () => accepted.length === 1);
    const got = record(accepted[0]!);
    raw.write('{"ok":1}\nnot json\n');
    await waitFor(3000, 'reset', () => got.closes.length === 1);
    expect(got.messages).toEqual([{ ok: 1 }]);
    expect(got.closes).toEqual(['reset']);
    raw.destroy();
  });

  it('refuses messages that are not Values or are too big, at the sender', async () => {
    const small = await pool.create({ nodeId: 's', dataDir: `${dir.path}/s`, peers: { b: b.port }, messageBytesMax: 100 });
    const conn = await within(3000, 'connect', small.env.net.connect('b'));
    expect(() => conn.send({ when: new Date() } as unknown as Value)).toThrow(/message.when is a Date/);
    expect(() => conn.send('x'.repeat(200))).toThrow(/messageBytesMax=100/);
  });

  it('fails to start on a port already taken, naming it', async () => {
    await expect(pool.create({ nodeId: 'dup', dataDir: `${dir.path}/dup`, port: a.port })).rejects.toThrow(
      new RegExp(`listen on 127\\.0\\.0\\.1:${a.port}`),
    );
    const { createSocket } = await import('node:dgram');
    const udp = createSocket('udp4');
    const free = await new Promise<number>((r) => udp.bind(0, '127.0.0.1', () => r(udp.address().port)));
    try {
      await expect(pool.create({ nodeId: 'dup', dataDir: `${dir.path}/dup`, port: free })).rejects.toThrow(/bind UDP 127\.0\.0\.1/);
    } finally {
      udp.close();
    }
  });

  it('delivers datagrams over UDP on the same port', async () => {
    const got: [string, Value][] = [];
    b.env.net.onDatagram((from, m) => got.push([from, m]));
    a.env.net.sendDatagram('b', { ping: new Uint8Array([1]) });
    a.env.net.sendDatagram('nobody', 'dropped'); // unknown address: lost, as datagrams may be
    await waitFor(3000, 'a datagram', () => got.length === 1);
    expect(got).toEqual([['a', { ping: new Uint8Array([1]) }]]);
    expect(() => a.env.net.sendDatagram('b', 'x'.repeat(70_000))).toThrow(/more than 65507/);
  });
});
