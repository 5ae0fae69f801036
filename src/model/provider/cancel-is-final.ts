/**
 * invariant:cancel-is-final — a job the user cancelled is not followed by another job of its provider that
 * nobody asked for: after a job's durable `cancelled` record, the next new job record of that provider on
 * that device (`fact.library.job`, a new id) must follow a sync request of the user for that provider made
 * since the cancellation (the workload's own record, `CancelLedger`) or a restart of the library (a restart
 * resumes providers whose last job was cancelled, docs/provider-sync.md). Only failed jobs are retried by
 * themselves (`retryJobMs`): a library that retries cancelled ones too undoes the user's cancel.
 *
 * A live check: the user's requests are in the workload's memory (the stock workloads do not trace them);
 * the scenario passes its ledger (scenarios/provider/cancel-stays.ts).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import type { D } from './check-options.ts';

export const CANCEL_IS_FINAL = 'invariant:cancel-is-final';

/** What the workload recorded: provider -> when (µs) it last asked for a sync of it. */
export interface CancelLedger {
  readonly requestedUs: ReadonlyMap<string, number>;
}

/** The check over the ledger `ledgerOf(ctx)` returns, for the library node `library`. */
export function cancelIsFinal(library: string, ledgerOf: (ctx: ScenarioContext) => CancelLedger): Check {
  return {
    name: CANCEL_IS_FINAL,
    covers: [CANCEL_IS_FINAL],
    setup(ctx) {
      /** `<device>|<provider>` -> when its last job was durably cancelled (µs), until the next job. */
      const cancelled = new Map<string, number>();
      /** Device -> when the library last started there (µs). */
      const started = new Map<string, number>();
      const seen = new Set<string>();
      ctx.trace.on('node.start', (r) => {
        if (r.node === library) started.set(String(r.data.device), r.t);
      });
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}|${d.provider as string}`;
        const job = `${d.device as string}#${d.job as number}`;
        if (d.state === 'cancelled') {
          cancelled.set(key, r.t);
          return;
        }
        const since = cancelled.get(key);
        if (seen.has(job)) {
          // A job asked for before the cancellation runs after it: the user's request, not a retry.
          if (since !== undefined) cancelled.delete(key);
          return;
        }
        seen.add(job);
        if (since === undefined) return;
        cancelled.delete(key);
        ctx.exercised(CANCEL_IS_FINAL);
        const asked = ledgerOf(ctx).requestedUs.get(d.provider as string) ?? -1;
        if (asked >= since || (started.get(d.device as string) ?? -1) >= since) return;
        ctx.fail('correctness', CANCEL_IS_FINAL, `job ${d.job as number} of ${d.provider as string} on ${d.device as string} was created (trace #${r.i}, ${(r.t / 1000).toFixed(1)} ms) after the user cancelled the last one (${(since / 1000).toFixed(1)} ms), with no request of the user nor a restart since: the cancellation was undone`);
      });
    },
  };
}
