/**
 * The simulated network: directional links between every pair of nodes (addresses are node ids) with a
 * long-tail latency distribution, reliable ordered connections, unreliable datagrams, and the fault API
 * the fault injectors drive (partitions, isolation, link settings, clogs, stalls, resets).
 *
 * Semantics in one place (details in connection.ts and datagram.ts):
 * - Connections: `connect` resolves after a handshake round trip when the target is up and listening;
 *   rejects ECONNREFUSED when it is down or not listening, ETIMEDOUT when the handshake does not complete
 *   within the timeout (e.g. partitioned). Messages arrive in order, exactly once, unless the connection
 *   breaks. `close()` reaches the other end after the messages sent before it; both ends get 'closed'.
 * - Across a partition, isolation, clog or stall, connection traffic is held (a retransmitting TCP) and
 *   flows in order when the block ends; held longer than connTimeoutMs, the connection is reset at
 *   both ends. Datagrams across a partition are lost; on a clogged link they are held.
 * - A node going down resets its connections: in-flight traffic is dropped and the peer learns 'reset'
 *   one latency later (or after connTimeoutMs when cut off, as a timeout would tell it).
 * - Faults at operations: `sim.intercept({area: 'net', op: 'send' | 'datagram' | 'connect', ...})`;
 *   'error' makes send/sendDatagram throw and connect reject with that code, 'crash' crashes the sender
 *   (a process crash; 'after' lets the operation happen first).
 * - Randomness: each link direction draws from its own streams `net/<from>-><to>` (connections) and
 *   `net/<from>-><to>/dgram` (datagrams), so one link's traffic never shifts another's draws.
 *
 * Observers: `observeDeliveries` sees each delivered message (evidence recorders, src/evidence); it
 * itself changes nothing in the run (what an observer emits is its own business).
 *
 * Trace kinds: net.listen, net.connect, net.accept, net.established, net.refused, net.timeout, net.send,
 * net.deliver, net.drop, net.dup, net.close, net.reset, net.partition, net.heal, net.isolate, net.rejoin,
 * net.link, net.defaultLink, net.clog, net.unclog, net.stall, net.resetConnections. Message contents are
 * never traced; a message's string `type` field is (as `type`).
 */
import type { Net } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';
import { NetCore, type DeliveryObserver, type NetStats } from './core.ts';
import { releaseHeld } from './datagram.ts';
import { NetFacet } from './facet.ts';
import type { Link } from './link.ts';
import { checkLinkFaults, positive, type LinkFaults, type NetSpec } from './spec.ts';

export type { LinkFaults, NetSpec } from './spec.ts';
export type { DeliveryObserver, NetStats } from './core.ts';
export { ValueCloneError } from '../../impl/seam/value.ts';

/** Options of a partition. */
export interface PartitionOptions {
  /** Block only traffic from side A to side B. Default false (both ways). */
  oneWay?: boolean;
}

/** The network of one simulation. */
export class SimNetwork {
  private readonly core: NetCore;

  /** Validates `spec` (RangeError naming the field) and registers for node lifecycle events. */
  constructor(
    readonly sim: Simulation,
    spec: NetSpec,
  ) {
    this.core = new NetCore(sim, spec);
    sim.onLifecycle({ nodeDown: (node) => this.nodeDown(node) });
  }

  /** The `Net` of incarnation `inc` of `node`. */
  facet(node: SimNode, inc: number): Net {
    return new NetFacet(this.core, node, inc);
  }

  /**
   * Calls `observer(from, to, message, sentUs)` for every message handed to a node's handler, after its
   * `net.deliver` record and before the handler (evidence recorders decode what was delivered; the
   * observer must not mutate the message). Several observers run in the order they were added.
   */
  observeDeliveries(observer: DeliveryObserver): void {
    const before = this.core.onDeliver;
    this.core.onDeliver =
      before === null
        ? observer
        : (from, to, message, sentUs) => {
            before(from, to, message, sentUs);
            observer(from, to, message, sentUs);
          };
  }

  /** A copy of the counters. */
  stats(): NetStats {
    return { ...this.core.stats };
  }

  /** The settings in effect on the link from `from` to `to`. */
  linkFaults(from: string, to: string): LinkFaults {
    this.core.requireNode(from, 'linkFaults from');
    this.core.requireNode(to, 'linkFaults to');
    return { ...this.core.link(from, to).faults };
  }

  /** Number of connections not yet finished that involve `node` (for tests and leak checks). */
  connectionCount(node: string): number {
    return this.core.byNode.get(node)?.size ?? 0;
  }

  // ---------------------------------------------------------------- fault API

  /** Blocks traffic between the sides (only A -> B with oneWay). Returns an id for `heal`. */
  partition(sideA: string[], sideB: string[], options: PartitionOptions = {}): number {
    const a = this.side(sideA, 'partition sideA');
    const b = this.side(sideB, 'partition sideB');
    for (const n of a) if (b.includes(n)) throw new RangeError(`partition: node '${n}' is on both sides`);
    const oneWay = options.oneWay ?? false;
    if (typeof oneWay !== 'boolean') throw new RangeError(`partition options.oneWay must be a boolean`);
    const id = this.core.reach.add(a, b, oneWay);
    this.core.sim.trace.emit('sim', 'net.partition', { id, a, b, oneWay });
    return id;
  }

  /** Ends partition `id` (healing one already healed does nothing; an id never issued throws). */
  heal(id: number): void {
    if (!this.core.reach.issued(id)) throw new RangeError(`heal: no partition ${String(id)} was ever created`);
    if (!this.core.reach.remove(id)) return;
    this.core.sim.trace.emit('sim', 'net.heal', { id });
    this.unblocked();
  }

