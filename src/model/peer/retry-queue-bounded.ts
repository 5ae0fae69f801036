/**
 * invariant:retry-queue-bounded — what a device queues for a peer it cannot reach is bounded by
 * `retryQueueMax` (docs/peer-sync.md, Links: a full queue is cleared and the overflow said; catch-up fetches
 * the rest on reconnect). A queue whose bound is ignored grows for as long as the peer is away (memory no
 * check measures) and is flushed whole when the link comes back: every replica still converges (the
 * protocol deduplicates), so nothing else sees it.
 *
 * Evidence (never the node's word about its queue): the simulator's connection records (`net.established`
 * at the dialer, `net.accept` at the acceptor: the instant each end's link came up, when the node flushes
 * its queue) and the network's deliveries decoded from the wire (`fact.peer.change`: live changes, with the
 * time each was sent), and the workload's own record of the writes it asked each device to make at that
 * instant (`workload.peer-write`: each may send one live message).
 *
 * Fails when more than `retryQueueMax + writes + SLACK` live changes that X sent to Y at the very instant
 * one of X's connections to Y came up were delivered, `writes` being the workload's writes at X in that
 * instant and SLACK room for a resend or a broadcast the same instant (undelivered ones only make the count
 * smaller).
 */
import type { TraceCheck } from '../check.ts';

/** The invariant's name. */
export const RETRY_QUEUE_BOUNDED = 'invariant:retry-queue-bounded';

/** Live messages of the same instant beyond the queue and the workload's writes (a resend, a relay's answer). */
const SLACK = 2;

type D = Record<string, unknown>;

/** invariant:retry-queue-bounded with the scenario's `retryQueueMax` (see the file comment). */
export function retryQueueBounded(retryQueueMax: number): TraceCheck {
  const name = RETRY_QUEUE_BOUNDED;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      /** `<node>><peer>@<µs>`: an end of a connection between them came up at that instant, at node. */
      const opened = new Set<string>();
      /** `<node>@<µs>` -> the writes the workload asked of node at that instant. */
      const writes = new Map<string, number>();
      /** `<from>><to>@<sentUs>` -> live changes delivered that were sent at a link's opening instant. */
      const sent = new Map<string, number>();
      ctx.trace.on('net.accept', (r) => {
        const d = r.data as D;
        opened.add(`${String(d.to)}>${String(d.from)}@${r.t}`);
      });
      ctx.trace.on('net.established', (r) => {
        const d = r.data as D;
        opened.add(`${r.node}>${String(d.to)}@${r.t}`);
      });
      ctx.trace.on('workload.peer-write', (r) => {
        const d = r.data as D;
        const k = `${String(d.node)}@${r.t}`;
        writes.set(k, (writes.get(k) ?? 0) + 1);
      });
      ctx.trace.on('fact.peer.change', (r) => {
        const d = r.data as D;
        const k = `${String(d.from)}>${String(d.to)}@${String(d.sentUs)}`;
        if (!opened.has(k)) return;
        const n = (sent.get(k) ?? 0) + 1;
        sent.set(k, n);
        if (n === 1) ctx.exercised(name);
        const bound = retryQueueMax + (writes.get(`${String(d.from)}@${String(d.sentUs)}`) ?? 0) + SLACK;
        if (n !== bound + 1) return;
        ctx.fail(
          'correctness',
          name,
          `${String(d.from)} sent ${String(d.to)} more than ${bound} live changes at ${(Number(d.sentUs) / 1000).toFixed(3)} ms, the instant its link to it came up (delivered so far: ${n}; trace #${r.i}): ` +
            `its queue for an unreachable peer is bounded by retryQueueMax (${retryQueueMax}), plus the workload's writes of that instant (the simulator's connection records, the wire)`,
          { traceIndex: r.i, from: d.from, to: d.to, sentUs: d.sentUs, delivered: n, retryQueueMax },
        );
      });
    },
  };
}
