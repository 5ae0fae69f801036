/**
 * Reliable ordered connections (WebSocket-like) on top of the links.
 *
 * A connection (`Conn`, here) has two ends (`ConnEnd`, end.ts: the `Connection` objects the nodes hold)
 * and two directions (`Pipe`, pipe.ts). Everything that crosses the network, the handshake included,
 * travels in a pipe as a packet: SYN (client -> server), SYN-ACK or RST (server -> client), DATA, and
 * FIN after the last DATA of a closing end. This file holds the connection's state machine:
 *   connecting --SYN-ACK--> open --FIN / reset--> finished;  connecting --RST / timeout / reset--> finished.
 *
 * Kernel and application: arrivals change the connection's state at once (the kernel), while what the
 * application sees (handlers, promise settlements, `open` turning false) goes through
 * `node.deliver`/`node.after`, so a paused node gets it on resume, in order, and a crashed incarnation
 * never does.
 */
import { EnvError, type Connection, type EnvErrorCode, type Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { NetCore } from './core.ts';
import { ConnEnd } from './end.ts';
import { DATA, FIN, Pipe, RST, SYN, SYNACK, type Packet, type Side } from './pipe.ts';
import { messageBytes, messageType } from '../../impl/seam/value.ts';

/** Why a connection was reset (traced as net.reset {reason}). */
export type ResetReason = 'crash' | 'fault' | 'timeout' | 'abandoned';

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
