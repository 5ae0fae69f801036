/**
 * One direction of a connection (`Pipe`) and what travels in it (`Packet`): an ordered queue delivered
 * one packet per scheduler event, each after its latency but never before the packet ahead of it
 * (head-of-line blocking, as TCP).
 *
 * Held traffic: when the head is due but the direction is blocked (partition, isolation, clog, stall),
 * the pipe is held; it resumes in order, re-timed by one latency, when the network says the block is
 * gone. Held longer than connTimeoutMs, the connection is reset (both ends, at once), except a SYN still
 * waiting to get through, which only the caller's connect timeout ends.
 */
import type { Value } from '../../impl/env.ts';
import type { Conn } from './connection.ts';
import type { NetCore } from './core.ts';
import { Fifo } from '../fifo.ts';
import type { Link } from './link.ts';

/** Packet kinds: application data, and the handshake and teardown controls. */
export const DATA = 0;
export const SYN = 1;
export const SYNACK = 2;
export const RST = 3;
export const FIN = 4;
/** One of the packet kinds. */
export type PacketKind = typeof DATA | typeof SYN | typeof SYNACK | typeof RST | typeof FIN;

/** Which end: 0 is the client (the caller of connect), 1 the server. */
export type Side = 0 | 1;

/** What travels in a pipe. */
export interface Packet {
  kind: PacketKind;
  /** Position among the DATA packets of its direction (from 1); 0 for control packets. */
  seq: number;
  /** Virtual time at which it may arrive, µs. */
  arriveUs: number;
  /** Virtual time at which it was sent, µs (for delivery observers). */
  sentUs: number;
  message: Value;
  /** The message's string `type` field, for the trace. */
  type: string | undefined;
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

  /** Packets (data and control) not yet delivered. */
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
    this.queue.push({ kind, seq, arriveUs: at, sentUs: now, message, type });
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
