/**
 * State shared by the pieces of the simulated network (connections, datagrams, fault API): settings,
 * links, reachability, registered handlers, indexes of live connections, and counters.
 */
import type { Connection, Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';
import type { FaultAction } from '../types.ts';
import type { Conn } from './connection.ts';
import { Link } from './link.ts';
import { Reachability } from './partition.ts';
import type { Pipe } from './pipe.ts';
import { resolveNetSpec, type NetConfig, type NetSpec } from './spec.ts';

/** Counters of a network, readable through `SimNetwork.stats()`. */
export interface NetStats {
  /** Connection messages and datagrams sent (duplicates not counted). */
  sent: number;
  /** Connection messages and datagrams handed to a handler (duplicates counted). */
  delivered: number;
  /** Messages and datagrams lost: loss, partition, reset, closed, no handler, crashed receiver. */
  dropped: number;
  /** Datagrams duplicated. */
  duplicated: number;
  /** Datagrams sent (part of `sent`). */
  datagramsSent: number;
  /** Datagrams delivered (part of `delivered`). */
  datagramsDelivered: number;
  /** Connection attempts. */
  connects: number;
  /** Connections accepted by a listener. */
  accepted: number;
  /** Connection attempts refused. */
  refused: number;
  /** Connection attempts timed out. */
  timedOut: number;
  /** Connections reset (crash, fault, held too long, abandoned handshake). */
  resets: number;
}

/**
 * Sees every message handed to a node's handler (connection data and datagrams, duplicates included),
 * right after its `net.deliver` record and before the handler runs: what the network actually delivered
 * and when it was sent (`sentUs`, virtual µs), for evidence recorders (src/evidence). It must not mutate
 * `message` (the receiver gets that object).
 */
export type DeliveryObserver = (from: string, to: string, message: Value, sentUs: number) => void;

/** A handler registered by one incarnation of a node. */
export interface Registered<H> {
  inc: number;
  handler: H;
}

/** The shared state of one SimNetwork. */
export class NetCore {
  readonly config: NetConfig;
  readonly reach = new Reachability();
  readonly stats: NetStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    datagramsSent: 0,
    datagramsDelivered: 0,
    connects: 0,
    accepted: 0,
    refused: 0,
    timedOut: 0,
    resets: 0,
  };
  /** Connection listeners by node id. */
  readonly listeners = new Map<string, Registered<(conn: Connection) => void>>();
  /** Datagram handlers by node id. */
  readonly datagramHandlers = new Map<string, Registered<(from: string, message: Value) => void>>();
  /** Live (not yet finished) connections by node id (both ends' nodes). */
  readonly byNode = new Map<string, Set<Conn>>();
  /** Connection directions whose traffic is held by a partition, clog or stall. */
  readonly heldPipes = new Set<Pipe>();
  /** The delivery observer (`SimNetwork.observeDeliveries`), or null: one null check per delivery. */
  onDeliver: DeliveryObserver | null = null;
  /** µs after which a held connection is reset. */
  readonly connTimeoutUs: number;
  private readonly links = new Map<string, Map<string, Link>>();
  private nextConn = 1;
  private nextDatagram = 1;

  constructor(
    readonly sim: Simulation,
    spec: NetSpec,
  ) {
    this.config = resolveNetSpec(spec);
    this.connTimeoutUs = Math.ceil(this.config.connTimeoutMs * 1000);
  }

  /** The link from `from` to `to` (created on first use). */
  link(from: string, to: string): Link {
    let row = this.links.get(from);
    if (row === undefined) {
      row = new Map();
      this.links.set(from, row);
    }
    let link = row.get(to);
    if (link === undefined) {
      const name = `net/${from}->${to}`;
      const overrides = this.config.links.get(`${from}->${to}`) ?? {};
      link = new Link(from, to, this.sim.stream(name), this.sim.stream(`${name}/dgram`), this.config.link, {
        ...overrides,
      });
      row.set(to, link);
    }
    return link;
  }

  /** Every link created so far. */
  *allLinks(): IterableIterator<Link> {
    for (const row of this.links.values()) yield* row.values();
  }

  /** True when connection traffic on `link` is held right now. */
  connBlocked(link: Link): boolean {
    return (
      link.clogged || this.reach.cut(link.from, link.to) || this.reach.stalled(link.from, link.to, this.sim.nowUs())
    );
  }

  /** µs until `to` notices that `from` reset a connection: one latency, or the timeout when cut off. */
  noticeDelayUs(from: string, to: string): number {
    if (this.reach.cut(from, to)) return this.connTimeoutUs;
    const link = this.link(from, to);
    return link.latencyUs(link.connRng);
  }

  /** A fresh connection id ('c1', 'c2', ...). */
  connId(): string {
    return `c${this.nextConn++}`;
  }

  /** A fresh datagram number. */
  datagramId(): number {
    return this.nextDatagram++;
  }

  /** Adds `conn` to the index of `nodeId`. */
  index(conn: Conn, nodeId: string): void {
    let set = this.byNode.get(nodeId);
    if (set === undefined) {
      set = new Set();
      this.byNode.set(nodeId, set);
    }
    set.add(conn);
  }

  /** Removes `conn` from the index of `nodeId`. */
  unindex(conn: Conn, nodeId: string): void {
    this.byNode.get(nodeId)?.delete(conn);
  }

  /** Asks the fault interceptors about a network operation of `node`. */
  fault(node: SimNode, op: 'send' | 'datagram' | 'connect', target: string): FaultAction | null {
    return this.sim.intercept({ area: 'net', op, node: node.id, device: node.deviceId, target });
  }

  /** Crashes `node` as an injected fault decided (a process crash unless the fault asks for a power loss). */
  crash(node: SimNode, action: { powerLoss?: boolean }): void {
    this.sim.crashByFault(node.id, action, false);
  }

  /** Fails the run: a fault action that has no meaning for a network operation. */
  badAction(action: FaultAction, op: string): void {
    this.sim.scheduler.fail(new Error(`fault action '${action.type}' does not apply to net.${op}`));
  }

  /** Fails the run because a bound was exceeded (bounded everything: never a silent drop). */
  limitExceeded(node: string, check: string, message: string): void {
    this.sim.fail({ kind: 'crash', check, message, node });
  }

  /** Throws a RangeError naming `field` unless `id` is a node of the simulation. */
  requireNode(id: unknown, field: string): string {
    if (typeof id !== 'string' || !this.sim.nodes.has(id)) {
      throw new RangeError(`${field}: no node '${String(id)}' (nodes: ${[...this.sim.nodes.keys()].join(', ')})`);
    }
    return id;
  }
}
