/**
 * Unreliable datagrams: each one is independently lost (lossRate), duplicated (dupRate) or given an
 * extra random delay that reorders it (reorderRate), with the link's latency otherwise. Draws come from
 * the link's own datagram stream. Across a partition or to an isolated node they are lost; on a clogged
 * link they are held (up to clogLengthMax, then dropped) and sent when it unclogs. A datagram is
 * addressed to a node, not an incarnation: whatever incarnation is up when it arrives gets it, if it
 * has a handler.
 */
import type { Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { NetCore } from './core.ts';
import type { Link } from './link.ts';
import { copyValue, messageBytes, messageType } from '../../impl/seam/value.ts';

/** A datagram on its way. */
export interface Datagram {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly message: Value;
  readonly type: string | undefined;
  /** Virtual time at which it was sent, µs (for delivery observers). */
  readonly sentUs: number;
}

/** A reordered datagram waits up to this many times its link's base latency (plus jitter) longer. */
export const REORDER_DELAY_FACTOR = 4;

/** Sends `copy` (already a private copy) from `from` to `to`; the facet has checked liveness and faults. */
export function sendDatagram(core: NetCore, from: SimNode, to: string, copy: Value): void {
  const dg: Datagram = { id: core.datagramId(), from: from.id, to, message: copy, type: messageType(copy), sentUs: core.sim.nowUs() };
  core.stats.sent++;
  core.stats.datagramsSent++;
  const rec: Record<string, unknown> = { dgram: dg.id, to };
  if (dg.type !== undefined) rec.type = dg.type;
  const bytes = messageBytes(copy);
  if (bytes !== undefined) rec.bytes = bytes;
  core.sim.trace.emit(from.id, 'net.send', rec);
  if (!core.sim.nodes.has(to)) return drop(core, dg, from.id, 'no-such-node');
  if (core.reach.cut(from.id, to)) return drop(core, dg, from.id, 'partition');
  const link = core.link(from.id, to);
  if (link.clogged) return holdDatagram(core, link, dg);
  transmit(core, link, dg);
}

/** Sends the datagrams a link held while clogged (called when it unclogs). */
export function releaseHeld(core: NetCore, link: Link): void {
  for (let dg = link.held.shift(); dg !== undefined; dg = link.held.shift()) transmit(core, link, dg);
}

function holdDatagram(core: NetCore, link: Link, dg: Datagram): void {
  if (link.held.length >= core.config.clogLengthMax) return drop(core, dg, dg.from, 'clog-overflow');
  link.held.push(dg);
}

/** Draws loss, reordering and duplication, and schedules the arrivals. */
function transmit(core: NetCore, link: Link, dg: Datagram): void {
  const f = link.faults;
  const rng = link.dgramRng;
  if (rng.chance(f.lossRate)) return drop(core, dg, dg.from, 'loss');
  let delayUs = link.latencyUs(rng);
  if (rng.chance(f.reorderRate)) {
    const spanUs = REORDER_DELAY_FACTOR * (f.latencyMs + f.jitterMs) * 1000;
    delayUs += Math.ceil(rng.float() * spanUs);
  }
  core.sim.scheduler.after(delayUs, () => arrive(core, dg, dg.message));
  if (rng.chance(f.dupRate)) {
    core.stats.duplicated++;
    core.sim.trace.emit(dg.from, 'net.dup', { dgram: dg.id, to: dg.to });
    const again = copyValue(dg.message);
    core.sim.scheduler.after(link.latencyUs(rng), () => arrive(core, dg, again));
  }
}

/** A datagram (or a duplicate: `message` is its own copy) reaches its destination's kernel. */
function arrive(core: NetCore, dg: Datagram, message: Value): void {
  if (core.reach.cut(dg.from, dg.to)) return drop(core, dg, dg.to, 'partition');
  const node = core.sim.nodes.get(dg.to);
  if (node === undefined || node.status === 'down') return drop(core, dg, dg.to, 'down');
  const inc = node.incarnation;
  node.deliver(inc, () => {
    const reg = core.datagramHandlers.get(dg.to);
    if (reg === undefined || reg.inc !== inc) return drop(core, dg, dg.to, 'no-handler');
    const rec: Record<string, unknown> = { dgram: dg.id, from: dg.from };
    if (dg.type !== undefined) rec.type = dg.type;
    core.sim.trace.emit(dg.to, 'net.deliver', rec);
    core.stats.delivered++;
    core.stats.datagramsDelivered++;
    core.onDeliver?.(dg.from, dg.to, message, dg.sentUs);
    reg.handler(dg.from, message);
  });
}

function drop(core: NetCore, dg: Datagram, at: string, reason: string): void {
  core.stats.dropped++;
  core.sim.trace.emit(at, 'net.drop', { dgram: dg.id, reason });
}
