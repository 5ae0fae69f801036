/**
 * Datagrams of the real runtime: UDP on 127.0.0.1, on the same port number as the env's TCP server.
 * A datagram is one JSON object `{"from": "<sender id>", "m": <message as codec.ts JSON>}`.
 * Unreliable by design: a datagram to an address with no known port is dropped (traced as
 * 'net.datagram-drop'), and so is anything received that is not a well-formed datagram.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Tracer, Value } from '../../impl/env.ts';
import { fromJson, toJson } from './codec.ts';
import type { WireTap } from './connection.ts';
import { toEnvError } from './errors.ts';

/** Largest UDP payload on loopback (IPv4 limit), bytes; a bigger datagram is a RangeError at the sender. */
export const DATAGRAM_BYTES_MAX = 65_507;

/** The UDP socket of one env. */
export class DatagramSocket {
  private handler: ((from: string, message: Value) => void) | null = null;

  private constructor(
    private readonly nodeId: string,
    private readonly socket: Socket,
    private readonly trace: Tracer,
    private readonly wire: WireTap | null,
  ) {
    socket.on('message', (buf) => this.receive(buf));
    socket.on('error', () => {}); // datagrams are unreliable: send errors are losses
  }

  /** Binds 127.0.0.1:`port` for UDP. */
  static bind(nodeId: string, port: number, trace: Tracer, wire: WireTap | null = null): Promise<DatagramSocket> {
    const socket = createSocket({ type: 'udp4' });
    return new Promise<DatagramSocket>((resolve, reject) => {
      socket.once('error', (e) => reject(toEnvError(e, `bind UDP 127.0.0.1:${port}`)));
      socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => resolve(new DatagramSocket(nodeId, socket, trace, wire)));
    });
  }

  /** Sends `message` to the env on `port` (undefined: unknown address, the datagram is dropped). */
  send(to: string, port: number | undefined, message: Value): void {
    const text = JSON.stringify({ from: this.nodeId, m: toJson(message, 'message', 0) });
    const payload = Buffer.from(text);
    if (payload.length > DATAGRAM_BYTES_MAX) {
      throw new RangeError(`datagram to '${to}' is ${payload.length} bytes, more than ${DATAGRAM_BYTES_MAX}`);
    }
    if (port === undefined) {
      this.trace.emit('net.datagram-drop', { to, why: 'no port known' });
      return;
    }
    this.wire?.sent(to, text);
    this.socket.send(payload, port, '127.0.0.1');
  }

  /** Sets the handler of received datagrams. */
  onDatagram(handler: (from: string, message: Value) => void): void {
    this.handler = handler;
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private receive(buf: Buffer): void {
    let from: unknown;
    let message: Value;
    const text = buf.toString('utf8');
    try {
      const d = JSON.parse(text) as { from?: unknown; m?: unknown };
      from = d.from;
      if (d.m === undefined) throw new TypeError('no message');
      message = fromJson(d.m, 'message', 0);
    } catch {
      this.trace.emit('net.datagram-drop', { why: 'malformed' });
      return;
    }
    if (typeof from !== 'string' || this.handler === null) return;
    this.wire?.arrived(from, text, message);
    this.handler(from, message);
  }
}
