/**
 * The real runtime's Net: TCP on 127.0.0.1 for connections and UDP on the same port number for datagrams.
 * Addresses are node ids, mapped to ports by a peer table (`options.peers`, `handle.setPeer`).
 *
 * Handshake (one JSON line each way, before any message):
 *   dialer   -> {"hello": "<dialer id>", "to": "<address it wants>"}
 *   acceptor -> {"welcome": "<acceptor id>"}  or  {"refused": "<why>"} and the stream ends
 * so `conn.peer` is right on both ends and a dialer that reached the wrong node (a stale peer table)
 * gets ECONNREFUSED instead of a connection to someone else. A node with no listen handler refuses.
 * Only loopback is used, ever: the server binds 127.0.0.1 and connects go to 127.0.0.1.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { EnvError, type Connection, type Net, type Tracer } from '../../impl/env.ts';
import { RuntimeConnection, rethrowLater, type ConnectionLimits, type WireTap } from './connection.ts';
import { DatagramSocket } from './datagram.ts';
import { toEnvError } from './errors.ts';
import { LineReader } from './framing.ts';
import type { Life } from './life.ts';

/** The only host the runtime talks to. */
export const LOOPBACK = '127.0.0.1';
/** Longest handshake line, bytes. */
const HANDSHAKE_BYTES_MAX = 4096;

/** Settings of the network of one env. */
export interface NetSettings {
  readonly nodeId: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly limits: ConnectionLimits;
  /** The run trace's observer of frames, or null. */
  readonly wire: WireTap | null;
}

/** A started network: the Net facet plus its port and peer table. */
export interface RuntimeNet {
  readonly net: Net;
  /** The TCP and UDP port this env listens on. */
  readonly port: number;
  /** Sets (or replaces) the port of peer `id`. */
  setPeer(id: string, port: number): void;
}

/** Starts the network of one env (TCP server and UDP socket); close() of `life` stops both. */
export async function startNet(life: Life, settings: NetSettings, peers: Map<string, number>, trace: Tracer): Promise<RuntimeNet> {
  const sockets = new Set<Socket>();
  let handler: ((conn: Connection) => void) | null = null;
  let connCount = 0;
  const nextId = (): string => `${settings.nodeId}/${++connCount}`;

  const { server, port, udp } = await bindPorts(settings, trace, (socket) => {
    track(sockets, socket);
    accept(life, settings, socket, () => handler, nextId, trace);
  });
  life.onClose(async () => {
    for (const s of sockets) s.resetAndDestroy(); // peers see 'reset', as after a crash
    sockets.clear();
    await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), udp.close()]);
  });

  const portOf = (address: string): number | undefined => peers.get(address);
  const net: Net = {
    address: settings.nodeId,
    listen: (h) => {
      if (typeof h !== 'function') throw new TypeError('listen: handler must be a function');
      if (life.live) handler = h;
    },
    connect: (address, options) =>
      life.run(() => {
        const timeoutMs = options?.timeoutMs ?? settings.connectTimeoutMs;
        if (typeof address !== 'string' || address === '') throw new TypeError(`connect: address must be a non-empty string`);
        if (!(timeoutMs > 0)) throw new RangeError(`connect: options.timeoutMs must be > 0, got ${String(timeoutMs)}`);
        const target = portOf(address);
        if (target === undefined) throw new EnvError('ECONNREFUSED', `no port known for '${address}' (options.peers or handle.setPeer)`);
        return dial(life, settings, address, target, timeoutMs, sockets, nextId(), trace);
      }),
    sendDatagram: (to, message) => {
      if (!life.live) return;
      udp.send(to, portOf(to), message);
    },
    onDatagram: (h) => {
      if (typeof h !== 'function') throw new TypeError('onDatagram: handler must be a function');
      udp.onDatagram((from, message) => {
        if (life.live) h(from, message);
      });
    },
  };
  return {
    net,
    port,
    setPeer: (id, p) => void peers.set(id, p),
  };
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {}); // reported through the connection or the handshake
  socket.setNoDelay(true);
}

/** Attempts at finding an ephemeral port free for both TCP and UDP. */
const EPHEMERAL_ATTEMPTS = 5;

/**
 * Listens on TCP and binds UDP on the same port. With port 0 the TCP port is picked by the OS and, in the
 * rare case that its UDP twin is taken, another one is tried (up to EPHEMERAL_ATTEMPTS times).
 */
