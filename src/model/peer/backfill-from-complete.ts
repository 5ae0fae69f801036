/**
 * invariant:backfill-from-complete — a full scan (a backfill request, `writer` null) is answered only by a
 * device that holds a complete library: a configured founder, or a joiner whose kv store durably held
 * `meta/init` when it sent the answer. A joiner still backfilling holds part of the library; serving it as
 * if it were all makes the requester complete its backfill with a partial library (its totals, its done
 * flags and its progress all agree with what it was served) and turn ready.
 *
 * Why it is needed: the backfill model accepts an assignment to a peer whose delivered heartbeat said
 * `ready`, and the responder's `ready` flag is what the responder says about itself. A device that says
 * ready while backfilling (and serves full scans then) passed every other check: catch-up after the
 * requester's backfill fetches what it lacks, so all converge by the end (the planted variant
 * `peer-serve-while-backfilling`, scenario peer-join-two-joiners).
 *
 * Evidence: the responses the network delivered (`fact.peer.response`, with their send time `sentUs`) and
 * the responders' durable `init` over time (`fact.peer.store`, read from the simulator's kv image); the
 * scenario's configuration (which devices are joiners: its topology's nodes of role 'joiner',
 * scenarios/peer/_common.ts `peerChecking`). Counted as exercised only for the joiners' answers, the only
 * ones judged.
 */
import type { TraceCheck } from '../check.ts';
import { durableHistories } from './durable-checkpoints.ts';
import type { D } from './record-fields.ts';

/** Full scans are served only by devices durably complete (founders by configuration). */
export function backfillFromCompleteCheck(nodes: readonly string[], joiners: readonly string[]): TraceCheck {
  const name = 'invariant:backfill-from-complete';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const members = new Set(nodes);
      const joining = new Set(joiners);
      const durable = durableHistories(ctx, members);
      ctx.trace.on('fact.peer.response', (r) => {
        const d = r.data as D;
        const from = d.from as string;
        // A founder's answer is complete by configuration: nothing is judged (and nothing counted as exercised).
        if (d.writer !== null || !members.has(from) || !joining.has(from)) return;
        ctx.exercised(name);
        const sentUs = d.sentUs as number;
        if (durable.get(from)?.initAt(sentUs) === true) return;
        ctx.fail(
          'correctness',
          name,
          `${from} answered ${d.to as string}'s full scan of '${d.resource as string}' (${d.n as number} records) while it did not durably hold a complete library ` +
            `(no meta/init in its kv store when it sent the answer): a joiner still backfilling served part of the library as if it were all (trace #${r.i})`,
        );
      });
    },
  };
}
