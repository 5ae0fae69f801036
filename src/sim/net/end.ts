/**
 * One end of a connection: the `Connection` object a node holds. What the application sees (handlers,
 * `open` turning false) goes through `node.deliver`/`node.after`, so a paused node gets it on resume, in
 * order, and a crashed incarnation never does. Messages that arrive before a handler is set are buffered
 * (up to bufferLengthMax) and delivered first, in order, once it is.
 */
import { EnvError, type Connection, type Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Conn } from './connection.ts';
import type { NetCore } from './core.ts';
import { decideFault } from './fault.ts';
import { Fifo } from '../fifo.ts';
import type { Packet, Side } from './pipe.ts';
import { copyValue } from '../../impl/seam/value.ts';

/** One end of a connection: the `Connection` a node holds. */
export class ConnEnd implements Connection {
  readonly id: string;
  private closed = false;
  private closedLocally = false;
  private notified = false;
  private handler: ((message: Value) => void) | null = null;
  private closeHandler: ((reason: 'closed' | 'reset') => void) | null = null;
  private pendingClose: 'closed' | 'reset' | null = null;
  private readonly buffered = new Fifo<Packet>();
  private flushing = false;
  private readonly flushFn = (): void => this.flushOne();

  constructor(
    private readonly core: NetCore,
    private readonly conn: Conn,
    private readonly side: Side,
    readonly node: SimNode,
    readonly inc: number,
    readonly peer: string,
  ) {
    this.id = conn.id;
  }

  /** True until this end closed or learned that the connection closed or was reset. */
  get open(): boolean {
    return !this.closed;
  }

  /** True while this end's incarnation is up. */
  get live(): boolean {
    return this.node.isLive(this.inc);
  }

  /** Sends a deep copy of `message`; throws ECLOSED once closed, or an injected fault's code. */
  send(message: Value): void {
    if (!this.live) return;
    if (this.closed) throw new EnvError('ECLOSED', `connection ${this.id} to '${this.peer}' is closed`);
    const copy = copyValue(message);
    const decision = decideFault(this.core, this.node, 'send', this.peer);
    if (decision === 'stop') return;
    this.conn.sendData(this.side, copy);
    if (decision !== 'go') this.core.crash(this.node, decision.crashAfter);
  }

  /** Sets the message handler; messages that arrived before it was set are delivered first, in order. */
  onMessage(handler: (message: Value) => void): void {
    if (!this.live) return;
    if (typeof handler !== 'function') throw new TypeError(`onMessage of ${this.id}: handler must be a function`);
    this.handler = handler;
    if (this.buffered.length > 0 && !this.flushing) {
      this.flushing = true;
      this.node.after(this.inc, 0, this.flushFn);
    }
  }

  /** Sets the close handler; a close learned before it was set is reported when it is set. */
  onClose(handler: (reason: 'closed' | 'reset') => void): void {
    if (!this.live) return;
    if (typeof handler !== 'function') throw new TypeError(`onClose of ${this.id}: handler must be a function`);
    this.closeHandler = handler;
    const pending = this.pendingClose;
    if (pending === null) return;
    this.pendingClose = null;
    this.node.after(this.inc, 0, () => this.closeHandler?.(pending));
  }

  /** Closes this end: messages already sent still arrive, then the other end gets 'closed'; so does this end. */
  close(): void {
    if (!this.live || this.closed) return;
    this.closed = true;
    this.closedLocally = true;
    this.notified = true;
    this.core.sim.trace.emit(this.node.id, 'net.close', { conn: this.id, reason: 'closed', local: true });
    this.conn.close(this.side);
    this.node.after(this.inc, 0, () => this.reportClose('closed'));
  }

  /** Kernel: a DATA packet arrived for this end. */
  arrive(p: Packet): void {
    if (this.closedLocally) return this.drop(p, 'closed');
    this.node.deliver(this.inc, () => this.handOver(p));
  }

  /** Kernel: the connection ended; this end's application learns after `delayUs`. */
  notifyClose(reason: 'closed' | 'reset', delayUs: number): void {
    if (this.notified) return;
    this.notified = true;
    this.node.after(this.inc, delayUs, () => {
      if (this.closed) return;
      this.closed = true;
      this.core.sim.trace.emit(this.node.id, 'net.close', { conn: this.id, reason });
      this.reportClose(reason);
    });
  }

  private reportClose(reason: 'closed' | 'reset'): void {
    if (this.closeHandler !== null) this.closeHandler(reason);
    else this.pendingClose = reason;
  }

  private handOver(p: Packet): void {
    if (this.closedLocally) return this.drop(p, 'closed');
    if (this.handler !== null && this.buffered.length === 0) return this.dispatch(p);
    if (this.buffered.length >= this.core.config.bufferLengthMax) {
      const limit = this.core.config.bufferLengthMax;
      const what = `${this.id} at '${this.node.id}' buffered ${limit} messages without a message handler`;
      return this.core.limitExceeded(this.node.id, 'net.bufferLengthMax', `${what} (net.bufferLengthMax)`);
    }
    this.buffered.push(p);
  }

  private flushOne(): void {
    const p = this.buffered.shift();
    if (p !== undefined && this.closedLocally) this.drop(p, 'closed');
    else if (p !== undefined && this.handler !== null) this.dispatch(p);
    if (this.buffered.length > 0 && this.handler !== null) this.node.after(this.inc, 0, this.flushFn);
    else this.flushing = false;
  }

  private dispatch(p: Packet): void {
    const rec: Record<string, unknown> = { conn: this.id, from: this.peer, seq: p.seq };
    if (p.type !== undefined) rec.type = p.type;
    this.core.sim.trace.emit(this.node.id, 'net.deliver', rec);
    this.core.stats.delivered++;
    this.core.onDeliver?.(this.peer, this.node.id, p.message, p.sentUs);
    this.handler!(p.message);
  }

  private drop(p: Packet, reason: string): void {
    this.core.stats.dropped++;
    this.core.sim.trace.emit(this.node.id, 'net.drop', { conn: this.id, seq: p.seq, reason });
  }
}
