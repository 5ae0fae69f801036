/**
 * invariant:cancel-is-final — a job the user cancelled is not followed by another job of its provider that
 * nobody asked for: after a job's durable `cancelled` record, the next new job record of that provider on
 * that device (`fact.library.job`, a new id) must follow a sync request of the user for that provider made
 * since the cancellation (the workload's own record, `CancelLedger`) or a restart of the library (a restart
 * resumes providers whose last job was cancelled, docs/provider-sync.md). Only failed jobs are retried by
 * themselves (`retryJobMs`): a library that retries cancelled ones too undoes the user's cancel. The
 * cancelled job itself written again as live (pending, running, completed) with no such request or restart
 * since fails too (once), and the marker stays: a job the library creates afterwards is still judged. Only
 * a record of another job first recorded before the cancellation (asked for by the user meanwhile, run
 * after it) clears the marker.
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
      /** `<device>|<provider>` -> its last durably cancelled job and when (µs), until the next job. */
      const cancelled = new Map<string, { job: string; since: number; revived: boolean }>();
      /** Device -> when the library last started there (µs). */
      const started = new Map<string, number>();
      /** `<device>#<job>` -> when its first record was written (µs). */
      const firstSeen = new Map<string, number>();
      ctx.trace.on('node.start', (r) => {
        if (r.node === library) started.set(String(r.data.device), r.t);
      });
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        const device = d.device as string;
        const provider = d.provider as string;
        const key = `${device}|${provider}`;
        const job = `${device}#${d.job as number}`;
        const first = firstSeen.get(job);
        if (first === undefined) firstSeen.set(job, r.t);
        const c = cancelled.get(key);
        if (d.state === 'cancelled') {
          if (c?.job !== job) cancelled.set(key, { job, since: r.t, revived: false });
          return;
        }
        if (c === undefined) return;
        const asked = ledgerOf(ctx).requestedUs.get(provider) ?? -1;
        const excused = asked >= c.since || (started.get(device) ?? -1) >= c.since;
        if (job === c.job) {
          // The cancelled job itself written again as live: the library undid the cancel by itself.
          if (c.revived) return;
          ctx.exercised(CANCEL_IS_FINAL);
          if (excused) return void cancelled.delete(key);
          c.revived = true;
          return ctx.fail('correctness', CANCEL_IS_FINAL, `job ${d.job as number} of ${provider} on ${device} was cancelled by the user (${(c.since / 1000).toFixed(1)} ms) and then written again as ${d.state as string} (trace #${r.i}, ${(r.t / 1000).toFixed(1)} ms), with no request of the user nor a restart since: the cancellation was undone`);
        }
        if (first !== undefined) {
          // A job asked for before the cancellation runs after it: the user's request, not a retry. A job
          // first recorded after it was judged when it appeared.
          if (first < c.since) cancelled.delete(key);
          return;
        }
        cancelled.delete(key);
        ctx.exercised(CANCEL_IS_FINAL);
        if (excused) return;
        ctx.fail('correctness', CANCEL_IS_FINAL, `job ${d.job as number} of ${provider} on ${device} was created (trace #${r.i}, ${(r.t / 1000).toFixed(1)} ms) after the user cancelled the last one (${(c.since / 1000).toFixed(1)} ms), with no request of the user nor a restart since: the cancellation was undone`);
      });
    },
  };
}
