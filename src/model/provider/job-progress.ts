/**
 * invariant:job-progress — a job's durable progress (`items`, `bytes` of its end record, `fact.library.job`)
 * is what the evidence shows it did, not what the library counted (job-ledger.ts):
 *
 * - `bytes` = the sizes of the contents delivered for its downloads (`fact.provider.reply` Content, the
 *   data's length) that it durably wrote live (`fact.library.track` at that revision), each file revision
 *   once: no attempt that failed, no content refused or never written, no move (no download) counts;
 * - a completed job's `items` = the entries of the listing and change pages the network delivered for it
 *   (deletions excluded: they go to the conflict resolver, not the queue): each entry is one work item,
 *   processed once (applied, moved or skipped); so the progress total the view ends at (items = total,
 *   `invariant:progress-view`) is the work the provider handed out, not a count the library made up;
 * - a failed or cancelled job's `items` lies between its durable live track writes (each one item) and
 *   the delivered entries.
 *
 * A job whose process went down while it ran is not judged: its end record is the next process's
 * recovery, which keeps the counts the running record had.
 */
import type { TraceCheck } from '../check.ts';
import { ledgerCheck } from './job-ledger.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';

/** A job's durable items and bytes agree with the pages, contents and tracks the evidence shows for it. */
export function jobProgressCheck(options: Pick<ProviderCheckOptions, 'libraries'>): TraceCheck {
  const name = 'invariant:job-progress';
  return ledgerCheck(name, options.libraries, (ctx, ledgers, libraries) => {
    ledgers.onEnd((l, state, r) => {
      if (l.interrupted) return;
      if (ledgers.lacking !== null) return ctx.fail('correctness', name, `${ledgers.lacking}: this check's evidence`);
      const d = r.data as D;
      if (typeof d.bytes !== 'number') return ctx.fail('correctness', name, `record 'fact.library.job' lacks the field 'bytes' (trace #${r.i}): the job's durable progress is this check's evidence`);
      const job = `job ${l.job} of ${l.provider} on ${l.device}`;
      const items = d.items as number;
      ctx.exercised(name);
      if (d.bytes !== l.bytes) {
        return ctx.fail('correctness', name, `${job} ended ${state} with ${d.bytes} bytes, but the contents delivered for it that it durably wrote (${l.written.size} file revisions) hold ${l.bytes} bytes (trace #${r.i})`);
      }
      if (state === 'completed' && items !== l.entryCount) {
        return ctx.fail('correctness', name, `${job} completed with ${items} items, but the pages delivered for it hold ${l.entryCount} entries to download or move (deletions excluded) (trace #${r.i}): its progress total is not the work it was given`);
      }
      if (items < l.liveWrites || items > l.entryCount) {
        ctx.fail('correctness', name, `${job} ended ${state} with ${items} items, outside what the evidence allows: ${l.liveWrites} durable live track writes during the job, ${l.entryCount} entries delivered for it (trace #${r.i})`);
      }
    });
  });
}
