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
import { libraryRequests } from './library-requests.ts';

/** The share of requestTimeoutMs a request must have waited (room for the library's clock drift). */
const OVERDUE_SHARE = 0.9;

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
      const conns = libraryRequests(ctx, libraries, providers, () => ctx.exercised(name)); // a reply whose request's timeout must now never close the connection
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
