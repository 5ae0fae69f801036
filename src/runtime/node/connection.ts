/**
 * One end of a TCP connection after the handshake: the `Connection` an implementation holds.
 *
 * - Messages are lines of codec.ts JSON. Messages that arrive before a message handler is set are
 *   buffered (up to `bufferLengthMax`; one more resets the connection) and delivered first, in order.
 * - A close learned before a close handler is set is reported when it is set.
 * - `close()` ends the stream (FIN): messages already sent still arrive, then the other end gets
 *   'closed'; so does this end. A socket error, a malformed frame or a peer whose env closed ('crashed')
 *   gives 'reset'.
 * - Bounded: a message longer than `messageBytesMax` is refused at the sender (RangeError); when more than
 *   `writeBytesMax` bytes wait to be sent the peer is not reading and the connection is reset.
 * - After the env closed nothing is delivered and nothing is sent.
 * An exception thrown by a handler is rethrown outside the socket's event (an uncaught exception, as in
 * any Node program) after the connection state is updated.
 */
import type { Socket } from 'node:net';
import { EnvError, type Connection, type Tracer, type Value } from '../../impl/env.ts';
import { decodeValue, encodeValue } from './codec.ts';
import type { Life } from './life.ts';

/** Limits of one connection. */
export interface ConnectionLimits {
  readonly messageBytesMax: number;
  readonly bufferLengthMax: number;
  readonly writeBytesMax: number;
}

/**
 * Observes an env's frames for a run trace's evidence (`fact.peer.*`): each frame sent (a connection's line,
 * a datagram's payload) and each that arrived, decoded, before the implementation's handler sees it.
 */
export interface WireTap {
  sent(to: string, frame: string): void;
  arrived(from: string, frame: string, message: Value): void;
}

/** Rethrows `error` outside the current event, so it is reported as an uncaught exception. */
export function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** One end of an established connection. */
export class RuntimeConnection implements Connection {
  private closed = false;
  private closedLocally = false;
  private handler: ((message: Value) => void) | null = null;
  private closeHandler: ((reason: 'closed' | 'reset') => void) | null = null;
  private pendingClose: 'closed' | 'reset' | null = null;
  private buffered: Value[] = [];
  private flushing = false;

  constructor(
    private readonly life: Life,
    private readonly socket: Socket,
    private readonly trace: Tracer,
    private readonly limits: ConnectionLimits,
    readonly id: string,
    readonly peer: string,
    private readonly wire: WireTap | null = null,
  ) {
    socket.on('end', () => this.ended('closed'));
    socket.on('error', () => this.ended('reset'));
    socket.on('close', () => this.ended('reset')); // no-op after 'end' or 'error' was handled
  }

  /** True until closed or reset. */
  get open(): boolean {
    return !this.closed;
  }

  /** Sends one message; throws ECLOSED once closed, a TypeError for a non-Value, a RangeError when too big. */
  send(message: Value): void {
    if (!this.life.live) return;
    if (this.closed) throw new EnvError('ECLOSED', `connection ${this.id} to '${this.peer}' is closed`);
    const line = encodeValue(message, 'message');
    if (line.length > this.limits.messageBytesMax && Buffer.byteLength(line) > this.limits.messageBytesMax) {
      throw new RangeError(`message to '${this.peer}' is longer than messageBytesMax=${this.limits.messageBytesMax} bytes`);
    }
    if (this.socket.writableLength > this.limits.writeBytesMax) {
      this.reset(`more than ${this.limits.writeBytesMax} bytes wait to be sent`);
      throw new EnvError('ECLOSED', `connection ${this.id} to '${this.peer}' was reset: the peer does not read`);
    }
    this.wire?.sent(this.peer, line);
    this.socket.write(`${line}\n`);
  }

  /** Sets the message handler; messages that arrived before it are delivered first, in order. */
  onMessage(handler: (message: Value) => void): void {
    if (typeof handler !== 'function') throw new TypeError(`onMessage of ${this.id}: handler must be a function`);
    this.handler = handler;
    if (this.buffered.length > 0 && !this.flushing) {
      this.flushing = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sets the close handler; a close learned before it was set is reported now (asynchronously). */
  onClose(handler: (reason: 'closed' | 'reset') => void): void {
    if (typeof handler !== 'function') throw new TypeError(`onClose of ${this.id}: handler must be a function`);
    this.closeHandler = handler;
    const pending = this.pendingClose;
    if (pending === null) return;
    this.pendingClose = null;
    queueMicrotask(() => this.report(pending));
  }

  /** Closes this end; the other end gets 'closed' after the messages already sent. */
  close(): void {
    if (!this.life.live || this.closed) return;
    this.closed = true;
    this.closedLocally = true;
    this.buffered = [];
    this.trace.emit('net.close', { conn: this.id, reason: 'closed', local: true });
    this.socket.end();
    queueMicrotask(() => this.report('closed'));
  }

  /** Net layer: one received line. */
  arrive(line: string): void {
    if (this.closedLocally || !this.life.live) return;
    let message: Value;
    try {
      message = decodeValue(line);
    } catch (e) {
      return this.reset(`malformed frame: ${String(e)}`);
    }
    this.wire?.arrived(this.peer, line, message);
    if (this.handler !== null && this.buffered.length === 0) return this.dispatch(message);
    if (this.buffered.length >= this.limits.bufferLengthMax) {
      return this.reset(`${this.limits.bufferLengthMax} messages buffered without a message handler (bufferLengthMax)`);
    }
    this.buffered.push(message);
  }

  /** Net layer: the stream is unusable (a framing error); resets the connection. */
  reset(why: string): void {
    if (this.closed) return;
    this.trace.emit('net.reset', { conn: this.id, reason: 'protocol', why });
    this.socket.resetAndDestroy();
    this.ended('reset');
  }

  private ended(reason: 'closed' | 'reset'): void {
    if (this.closed || !this.life.live) return;
    this.closed = true;
    if (reason === 'closed') this.socket.end();
    this.trace.emit('net.close', { conn: this.id, reason });
    this.report(reason);
  }

  private report(reason: 'closed' | 'reset'): void {
    if (!this.life.live) return;
    if (this.closeHandler === null) {
      this.pendingClose = reason;
      return;
    }
    try {
      this.closeHandler(reason);
    } catch (e) {
      rethrowLater(e);
    }
  }

  private flush(): void {
    this.flushing = false;
    while (this.buffered.length > 0 && this.handler !== null && !this.closedLocally && this.life.live) {
      this.dispatch(this.buffered.shift()!);
    }
  }

  private dispatch(message: Value): void {
    try {
      this.handler!(message);
    } catch (e) {
      rethrowLater(e);
    }
  }
}
