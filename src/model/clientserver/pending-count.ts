/**
 * invariant:pending-count (the seed's promise 3) — at every status emission the pending count is at least
 * the number of the client's local changes missing from the server's durable log, and exceeds it by no more
 * than those stored but not acknowledged to this process (at least 0.5 s ago: its handler may not have
 * run yet; the acknowledgement its durable database held at its start counts as delivered then) and
 * recorded in its durable database; `unsaved` equals the durable unsaved changes. Evidence:
 * cs-truth.ts.
 */
import type { TraceCheck } from '../check.ts';
import { ackedBefore, truthOf, type ClientTruth, type CsTruth } from './cs-truth.ts';

/**
 * How long a client may take to take in an acknowledgement the network delivered (its handler runs after
 * the message's earlier ones, each a kv commit): until then the change may still count as pending.
 */
const ACK_GRACE_US = 500_000;

/**
 * Local versions of a client missing from the server's durable log, and those stored but not acknowledged
 * to it (or acknowledged less than ACK_GRACE_US ago, or acknowledged but not recorded in its durable
 * database: a failed commit of the ACK leaves it pending, which over-reports on the safe side). The
 * acknowledgement its durable database held when the process started (`startAcked`) counts as one
 * delivered at the start: a restarted client that forgot it shows saved changes as pending, offline for
 * as long as the outage lasts.
 */
function pendingTruth(truth: CsTruth, c: ClientTruth, nowUs: number, startAcked: { atUs: number; site: string | null; acked: number } | undefined): { missing: number; unacked: number } {
  const atStart = startAcked !== undefined && startAcked.site === c.site && startAcked.atUs <= nowUs - ACK_GRACE_US ? startAcked.acked : 0;
  const acked = Math.min(Math.max(ackedBefore(c, nowUs, ACK_GRACE_US), atStart), c.durableAcked);
  const { stored, above } = truth.storedCount(c, acked);
  return { missing: c.local.size - stored, unacked: above };
}

/** (3) The pending count shown is what the server's durable log lacks (up to acknowledgements in flight). */
export function pendingCountCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:pending-count';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Per client: the durable acknowledgement at its process's start (fact.cs.client before cs.client.start).
      const startAcked = new Map<string, { atUs: number; site: string | null; acked: number }>();
      truth.on('cs.client.start', (r, c) => {
        if (c !== null) startAcked.set(c.id, { atUs: r.t, site: c.site, acked: c.durableAcked });
      });
      truth.on('cs.status', (r, c) => {
        if (c === null) return;
        const shown = r.data.pending as number;
        const { missing, unacked } = pendingTruth(truth, c, r.t, startAcked.get(c.id));
        ctx.exercised(name);
        if (shown < missing) {
          ctx.fail('correctness', name, `${c.id} shows ${c.status} with ${shown} pending, but ${missing} of its local changes are not in the server's durable log (trace #${r.i})`);
        } else if (shown > missing + unacked) {
          ctx.fail('correctness', name, `${c.id} shows ${shown} pending, but only ${missing} of its changes are missing from the server's durable log and ${unacked} more await an acknowledgement (trace #${r.i})`);
        } else if (r.data.unsaved !== c.unsaved.size) {
          ctx.fail('correctness', name, `${c.id} shows ${String(r.data.unsaved)} unsaved changes, its durable database keeps ${c.unsaved.size} (trace #${r.i})`);
        }
      });
    },
  };
}
