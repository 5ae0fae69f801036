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
        let why: string | null = null;
        if (d.last - d.first + 1 !== d.n) why = 'does not hold consecutive entries';
        else if (d.n > CHANGES_MAX) why = `holds more than ${CHANGES_MAX} entries`;
        else {
          const before = last.get(d.conn);
          last.set(d.conn, d.last);
          if (before !== undefined && d.first !== before + 1) why = `does not start right after seq ${before}, the last one this connection delivered (or its Hello's cursor)`;
        }
        // (No closure per record: a function made at every delivery cost more than the check.)
        if (why !== null) ctx.fail('correctness', name, `a Changes batch to ${d.client} (seqs ${d.first}..${d.last}, ${d.n} entries) ${why} (trace #${r.i})`);
      });
    },
  };
}
