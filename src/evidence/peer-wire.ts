/**
 * `fact.peer.*` (wire): what the simulated network actually delivered between peer sync devices, decoded
 * from the message bodies (the wire format of docs/peer-sync.md, read here independently of `src/impl`),
 * as compact facts: cursors, counts and clocks, never whole bodies. Emitted on node 'sim' right after the
 * delivery's `net.deliver` record, before the receiver's handler runs. `sentUs`: when the message was sent
 * (virtual µs), so a check can order a send against what the sender had received by then.
 *
 *   fact.peer.request   {from, to, sentUs, reqId, resource, writer, since, sinceUuid}
 *   fact.peer.response  {from, to, sentUs, reqId, resource, writer, since, sinceUuid, n, last, lastUuid, maxTs, hasMore, totals}
 *   fact.peer.change    {from, to, sentUs, resource, shared, n, minTs, maxTs, last, lastUuid, lastDead}
 *   fact.peer.heartbeat {from, to, sentUs, boot, seq, ready, hlc, latest}
 *   fact.peer.ack       {from, to, sentUs, resource, upTo}
 *
 * - request: a StateRequest (owned: `since` and `sinceUuid` a key) or SharedChangeRequest (shared: `since`
 *   an HLC, `sinceUuid` null); `writer` null is a full scan (a backfill), else a catch-up of that writer's
 *   stream (from the writer itself or a relay).
 * - response: a StateResponse / SharedChangeResponse, with `writer`, `since` and `sinceUuid` of the request
 *   it answers (undefined when no such request was delivered: then it answers nothing); `n` records, the
 *   key of the last (`last`, `lastUuid`; null when empty), the largest timestamp `maxTs`, `hasMore`, and
 *   `totals`: the records the responder holds per resource (in answers to full scans), or null. For an
 *   answer to a relay request (`writer` neither null nor the responder) also `relayMark`: the responder's
 *   watermark for that writer and resource as its kv store durably holds it at delivery (`[ts, uuid]`, null
 *   when it has none; store `meta`, key `wm/<writer>/<resource>`, docs/peer-sync.md), absent when no store
 *   reader was given. Watermarks only grow and are stored in the transaction that moves them, so this is an
 *   upper bound of the watermark the responder served under (invariant:relay-within-watermark).
 * - change: a live StateChange / StateBatch / SharedChange / SharedChangeBatch (`shared` for the latter
 *   two): `n` records, smallest and largest timestamps, the key of the last one, and `lastDead`: the last
 *   one is a tombstone (`d` null), which the merge rule ranks above any live version.
 * - heartbeat: `boot`, `seq`, `ready` (the sender holds a complete library), `hlc` (the sender's clock),
 *   `latest` (per resource the sender's newest own key as `[ts, uuid]`, or null).
 * - ack: an AckSharedChanges: the sender holds the receiver's changes in `resource` up to `upTo`.
 *
 * Messages that do not decode (a rogue's garbage, another library's) are skipped: facts describe what a
 * member could act on. Errors are not recorded (checks read the receiver's own rejection records).
 */
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

type Obj = { readonly [key: string]: unknown };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const strOr = (v: unknown, or: string | null): string | null => (typeof v === 'string' ? v : or);

/** A request a response may answer: `${requester}>${responder}#${reqId}`. */
interface Asked {
  writer: string | null;
  since: string | null;
  sinceUuid: string | null;
}

/** The decoded summary of a list of wire records `{u, w, t, d}`, or null when it is not one. */
function summarize(list: unknown): { n: number; minTs: string | null; maxTs: string | null; last: string | null; lastUuid: string | null; lastDead: boolean } | null {
  if (!Array.isArray(list)) return null;
  let minTs: string | null = null;
  let maxTs: string | null = null;
  for (const r of list as readonly unknown[]) {
    if (!isObj(r) || typeof r.t !== 'string' || typeof r.u !== 'string') return null;
    if (minTs === null || r.t < minTs) minTs = r.t;
    if (maxTs === null || r.t > maxTs) maxTs = r.t;
  }
  const last = list.length === 0 ? null : (list[list.length - 1] as Obj);
  return { n: list.length, minTs, maxTs, last: last === null ? null : (last.t as string), lastUuid: last === null ? null : (last.u as string), lastDead: last !== null && last.d === null };
}

function totalsOf(v: unknown): Record<string, number> | null {
  if (!isObj(v)) return null;
  const out: Record<string, number> = {};
  for (const [r, x] of Object.entries(v)) if (typeof x === 'number') out[r] = x;
  return out;
}

/** A stored cursor `{ts, uuid}` as `[ts, uuid]`, or null. */
function cursorOf(v: unknown): [string, string] | null {
  return isObj(v) && typeof v.ts === 'string' && typeof v.uuid === 'string' ? [v.ts, v.uuid] : null;
}

function latestOf(v: unknown): Record<string, [string, string] | null> | null {
  if (!isObj(v)) return null;
  const out: Record<string, [string, string] | null> = {};
  for (const [r, c] of Object.entries(v)) out[r] = cursorOf(c);
  return out;
}

