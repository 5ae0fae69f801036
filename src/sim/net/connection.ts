/**
 * Reliable ordered connections (WebSocket-like) on top of the links.
 *
 * A connection (`Conn`) has two ends (`ConnEnd`, the `Connection` objects the two nodes hold) and two
 * directions (`Pipe`). Everything that crosses the network, the handshake included, travels in a pipe as
 * a packet: SYN (client -> server), SYN-ACK or RST (server -> client), DATA, and FIN after the last DATA
 * of a closing end. A pipe delivers in order, one packet per scheduler event, each after its latency but
 * never before the packet ahead of it (head-of-line blocking, as TCP).
 *
 * Held traffic: when a pipe's head is due but the direction is blocked (partition, isolation, clog,
 * stall), the pipe is held; traffic resumes in order, re-timed by one latency, when the network tells
 * it the block is gone. A pipe held longer than connTimeoutMs resets the connection (both ends, at once),
 * except a SYN still waiting to get through, which only the caller's connect timeout ends.
 *
 * Kernel and application: arrivals change the connection's state at once (the kernel), while what the
 * application sees (handlers, promise settlements, `open` turning false) goes through
 * `node.deliver`/`node.after`, so a paused node gets it on resume, in order, and a crashed incarnation
 * never does.
 */
import { EnvError, type Connection, type EnvErrorCode, type Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { NetCore } from './core.ts';
import { Fifo } from './fifo.ts';
import type { Link } from './link.ts';
import { copyMessage, messageBytes, messageType } from './value.ts';

const DATA = 0;
const SYN = 1;
const SYNACK = 2;
const RST = 3;
const FIN = 4;
type PacketKind = typeof DATA | typeof SYN | typeof SYNACK | typeof RST | typeof FIN;

/** What travels in a pipe. */
interface Packet {
  kind: PacketKind;
  /** Position among the DATA packets of its direction (from 1); 0 for control packets. */
  seq: number;
  /** Virtual time at which it may arrive, µs. */
  arriveUs: number;
  message: Value;
  /** The message's string `type` field, for the trace. */
  type: string | undefined;
}

/** Why a connection was reset (traced as net.reset {reason}). */
export type ResetReason = 'crash' | 'fault' | 'timeout' | 'abandoned';

/** Which end: 0 is the client (the caller of connect), 1 the server. */
type Side = 0 | 1;

/** Outcome of consulting the fault interceptors for an operation. */
export type FaultDecision = 'go' | 'stop' | 'crash-after';

/** Applies an injected fault to a network operation: throws an EnvError for 'error', crashes for 'crash'. */
export function decideFault(core: NetCore, node: SimNode, op: 'send' | 'datagram' | 'connect', target: string): FaultDecision {
  const action = core.fault(node, op, target);
  if (action === null) return 'go';
  if (action.type === 'error') throw new EnvError(action.code, `injected fault at net.${op} to '${target}'`);
  if (action.type === 'crash') {
    if (action.when === 'after') return 'crash-after';
    core.crash(node);
    return 'stop';
  }
  core.badAction(action, op);
  return 'stop';
}

/** One direction of a connection: an ordered queue of packets and the event that delivers its head. */
export class Pipe {
  readonly queue = new Fifo<Packet>();
  private nextSeq = 1;
  private pumpEv = -1;
  private heldSinceUs = -1;
  private holdEv = -1;
  private readonly pumpFn = (): void => this.pump();
  private readonly holdTimeoutFn = (): void => {
    this.holdEv = -1;
    this.conn.reset('timeout', null);
  };

  constructor(
    private readonly core: NetCore,
    readonly conn: Conn,
    /** The sending side (0: client -> server). */
    readonly side: Side,
    readonly link: Link,
  ) {}

  /** Number of DATA packets not yet delivered. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Queues a packet after the ones ahead; returns its seq (DATA) or 0. */
  enqueue(kind: PacketKind, message: Value, type: string | undefined): number {
    const now = this.core.sim.nowUs();
    let at = now + this.link.latencyUs(this.link.connRng);
    const tail = this.queue.last();
    if (tail !== undefined && tail.arriveUs > at) at = tail.arriveUs;
    const seq = kind === DATA ? this.nextSeq++ : 0;
    this.queue.push({ kind, seq, arriveUs: at, message, type });
    if (this.pumpEv === -1 && this.heldSinceUs < 0) this.schedule(this.queue.peek()!.arriveUs);
    return seq;
  }

  private schedule(atUs: number): void {
    this.pumpEv = this.core.sim.scheduler.at(atUs, this.pumpFn);
  }

  /** Delivers the head if it is due and the direction is open; holds the pipe if it is blocked. */
  private pump(): void {
    this.pumpEv = -1;
    const head = this.queue.peek();
    if (head === undefined) return;
    const now = this.core.sim.nowUs();
    if (head.arriveUs > now) return this.schedule(head.arriveUs);
    if (this.core.connBlocked(this.link)) return this.hold(now);
    this.queue.shift();
    const next = this.queue.peek();
    if (next !== undefined) this.schedule(next.arriveUs);
    this.conn.arrive(this.side, head);
  }

  private hold(now: number): void {
    if (this.heldSinceUs >= 0) return;
    this.heldSinceUs = now;
    this.core.heldPipes.add(this);
    const waitingSyn = this.side === 0 && this.conn.state === 'connecting';
    if (!waitingSyn) this.holdEv = this.core.sim.scheduler.after(this.core.connTimeoutUs, this.holdTimeoutFn);
  }

  /** True while traffic is held. */
  get held(): boolean {
    return this.heldSinceUs >= 0;
  }

  /** Lets held traffic flow again: in order, the first packet one latency from now. */
  resume(): void {
    if (this.heldSinceUs < 0) return;
    this.heldSinceUs = -1;
    this.cancelHoldTimer();
    this.core.heldPipes.delete(this);
    const now = this.core.sim.nowUs();
    let prev = now + this.link.latencyUs(this.link.connRng);
    for (let i = 0; i < this.queue.length; i++) {
      const p = this.queue.at(i)!;
      if (p.arriveUs < prev) p.arriveUs = prev;
      else prev = p.arriveUs;
    }
    const head = this.queue.peek();
    if (head !== undefined) this.schedule(head.arriveUs);
  }

  /** Drops everything queued and stops; returns the number of DATA packets dropped. */
  clear(): number {
    if (this.pumpEv !== -1) this.core.sim.scheduler.cancel(this.pumpEv);
    this.pumpEv = -1;
    this.cancelHoldTimer();
    this.heldSinceUs = -1;
    this.core.heldPipes.delete(this);
    let data = 0;
    for (let i = 0; i < this.queue.length; i++) if (this.queue.at(i)!.kind === DATA) data++;
    this.queue.clear();
    return data;
  }

  private cancelHoldTimer(): void {
    if (this.holdEv !== -1) this.core.sim.scheduler.cancel(this.holdEv);
    this.holdEv = -1;
  }
}

/** Settles the caller's connect promise. */
interface Settle {
  resolve: (conn: Connection) => void;
  reject: (error: EnvError) => void;
}

/** A connection between a client end and a server end. */
export class Conn {
  /** connecting: handshake under way; open: established; finished: closed or reset (pipes empty). */
  state: 'connecting' | 'open' | 'finished' = 'connecting';
  readonly client: ConnEnd;
  server: ConnEnd | null = null;
  /** [client -> server, server -> client]. */
  readonly pipes: readonly [Pipe, Pipe];
  private finishedBy: 'closed' | 'reset' = 'closed';
  private settle: Settle | null = null;
  private connectTimer = -1;

  constructor(
    private readonly core: NetCore,
    readonly id: string,
    clientNode: SimNode,
    clientInc: number,
    readonly serverId: string,
  ) {
    this.client = new ConnEnd(core, this, 0, clientNode, clientInc, serverId);
    this.pipes = [
      new Pipe(core, this, 0, core.link(clientNode.id, serverId)),
      new Pipe(core, this, 1, core.link(serverId, clientNode.id)),
    ];
  }

  /** Id of the client node. */
  get clientId(): string {
    return this.client.node.id;
  }

  /** The end on `side`, or null (the server end before the SYN arrived). */
  end(side: Side): ConnEnd | null {
    return side === 0 ? this.client : this.server;
  }

  /** Sends the SYN and arms the caller's connect timeout. */
  start(timeoutUs: number, settle: Settle): void {
    this.settle = settle;
    this.core.index(this, this.clientId);
    this.core.stats.connects++;
    this.core.sim.trace.emit(this.clientId, 'net.connect', { conn: this.id, from: this.clientId, to: this.serverId });
    this.pipes[0].enqueue(SYN, null, undefined);
    const { node, inc } = this.client;
    this.connectTimer = node.after(inc, timeoutUs, () => this.connectTimedOut());
  }

  /** A packet from the other side arrived at `toSide`'s kernel. */
  arrive(fromSide: Side, p: Packet): void {
    const toSide: Side = fromSide === 0 ? 1 : 0;
    switch (p.kind) {
      case DATA:
        return this.end(toSide)!.arrive(p);
      case SYN:
        return this.onSyn();
      case SYNACK:
        return this.onSynAck();
      case RST:
        return this.onRst();
      case FIN:
        return this.onFin(toSide);
    }
  }

  private onSyn(): void {
    const target = this.core.sim.nodes.get(this.serverId);
    const reg = this.core.listeners.get(this.serverId);
    if (target === undefined || reg === undefined || !target.isLive(reg.inc)) {
      this.pipes[1].enqueue(RST, null, undefined);
      return;
    }
    const end = new ConnEnd(this.core, this, 1, target, reg.inc, this.clientId);
    this.server = end;
    this.core.index(this, this.serverId);
    this.core.stats.accepted++;
    this.core.sim.trace.emit(this.serverId, 'net.accept', { conn: this.id, from: this.clientId, to: this.serverId });
    this.pipes[1].enqueue(SYNACK, null, undefined);
    target.deliver(reg.inc, () => {
      const now = this.core.listeners.get(this.serverId);
      if (now !== undefined && now.inc === reg.inc) now.handler(end);
    });
  }

  private onSynAck(): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    this.core.sim.scheduler.cancel(this.connectTimer);
    const settle = this.takeSettle();
    const { node, inc } = this.client;
    node.deliver(inc, () => {
      this.core.sim.trace.emit(node.id, 'net.established', { conn: this.id, to: this.serverId });
      settle?.resolve(this.client);
    });
  }

  private onRst(): void {
    if (this.state !== 'connecting') return;
    this.finish('closed');
    this.core.stats.refused++;
    const { node, inc } = this.client;
    node.deliver(inc, () => {
      this.core.sim.trace.emit(node.id, 'net.refused', { conn: this.id, to: this.serverId });
      this.failConnect('ECONNREFUSED', `'${this.serverId}' refused the connection (down or not listening)`);
    });
  }

  private onFin(toSide: Side): void {
    const end = this.end(toSide)!;
    this.finish('closed');
    end.notifyClose('closed', 0);
  }

  private connectTimedOut(): void {
    if (this.state !== 'connecting') return;
    this.core.stats.timedOut++;
    this.core.sim.trace.emit(this.clientId, 'net.timeout', { conn: this.id, to: this.serverId });
    const settle = this.takeSettle();
    if (this.server !== null) this.reset('abandoned', 0);
    else this.finish('reset');
    settle?.reject(new EnvError('ETIMEDOUT', `connect to '${this.serverId}' timed out (${this.id})`));
  }

  private takeSettle(): Settle | null {
    const s = this.settle;
    this.settle = null;
    return s;
  }

  private failConnect(code: EnvErrorCode, message: string): void {
    this.takeSettle()?.reject(new EnvError(code, `${message} (${this.id})`));
  }

  /** Sends a message from `side` (the end has checked that it is open). */
  sendData(side: Side, message: Value): void {
    const from = this.end(side)!.node.id;
    const to = side === 0 ? this.serverId : this.clientId;
    const type = messageType(message);
    const stats = this.core.stats;
    stats.sent++;
    if (this.state === 'finished') {
      stats.dropped++;
      this.core.sim.trace.emit(from, 'net.send', sendRecord(this.id, to, 0, type, message));
      this.core.sim.trace.emit(from, 'net.drop', { conn: this.id, reason: this.finishedBy });
      return;
    }
    const pipe = this.pipes[side];
    if (pipe.backlog >= this.core.config.queueLengthMax) {
      const what = `${this.id} from '${from}' to '${to}' has ${this.core.config.queueLengthMax} messages queued`;
      this.core.limitExceeded(from, 'net.queueLengthMax', `${what} (net.queueLengthMax)`);
      return;
    }
    const seq = pipe.enqueue(DATA, message, type);
    this.core.sim.trace.emit(from, 'net.send', sendRecord(this.id, to, seq, type, message));
  }

  /** `side` closed its end: a FIN follows its last message. */
  close(side: Side): void {
    if (this.state === 'finished') return;
    this.pipes[side].enqueue(FIN, null, undefined);
  }

  /**
   * Breaks the connection: traffic in flight is dropped and live ends are told 'reset' (a connecting
   * client's promise rejects). `origin` is the side that caused it: it learns at once, the other side one
   * latency later (or after connTimeoutMs when cut off); with null both learn at once.
   */
  reset(reason: ResetReason, origin: Side | null): void {
    const wasConnecting = this.state === 'connecting';
    if (!this.finish('reset')) return;
    this.core.stats.resets++;
    const originNode = origin === null ? null : this.end(origin)!.node.id;
    this.core.sim.trace.emit(originNode ?? 'sim', 'net.reset', { conn: this.id, reason });
    for (const side of [0, 1] as const) {
      const end = this.end(side);
      if (end === null || !end.live) continue;
      const delayUs =
        originNode === null || origin === side ? 0 : this.core.noticeDelayUs(originNode, end.node.id);
      if (side === 0 && wasConnecting) {
        const code: EnvErrorCode = reason === 'timeout' ? 'ETIMEDOUT' : 'ECONNREFUSED';
        const message = `connection to '${this.serverId}' was reset (${reason})`;
        end.node.after(end.inc, delayUs, () => this.failConnect(code, message));
      } else end.notifyClose('reset', delayUs);
    }
  }

  /** Ends the connection's traffic; returns false if it already ended. */
  private finish(by: 'closed' | 'reset'): boolean {
    if (this.state === 'finished') return false;
    this.state = 'finished';
    this.finishedBy = by;
    if (this.connectTimer !== -1) this.core.sim.scheduler.cancel(this.connectTimer);
    const dropped = this.pipes[0].clear() + this.pipes[1].clear();
    if (dropped > 0) {
      this.core.stats.dropped += dropped;
      this.core.sim.trace.emit('sim', 'net.drop', { conn: this.id, reason: by, count: dropped });
    }
    this.core.unindex(this, this.clientId);
    this.core.unindex(this, this.serverId);
    return true;
  }
}

function sendRecord(conn: string, to: string, seq: number, type: string | undefined, message: Value): Record<string, unknown> {
  const rec: Record<string, unknown> = { conn, to, seq };
  if (type !== undefined) rec.type = type;
  const bytes = messageBytes(message);
  if (bytes !== undefined) rec.bytes = bytes;
  return rec;
}

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
    const copy = copyMessage(message);
    const decision = decideFault(this.core, this.node, 'send', this.peer);
    if (decision === 'stop') return;
    this.conn.sendData(this.side, copy);
    if (decision === 'crash-after') this.core.crash(this.node);
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
    this.handler!(p.message);
  }

  private drop(p: Packet, reason: string): void {
    this.core.stats.dropped++;
    this.core.sim.trace.emit(this.node.id, 'net.drop', { conn: this.id, seq: p.seq, reason });
  }
}
