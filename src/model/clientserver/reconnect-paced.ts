/**
 * invariant:reconnect-paced — a client waits `reconnectMs` (ClientOptions, default 500 ms: "delay between
 * connection attempts") after a sync connection to the server ends before it opens its next connection
 * (the meta check's or the sync connection's). Without the delay a client facing an outage, a refusing or
 * crashing server retries in a tight loop: thousands of connections a minute from every client, which is
 * what takes a recovering server down again.
 *
 * Evidence: the simulator's network records at the client's node: the end of each connection it opened to
 * the server (`net.refused`, `net.timeout` or its `net.close`, whichever comes first) and its next
 * `net.connect` (to any address), at least PACE_SHARE × reconnectMs later (the client's timers run on its
 * monotonic clock, within 0.2% of true time in every scenario; a paused client only fires them late).
 * Excused: the first connection of a new process (`node.start`: a reload connects at once), and every
 * connection while the user's Nuke and Resync runs (from the workload's `workload.nuke` for that client to
 * its `cs.nuke` or `workload.nuke-failed`: the Nuke pushes on a connection of its own at once).
 *
 * Hunt 7: a loop that slept 0 ms between attempts (variant cs-reconnect-no-delay) passed all 185 cs
 * smoke+ci runs (seeds 0..4), with 24 times the connections of the correct client in cs-long-outage.
 */
import type { TraceCheck } from '../check.ts';

/** The share of reconnectMs a client must wait (drift, rounding). */
export const PACE_SHARE = 0.9;

/** invariant:reconnect-paced for `clients` connecting to `server` (see the file comment). */
export function reconnectPacedCheck(clients: readonly string[], server: string, reconnectMs = 500): TraceCheck {
  const name = 'invariant:reconnect-paced';
  const watched = new Set(clients);
  const waitUs = reconnectMs * 1000 * PACE_SHARE;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      /** Client -> the true time (µs) its last connection to the server ended, null after a start. */
      const lastEnd = new Map<string, { tUs: number; conn: string } | null>();
      /** Open (or opening) connections of each client to the server, by id. */
      const toServer = new Map<string, string>();
      /** Clients whose Nuke and Resync runs now. */
      const nuking = new Set<string>();
      const t = ctx.trace;
      t.on('node.start', (r) => void lastEnd.set(r.node, null));
      t.on('workload.nuke', (r) => void nuking.add(r.data.node as string));
      t.on('workload.nuke-failed', (r) => void nuking.delete(r.data.node as string));
      t.on('cs.nuke', (r) => void nuking.delete(r.node));
      const ended = (node: string, conn: string, tUs: number): void => {
        if (toServer.get(conn) !== node) return;
        toServer.delete(conn);
        lastEnd.set(node, { tUs, conn });
      };
      t.on('net.refused', (r) => ended(r.node, r.data.conn as string, r.t));
      t.on('net.timeout', (r) => ended(r.node, r.data.conn as string, r.t));
      t.on('net.close', (r) => ended(r.node, r.data.conn as string, r.t));
      t.on('net.connect', (r) => {
        const node = r.data.from as string;
        if (!watched.has(node)) return;
        const conn = r.data.conn as string;
        if (r.data.to === server) toServer.set(conn, node);
        const last = lastEnd.get(node);
        if (last === undefined || last === null || nuking.has(node)) return;
        ctx.exercised(name);
        const gapUs = r.t - last.tUs;
        if (gapUs >= waitUs) return;
        ctx.fail(
          'correctness',
          name,
          `${node} opened connection ${conn} to ${String(r.data.to)} ${(gapUs / 1000).toFixed(3)} ms after its connection ${last.conn} to the server ended (trace #${r.i}): it waits reconnectMs (${reconnectMs} ms) between attempts`,
        );
      });
    },
  };
}
