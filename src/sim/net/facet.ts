/**
 * The `Net` one incarnation of a node sees. Every method first checks that the incarnation is live; a
 * dead one's calls do nothing (connect returns a promise that never settles).
 */
import { EnvError, type Connection, type Net, type Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import { Conn } from './connection.ts';
import type { NetCore } from './core.ts';
import { sendDatagram } from './datagram.ts';
import { decideFault } from './fault.ts';
import { positive } from './spec.ts';
import { copyValue } from '../../impl/seam/value.ts';

const NEVER = new Promise<never>(() => {});

/** A node incarnation's view of the network. */
export class NetFacet implements Net {
  readonly address: string;

  constructor(
    private readonly core: NetCore,
    private readonly node: SimNode,
    private readonly inc: number,
  ) {
    this.address = node.id;
  }

  private get live(): boolean {
    return this.node.isLive(this.inc);
  }

  /** Accepts incoming connections with `handler` (replaces an earlier handler). */
  listen(handler: (conn: Connection) => void): void {
    if (!this.live) return;
    if (typeof handler !== 'function') throw new TypeError(`listen at '${this.node.id}': handler must be a function`);
    this.core.listeners.set(this.node.id, { inc: this.inc, handler });
    this.core.sim.trace.emit(this.node.id, 'net.listen', {});
  }

  /** Opens a connection after a handshake; rejects with ECONNREFUSED or ETIMEDOUT (or an injected code). */
  connect(address: string, options?: { timeoutMs?: number }): Promise<Connection> {
    if (!this.live) return NEVER;
    try {
      return this.startConnect(address, options);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private startConnect(address: string, options: { timeoutMs?: number } | undefined): Promise<Connection> {
    const timeoutMs = positive(options?.timeoutMs, this.core.config.connectTimeoutMs, 'connect options.timeoutMs');
    if (typeof address !== 'string') throw new TypeError(`connect: address must be a node id, got ${typeof address}`);
    if (!this.core.sim.nodes.has(address)) {
      throw new EnvError('ECONNREFUSED', `connect from '${this.node.id}': no node '${address}' in the simulation`);
    }
    const decision = decideFault(this.core, this.node, 'connect', address);
    if (decision === 'stop') return NEVER;
    const conn = new Conn(this.core, this.core.connId(), this.node, this.inc, address);
    const timeoutUs = this.node.clock.trueDelayUs(timeoutMs);
    const promise = new Promise<Connection>((resolve, reject) => conn.start(timeoutUs, { resolve, reject }));
    if (decision !== 'go') {
      this.core.crash(this.node, decision.crashAfter);
      return NEVER;
    }
    return promise;
  }

  /** Sends a copy of `message` as an unreliable datagram. */
  sendDatagram(to: string, message: Value): void {
    if (!this.live) return;
    if (typeof to !== 'string') throw new TypeError(`sendDatagram: 'to' must be a node id, got ${typeof to}`);
    const copy = copyValue(message);
    const decision = decideFault(this.core, this.node, 'datagram', to);
    if (decision === 'stop') return;
    sendDatagram(this.core, this.node, to, copy);
    if (decision !== 'go') this.core.crash(this.node, decision.crashAfter);
  }

  /** Sets the datagram handler (replaces an earlier one). */
  onDatagram(handler: (from: string, message: Value) => void): void {
    if (!this.live) return;
    if (typeof handler !== 'function') throw new TypeError(`onDatagram at '${this.node.id}': handler must be a function`);
    this.core.datagramHandlers.set(this.node.id, { inc: this.inc, handler });
  }
}
