/**
 * invariant:gives-up-when-overdue — the converse of invariant:closes-when-overdue: a library waits for a
 * reply at most `requestTimeoutMs`, then gives up on the connection (closes it itself, so the request is
 * retried on a new one: docs/provider-sync.md, Requests). So a reply must never be delivered to the library
 * on a connection after its request waited more than LATE_SHARE × requestTimeoutMs + LATE_SLACK_MS: by then
 * the library should have closed that connection and never received it.
 *
 * Evidence: the simulator's network records and the wire facts, matched as invariant:closes-when-overdue
 * matches them (library-requests.ts) (the library's `net.send` of a request on a connection it opened, the provider's
 * `net.deliver` of it followed by `fact.provider.request` with its request id, the library's `net.deliver`
 * followed by `fact.provider.reply` with that id); a request is excused when its library was paused
 * (`fault.pause` to its `fault.end`) at any time while it waited, since a paused process fires its timers
 * late. The share leaves the library's clock drift room (2000 ppm at most in the swarms). A timer armed in
 * the wrong unit (seconds as milliseconds, variant provider-timeout-seconds) lets a stalled connection hold
 * a job for as long as the stall lasts; before this check, invariant:closes-when-overdue judged only the
 * closes that happened (none early), so it passed all 75 provider smoke+ci runs (seeds 0..4). Hunt 7.
 */
import type { TraceCheck } from '../check.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';
import { libraryRequests } from './library-requests.ts';

/** How far past requestTimeoutMs a reply may still be delivered (the library's clock drift). */
const LATE_SHARE = 1.1;
/** Absolute slack, ms (a timer firing in the instant the reply is delivered). */
const LATE_SLACK_MS = 50;

/** A library gives up on a request overdue on its connection (see the file comment). */
export function givesUpWhenOverdueCheck(options: Pick<ProviderCheckOptions, 'libraries' | 'providers'> & { requestTimeoutMs?: number }): TraceCheck {
  const name = 'invariant:gives-up-when-overdue';
  const timeoutUs = (options.requestTimeoutMs ?? 2_000) * 1000;
  const boundUs = timeoutUs * LATE_SHARE + LATE_SLACK_MS * 1000;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const libraries = new Set(options.libraries);
      const providers = new Set(options.providers);
      /** Library -> its pauses, [start, end] in µs (end Infinity while it lasts); fault event -> its node. */
      const pauses = new Map<string, [number, number][]>();
      const pauseEvents = new Map<number, string>();
      ctx.trace.on('fault.pause', (r) => {
        const node = r.data.node as string;
        if (!libraries.has(node)) return;
        pauseEvents.set(r.data.event as number, node);
        const list = pauses.get(node) ?? [];
        list.push([r.t, Infinity]);
        pauses.set(node, list);
      });
      ctx.trace.on('fault.end', (r) => {
        if (r.data.kind !== 'pause') return;
        const node = pauseEvents.get(r.data.event as number);
        const open = node === undefined ? undefined : pauses.get(node)?.find(([, end]) => end === Infinity);
        if (open !== undefined) open[1] = r.t;
      });
      const pausedBetween = (node: string, from: number, to: number): boolean => (pauses.get(node) ?? []).some(([s, e]) => s <= to && e >= from);
      libraryRequests(ctx, libraries, providers, (c, s, r) => {
        const d = r.data as D;
        ctx.exercised(name);
        const waitedUs = r.t - s.t;
        if (waitedUs <= boundUs || pausedBetween(c.library, s.t, r.t)) return;
        ctx.fail(
          'correctness',
          name,
          `${c.library} received the reply to request ${String(d.reqId)} on connection ${c.id} to ${c.provider} ${(waitedUs / 1000).toFixed(3)} ms after sending it (trace #${r.i}), past requestTimeoutMs (${timeoutUs / 1000} ms): it never gave up on the request (a timeout that did not fire), and the job waited as long as the provider was silent`,
        );
      });
    },
  };
}
