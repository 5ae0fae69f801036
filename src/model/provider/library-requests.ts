/**
 * The library's requests to its providers, matched to their replies from the simulator's records and the
 * wire facts (shared by invariant:closes-when-overdue and invariant:gives-up-when-overdue):
 *
 * - `net.connect` from a library to a provider opens a connection to watch;
 * - the library's `net.send` of a request type (ListFiles, GetChanges, Download) on it is a request sent,
 *   known by its message seq;
 * - the provider's `net.deliver` of that message, followed by the `fact.provider.request` that decodes it,
 *   gives the request its id; the library's `net.deliver` followed by `fact.provider.reply` with that id is
 *   its reply (the wire fact right after a delivery decodes that very message).
 */
import type { TraceContext } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { D } from './check-options.ts';

const REQUESTS = new Set(['ListFiles', 'GetChanges', 'Download']);

/** A request the library sent. */
export interface SentRequest {
  /** When it was sent (µs). */
  t: number;
  answered: boolean;
}

/** A connection of a library to a provider, with the requests sent on it. */
export interface LibraryConnection {
  id: string;
  library: string;
  provider: string;
  /** Every request sent on it, in order. */
  sent: SentRequest[];
  bySeq: Map<number, SentRequest>;
  /** Requests delivered and not yet answered, by request id. */
  byReq: Map<number, SentRequest>;
}

/**
 * Watches `libraries`' requests to `providers` (call in a check's setup); `onReply` hears each request's
 * first reply, after it is marked answered. Returns the connections by id.
 */
export function libraryRequests(
  ctx: TraceContext,
  libraries: ReadonlySet<string>,
  providers: ReadonlySet<string>,
  onReply: (c: LibraryConnection, s: SentRequest, reply: TraceRecord) => void = () => {},
): ReadonlyMap<string, LibraryConnection> {
  const conns = new Map<string, LibraryConnection>();
  ctx.trace.on('net.connect', (r) => {
    const d = r.data as D;
    if (libraries.has(d.from as string) && providers.has(d.to as string)) {
      conns.set(d.conn as string, { id: d.conn as string, library: d.from as string, provider: d.to as string, sent: [], bySeq: new Map(), byReq: new Map() });
    }
  });
  ctx.trace.on('net.send', (r) => {
    const d = r.data as D;
    const c = conns.get(d.conn as string);
    if (c === undefined || r.node !== c.library || !REQUESTS.has(d.type as string)) return;
    const s: SentRequest = { t: r.t, answered: false };
    c.sent.push(s);
    if ((d.seq as number) > 0) c.bySeq.set(d.seq as number, s);
  });
  /** The last delivery on each node (updated in place: one object per node, not per delivery). */
  const lastDelivery = new Map<string, { conn: string; seq: number }>();
  ctx.trace.on('net.deliver', (r) => {
    const d = r.data as D;
    if (typeof d.conn !== 'string') return;
    const last = lastDelivery.get(r.node);
    if (last === undefined) lastDelivery.set(r.node, { conn: d.conn, seq: d.seq as number });
    else {
      last.conn = d.conn;
      last.seq = d.seq as number;
    }
  });
  const deliveredOn = (node: string): { c: LibraryConnection; seq: number } | null => {
    const last = lastDelivery.get(node);
    const c = last === undefined ? undefined : conns.get(last.conn);
    return c === undefined ? null : { c, seq: last!.seq };
  };
  ctx.trace.on('fact.provider.request', (r) => {
    const d = r.data as D;
    const at = deliveredOn(d.to as string);
    if (at === null || at.c.library !== d.from) return;
    const s = at.c.bySeq.get(at.seq);
    if (s === undefined) return;
    at.c.bySeq.delete(at.seq);
    at.c.byReq.set(d.reqId as number, s);
  });
  ctx.trace.on('fact.provider.reply', (r) => {
    const d = r.data as D;
    const at = deliveredOn(d.to as string);
    if (at === null || at.c.library !== d.to) return;
    const s = at.c.byReq.get(d.reqId as number);
    if (s === undefined) return;
    at.c.byReq.delete(d.reqId as number);
    s.answered = true;
    onReply(at.c, s, r);
  });
  return conns;
}