async function bindPorts(
  settings: NetSettings,
  trace: Tracer,
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; port: number; udp: DatagramSocket }> {
  for (let attempt = 1; ; attempt++) {
    const server = createServer(onSocket);
    const port = await listen(server, settings.port);
    try {
      return { server, port, udp: await DatagramSocket.bind(settings.nodeId, port, trace, settings.wire) };
    } catch (e) {
      server.close();
      if (settings.port !== 0 || attempt >= EPHEMERAL_ATTEMPTS) throw e;
    }
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (e) => reject(toEnvError(e, `listen on ${LOOPBACK}:${port}`)));
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return reject(new EnvError('EIO', 'listen: no TCP address'));
      resolve(addr.port);
    });
  });
}

/** Feeds the socket's lines to whatever `target()` is at the time (handshake first, then the connection). */
function readLines(socket: Socket, reader: LineReader, target: () => (line: string) => void, onError: (e: unknown) => void): void {
  socket.on('data', (chunk: Buffer) => {
    try {
      reader.feed(chunk, (line) => target()(line));
    } catch (e) {
      onError(e);
    }
  });
}

/** Acceptor side: waits for the hello, answers, and hands the connection to the listen handler. */
function accept(
  life: Life,
  settings: NetSettings,
  socket: Socket,
  handler: () => ((conn: Connection) => void) | null,
  nextId: () => string,
  trace: Tracer,
): void {
  const reader = new LineReader(Math.max(HANDSHAKE_BYTES_MAX, settings.limits.messageBytesMax));
  let conn: RuntimeConnection | null = null;
  const timer = setTimeout(() => socket.resetAndDestroy(), settings.connectTimeoutMs);
  socket.on('close', () => clearTimeout(timer));
  const refuse = (why: string): void => {
    clearTimeout(timer);
    socket.end(`${JSON.stringify({ refused: why })}\n`);
  };
  const onHello = (line: string): void => {
    if (conn !== null) return conn.arrive(line);
    const hello = parseObject(line);
    const h = handler();
    if (typeof hello?.hello !== 'string' || hello.hello === '') return refuse('bad handshake');
    if (hello.to !== settings.nodeId) return refuse(`this is '${settings.nodeId}', not '${String(hello.to)}'`);
    if (h === null || !life.live) return refuse(`'${settings.nodeId}' does not listen`);
    clearTimeout(timer);
    socket.write(`${JSON.stringify({ welcome: settings.nodeId })}\n`);
    conn = new RuntimeConnection(life, socket, trace, settings.limits, nextId(), hello.hello, settings.wire);
    trace.emit('net.accept', { conn: conn.id, from: conn.peer, to: settings.nodeId });
    try {
      h(conn);
    } catch (e) {
      rethrowLater(e);
    }
  };
  readLines(socket, reader, () => onHello, (e) => (conn !== null ? conn.reset(String(e)) : socket.resetAndDestroy()));
}

/** Dialer side: connects, sends the hello and waits for the welcome. */
function dial(
  life: Life,
  settings: NetSettings,
  address: string,
  port: number,
  timeoutMs: number,
  sockets: Set<Socket>,
  id: string,
  trace: Tracer,
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    const socket = tcpConnect({ host: LOOPBACK, port });
    track(sockets, socket);
    const reader = new LineReader(Math.max(HANDSHAKE_BYTES_MAX, settings.limits.messageBytesMax));
    let conn: RuntimeConnection | null = null;
    let settled = false;
    const fail = (error: EnvError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.resetAndDestroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new EnvError('ETIMEDOUT', `connect to '${address}' (port ${port}) timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (e) => fail(toEnvError(e, `connect to '${address}'`) as EnvError));
    socket.once('close', () => fail(new EnvError('ECONNREFUSED', `'${address}' closed the connection during the handshake`)));
    socket.once('connect', () => socket.write(`${JSON.stringify({ hello: settings.nodeId, to: address })}\n`));
    const onWelcome = (line: string): void => {
      if (conn !== null) return conn.arrive(line);
      if (settled) return;
      const answer = parseObject(line);
      if (answer?.welcome !== address) {
        const why = typeof answer?.refused === 'string' ? answer.refused : 'bad handshake answer';
        return fail(new EnvError('ECONNREFUSED', `connect to '${address}' refused: ${why}`));
      }
      settled = true;
      clearTimeout(timer);
      conn = new RuntimeConnection(life, socket, trace, settings.limits, id, address, settings.wire);
      trace.emit('net.connect', { conn: id, from: settings.nodeId, to: address });
      resolve(conn);
    };
    readLines(socket, reader, () => onWelcome, (e) => (conn !== null ? conn.reset(String(e)) : fail(new EnvError('ECONNREFUSED', String(e)))));
  });
}

function parseObject(line: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
