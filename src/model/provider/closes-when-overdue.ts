/**
 * invariant:closes-when-overdue — a library gives up on its connection to a provider (closes it itself:
 * the simulator's `net.close` with `local: true` on the library's node) only when a request sent on that
 * connection has waited `requestTimeoutMs` without its reply being delivered. Evidence: the simulator's
 * network records and the wire facts: the library's requests on the connection (`net.send` of a
 * `ListFiles`, `GetChanges` or `Download` on a connection the library opened to the provider,
 * `net.connect`), each matched to its request id when the provider received it (`net.deliver` on the
 * provider, then `fact.provider.request` for the same message), and the replies the library received
 * on that connection (`net.deliver` on the library, then `fact.provider.reply` with the request id). A
 * request the provider never received, or whose reply never came, stays unanswered.
 *
 * A close at t is explained by an unanswered request sent at or before t - 0.9 * requestTimeoutMs: the
 * library's timers run on its own clock, which may drift (10% of room: far beyond the drift any clock
 * fault draws, 2000 ppm in the swarms, and provider scenarios draw none); a paused process only fires
 * timers late. (It allowed half the timeout before: a timer armed for 0.5x to 0.9x the timeout passed.) What it catches: a timeout
 * timer that a reply does not clear (the connection closed requestTimeoutMs after an answered request,
 * abandoning the requests in flight on it: retries hide it), a timer armed with the wrong duration or
 * for the wrong request, a connection dropped on an error reply. A library that closes idle connections
 * by design would need this rule relaxed.
 */
import type { TraceCheck } from '../check.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';

const REQUESTS = new Set(['ListFiles', 'GetChanges', 'Download']);

/** The share of requestTimeoutMs a request must have waited (room for the library's clock drift). */
const OVERDUE_SHARE = 0.9;

interface Sent {
  t: number;
  answered: boolean;
}

/** A library closes a provider connection only for a request overdue on it. */
export function closesWhenOverdueCheck(options: Pick<ProviderCheckOptions, 'libraries' | 'providers'> & { requestTimeoutMs?: number }): TraceCheck {
  const name = 'invariant:closes-when-overdue';
  const timeoutUs = (options.requestTimeoutMs ?? 2_000) * 1000;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const libraries = new Set(options.libraries);
      const providers = new Set(options.providers);
      /** Connection id -> the library's requests on it, by message seq and (once delivered) by request id. */
      const conns = new Map<string, { library: string; provider: string; bySeq: Map<number, Sent>; byReq: Map<number, Sent>; sent: Sent[] }>();
      ctx.trace.on('net.connect', (r) => {
        const d = r.data as D;
        if (libraries.has(d.from as string) && providers.has(d.to as string)) {
          conns.set(d.conn as string, { library: d.from as string, provider: d.to as string, bySeq: new Map(), byReq: new Map(), sent: [] });
        }
      });
      ctx.trace.on('net.send', (r) => {
        const d = r.data as D;
        const c = conns.get(d.conn as string);
        if (c === undefined || r.node !== c.library || !REQUESTS.has(d.type as string)) return;
        const s: Sent = { t: r.t, answered: false };
        c.sent.push(s);
        if ((d.seq as number) > 0) c.bySeq.set(d.seq as number, s);
      });
      /** The last delivery on each node: the wire fact that follows it decodes the same message. */
      const lastDelivery = new Map<string, { conn: string; seq: number; i: number }>();
      ctx.trace.on('net.deliver', (r) => {
        const d = r.data as D;
        if (typeof d.conn === 'string') lastDelivery.set(r.node, { conn: d.conn, seq: d.seq as number, i: r.i });
      });
      const deliveredWith = (node: string): ReturnType<typeof conns.get> => {
        const last = lastDelivery.get(node);
        return last === undefined ? undefined : conns.get(last.conn);
      };
      ctx.trace.on('fact.provider.request', (r) => {
        const d = r.data as D;
        const last = lastDelivery.get(d.to as string);
        const c = deliveredWith(d.to as string);
        if (last === undefined || c === undefined || c.library !== d.from) return;
        const s = c.bySeq.get(last.seq);
        if (s !== undefined) c.byReq.set(d.reqId as number, s);
      });
      ctx.trace.on('fact.provider.reply', (r) => {
        const d = r.data as D;
        const c = deliveredWith(d.to as string);
        if (c === undefined || c.library !== d.to) return;
        const s = c.byReq.get(d.reqId as number);
        if (s === undefined) return;
        s.answered = true;
        ctx.exercised(name); // a reply whose request's timeout must now never close the connection
      });
      ctx.trace.on('net.close', (r) => {
        const d = r.data as D;
        const c = conns.get(d.conn as string);
        if (c === undefined || r.node !== c.library || d.local !== true) return;
        const overdue = c.sent.some((s) => !s.answered && s.t <= r.t - timeoutUs * OVERDUE_SHARE);
        if (overdue) return;
        const open = c.sent.filter((s) => !s.answered);
        const oldest = open.length === 0 ? 'none was unanswered' : `the oldest unanswered was sent ${((r.t - Math.min(...open.map((s) => s.t))) / 1000).toFixed(3)} ms before`;
        ctx.fail('correctness', name, `${c.library} closed its connection ${d.conn as string} to ${c.provider} at ${(r.t / 1000).toFixed(3)} ms (trace #${r.i}) with ${open.length} request(s) in flight, though no request on it had waited requestTimeoutMs (${timeoutUs / 1000} ms) unanswered (${c.sent.length} sent, ${oldest}): a timeout that did not happen${open.length === 0 ? '' : ', abandoning the requests in flight on it'}`);
      });
    },
  };
}