/** The fact kinds `peerWireEvidence` writes. */
export const PEER_WIRE_FACTS = ['fact.peer.request', 'fact.peer.response', 'fact.peer.change', 'fact.peer.heartbeat', 'fact.peer.ack'] as const;

/** What a peer wire recorder needs to be told: process starts and deliveries. */
export interface PeerWireFacts {
  /** `node`'s process (re)started: it numbers its requests afresh. */
  started(node: string): void;
  /** A message from `from` was delivered to `to`; `sentUs`: when it was sent. */
  delivered(from: string, to: string, message: unknown, sentUs: number): void;
}

/**
 * The decoding of `fact.peer.*` from deliveries, writing each fact with `emit`: the simulator's recorder
 * feeds it the simulated network's deliveries, the real runtime's run trace the sockets'.
 */
export function peerWireFacts(
  emit: (kind: string, data: Record<string, unknown>) => void,
  /** The value a node's device durably holds under `key` in its kv store `meta` (undefined: none, or unknown). */
  readMeta?: (node: string, key: string) => unknown,
): PeerWireFacts {
  const asked = new Map<string, Asked>();
  return {
    started(node) {
      for (const k of asked.keys()) if (k.startsWith(`${node}>`)) asked.delete(k);
    },
    delivered(from, to, message, sentUs) {
      if (!isObj(message) || typeof message.type !== 'string') return;
      const m = message;
      const resource = strOr(m.resource, null);
      switch (m.type) {
        case 'StateRequest':
        case 'SharedChangeRequest': {
          if (resource === null || typeof m.reqId !== 'number') return;
          const s = m.since;
          const since = m.type === 'StateRequest' ? (isObj(s) ? strOr(s.ts, null) : null) : strOr(s, null);
          const sinceUuid = m.type === 'StateRequest' && isObj(s) ? strOr(s.uuid, null) : null;
          const writer = strOr(m.writer, null);
          asked.set(`${from}>${to}#${m.reqId}`, { writer, since, sinceUuid });
          return emit('fact.peer.request', { from, to, sentUs, reqId: m.reqId, resource, writer, since, sinceUuid });
        }
        case 'StateResponse':
        case 'SharedChangeResponse': {
          const sum = summarize(m.type === 'StateResponse' ? m.records : m.changes);
          if (resource === null || typeof m.reqId !== 'number' || sum === null) return;
          const key = `${to}>${from}#${m.reqId}`;
          const q = asked.get(key);
          asked.delete(key);
          const relayed = typeof q?.writer === 'string' && q.writer !== from;
          const relayMark = relayed && readMeta !== undefined ? { relayMark: cursorOf(readMeta(from, `wm/${q.writer!}/${resource}`)) } : {};
          return emit('fact.peer.response', {
            from, to, sentUs, reqId: m.reqId, resource, writer: q?.writer, since: q?.since, sinceUuid: q?.sinceUuid,
            n: sum.n, last: sum.last, lastUuid: sum.lastUuid, maxTs: sum.maxTs, hasMore: m.hasMore === true, totals: totalsOf(m.totals),
            ...relayMark,
          });
        }
        case 'StateChange':
        case 'SharedChange':
        case 'StateBatch':
        case 'SharedChangeBatch': {
          const one = m.type === 'StateChange' ? m.record : m.type === 'SharedChange' ? m.change : undefined;
          const sum = summarize(one !== undefined ? [one] : m.type === 'StateBatch' ? m.records : m.changes);
          if (resource === null || sum === null || sum.n === 0) return;
          const shared = m.type === 'SharedChange' || m.type === 'SharedChangeBatch';
          return emit('fact.peer.change', { from, to, sentUs, resource, shared, n: sum.n, minTs: sum.minTs, maxTs: sum.maxTs, last: sum.last, lastUuid: sum.lastUuid, lastDead: sum.lastDead });
        }
        case 'Heartbeat':
          if (typeof m.hlc !== 'string') return;
          return emit('fact.peer.heartbeat', { from, to, sentUs, boot: strOr(m.boot, null), seq: m.seq ?? null, ready: m.ready === true, hlc: m.hlc, latest: latestOf(m.latest) });
        case 'AckSharedChanges':
          if (resource === null || typeof m.upTo !== 'string') return;
          return emit('fact.peer.ack', { from, to, sentUs, resource, upTo: m.upTo });
        default:
          return;
      }
    },
  };
}

/** Records `fact.peer.*` for every delivered peer sync message. */
export function peerWireEvidence(): EvidenceRecorder {
  return {
    name: 'peer-wire',
    produces: PEER_WIRE_FACTS,
    install(sim: Simulation) {
      const facts = peerWireFacts(
        (kind, data) => void sim.trace.emit('sim', kind, data),
        (node, key) => sim.device(sim.nodes.get(node)?.deviceId ?? node).kv.durableGet('meta', key),
      );
      // A restarted process numbers its requests afresh: forget what its previous one asked.
      sim.trace.on('node.start', (r) => facts.started(r.node));
      sim.network.observeDeliveries((from, to, message, sentUs) => facts.delivered(from, to, message, sentUs));
    },
  };
}
