/**
 * invariant:changes-in-order — the server's `Changes` on one sync connection (docs/client-server.md,
 * "Protocol"): each batch holds consecutive log entries, at most CHANGES_MAX of them, and starts right
 * after the one before it on that connection (the first: right after the cursor of the connection's
 * Hello). From the network's delivery log alone (fact.cs.hello, fact.cs.changes: the seqs each message
 * carried). Catches a server that sends an entry twice on a connection or skips one, and batches past the
 * protocol's size (a relay sent whole in every one of its chunks: the traffic multiplied by the chunks).
 */
import type { TraceCheck } from '../check.ts';

/** The protocol's largest Changes batch (ServerOptions.chunk; every stock scenario uses the default). */
export const CHANGES_MAX = 200;

/** invariant:changes-in-order for `clients` (see the file comment). */
export function changesInOrderCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:changes-in-order';
  const ours = new Set(clients);
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      /** Connection -> the last seq delivered on it (the Hello's cursor before any batch). */
      const last = new Map<string, number>();
      ctx.trace.on('fact.cs.hello', (r) => void last.set(r.data.conn as string, r.data.cursor as number));
      ctx.trace.on('fact.cs.changes', (r) => {
        const d = r.data as { client: string; conn: string; n: number; first: number; last: number };
        if (!ours.has(d.client)) return;
        ctx.exercised(name);
        const fail = (msg: string): void => ctx.fail('correctness', name, `a Changes batch to ${d.client} (seqs ${d.first}..${d.last}, ${d.n} entries) ${msg} (trace #${r.i})`);
        if (d.last - d.first + 1 !== d.n) return fail('does not hold consecutive entries');
        if (d.n > CHANGES_MAX) return fail(`holds more than ${CHANGES_MAX} entries`);
        const before = last.get(d.conn);
        last.set(d.conn, d.last);
        if (before !== undefined && d.first !== before + 1) return fail(`does not start right after seq ${before}, the last one this connection delivered (or its Hello's cursor)`);
      });
    },
  };
}