  /**
   * Restores full connectivity: ends every partition, isolation, clog and stall (link settings such as
   * latency and loss rates stay as they are).
   */
  healAll(): void {
    const trace = this.core.sim.trace;
    for (const id of this.core.reach.removeAll()) trace.emit('sim', 'net.heal', { id });
    for (const node of this.core.reach.isolatedNodes()) {
      this.core.reach.rejoin(node);
      trace.emit('sim', 'net.rejoin', { node });
    }
    this.core.reach.clearStalls();
    for (const link of this.core.allLinks()) {
      if (!link.clogged) continue;
      link.clogged = false;
      trace.emit('sim', 'net.unclog', { from: link.from, to: link.to });
      releaseHeld(this.core, link);
    }
    this.unblocked();
  }

  /** Cuts `node` off from every other node (its own loopback still works). */
  isolate(node: string): void {
    this.core.requireNode(node, 'isolate node');
    if (this.core.reach.isolate(node)) this.core.sim.trace.emit('sim', 'net.isolate', { node });
  }

  /** Lets an isolated node back. */
  rejoin(node: string): void {
    this.core.requireNode(node, 'rejoin node');
    if (!this.core.reach.rejoin(node)) return;
    this.core.sim.trace.emit('sim', 'net.rejoin', { node });
    this.unblocked();
  }

  /** Overrides settings of the link from `from` to `to` (other fields keep following the defaults). */
  setLink(from: string, to: string, faults: Partial<LinkFaults>): void {
    this.core.requireNode(from, 'setLink from');
    this.core.requireNode(to, 'setLink to');
    const checked = checkLinkFaults(faults, `setLink('${from}->${to}')`);
    const link = this.core.link(from, to);
    link.overrides = { ...link.overrides, ...checked };
    link.refresh(this.core.config.link);
    this.core.sim.trace.emit('sim', 'net.link', { from, to, ...checked });
  }

  /** Changes the default settings of every link (fields a link overrides stay overridden). */
  setDefaultLink(faults: Partial<LinkFaults>): void {
    const checked = checkLinkFaults(faults, 'setDefaultLink');
    this.core.config.link = { ...this.core.config.link, ...checked };
    for (const link of this.core.allLinks()) link.refresh(this.core.config.link);
    this.core.sim.trace.emit('sim', 'net.defaultLink', { ...checked });
  }

  /** Holds (does not lose) everything sent from `from` to `to` until `unclog`. */
  clog(from: string, to: string): void {
    const link = this.pairLink(from, to, 'clog');
    if (link.clogged) return;
    link.clogged = true;
    this.core.sim.trace.emit('sim', 'net.clog', { from, to });
  }

  /** Lets held traffic from `from` to `to` flow again, in order. */
  unclog(from: string, to: string): void {
    const link = this.pairLink(from, to, 'unclog');
    if (!link.clogged) return;
    link.clogged = false;
    this.core.sim.trace.emit('sim', 'net.unclog', { from, to });
    releaseHeld(this.core, link);
    this.unblocked();
  }

  /** Holds connection traffic between `a` and `b` (both ways) for `durationMs`, then lets it flow in order. */
  stall(a: string, b: string, durationMs: number): void {
    this.core.requireNode(a, 'stall a');
    this.core.requireNode(b, 'stall b');
    if (durationMs === undefined) throw new RangeError('stall durationMs is required');
    const ms = positive(durationMs, 0, 'stall durationMs');
    const us = Math.ceil(ms * 1000);
    const scheduler = this.core.sim.scheduler;
    this.core.reach.stall(a, b, scheduler.now + us);
    this.core.sim.trace.emit('sim', 'net.stall', { a, b, ms });
    scheduler.after(us, () => {
      if (this.core.reach.expireStalls(scheduler.now)) this.unblocked();
    });
  }

  /** Resets the connections of `a` (only those with `b` when given): `a` learns at once, the peer later. */
  resetConnections(a: string, b?: string): void {
    this.core.requireNode(a, 'resetConnections a');
    if (b !== undefined) this.core.requireNode(b, 'resetConnections b');
    this.core.sim.trace.emit('sim', 'net.resetConnections', b === undefined ? { a } : { a, b });
    for (const conn of [...(this.core.byNode.get(a) ?? [])]) {
      const side = conn.clientId === a ? 0 : 1;
      const peer = side === 0 ? conn.serverId : conn.clientId;
      if (b === undefined || peer === b) conn.reset('fault', side);
    }
  }

  // ---------------------------------------------------------------- internals

  private side(nodes: unknown, field: string): string[] {
    if (!Array.isArray(nodes) || nodes.length === 0) throw new RangeError(`${field} must be a non-empty array of node ids`);
    return [...new Set(nodes.map((n, i) => this.core.requireNode(n, `${field}[${i}]`)))];
  }

  private pairLink(from: string, to: string, op: string): Link {
    this.core.requireNode(from, `${op} from`);
    this.core.requireNode(to, `${op} to`);
    return this.core.link(from, to);
  }

  /** Something that blocked traffic ended: resume every held direction that is now open. */
  private unblocked(): void {
    for (const pipe of [...this.core.heldPipes]) if (!this.core.connBlocked(pipe.link)) pipe.resume();
  }

  /** A node's process ended: its handlers go, its connections are reset. */
  private nodeDown(node: SimNode): void {
    this.core.listeners.delete(node.id);
    this.core.datagramHandlers.delete(node.id);
    for (const conn of [...(this.core.byNode.get(node.id) ?? [])]) {
      const side = conn.clientId === node.id ? 0 : 1;
      conn.reset('crash', side);
    }
    this.core.byNode.delete(node.id);
  }
}
