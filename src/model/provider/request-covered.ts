/**
 * invariant:request-covered — a sync request is answered by a job that covers it: `requestSync(p)`
 * resolves with "the id of the pending job that will run it" (docs/provider-sync.md), so when that job
 * completes, its cursor must reach at least the provider's head as it was durable when the user asked
 * (`fact.provider.file`, read when the request was made). A library that hands a request to a job already
 * past its discovery (joins a running job instead of a pending one) reports the user's sync as done while
 * the changes made since that job read the feed wait for some later request: the user asked for a sync
 * and got an older one.
 *
 * Evidence: the workload's own record of each request (when it was made, for which provider, which job id
 * the call resolved with: `recordSyncRequest`, kept in the run's state), the provider's durable feed head
 * at that moment and the library's durable job records (`fact.library.job`). Jobs that fail or are
 * cancelled make no claim (a failed job is retried; a cancelled one was the user's choice).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { cursorSeq, truthOf } from './provider-truth.ts';

export const REQUEST_COVERED = 'invariant:request-covered';

/** One sync request as the workload made it. */
interface SyncRequestRecord {
  provider: string;
  /** The library's device when the request was made. */
  device: string;
  /** Virtual ms when it was made. */
  atMs: number;
  /** The provider's durable head (largest revision) then. */
  head: number;
  /** The job id the call resolved with (null: not resolved, or it failed). */
  job: number | null;
}

const KEY = 'provider.sync-requests';

function ledger(ctx: ScenarioContext): SyncRequestRecord[] {
  let l = ctx.runState.get(KEY) as SyncRecordList | undefined;
  if (l === undefined) ctx.runState.set(KEY, (l = []));
  return l;
}
type SyncRecordList = SyncRequestRecord[];

/**
 * Records a sync request the workload makes (call it at the moment of the call, with the call's promise):
 * the provider's durable head now, and the job id the call resolves with. Returns the promise unchanged.
 */
export function recordSyncRequest(ctx: ScenarioContext, device: string, provider: string, call: Promise<number>): Promise<number> {
  const rec: SyncRequestRecord = { provider, device, atMs: ctx.nowMs(), head: truthOf(ctx).head.get(provider) ?? 0, job: null };
  ledger(ctx).push(rec);
  call.then(
    (job) => {
      rec.job = job;
    },
    () => undefined,
  );
  return call;
}

/** The check (a final one: a completed job record never changes again). */
export function requestCoveredCheck(): Check {
  return {
    name: REQUEST_COVERED,
    covers: [REQUEST_COVERED],
    setup(ctx) {
      truthOf(ctx);
    },
    final(ctx) {
      const truth = truthOf(ctx);
      for (const q of ledger(ctx)) {
        if (q.job === null) continue;
        const job = truth.jobs.get(q.device)?.get(q.job);
        if (job === undefined || job.state !== 'completed' || job.provider !== q.provider) continue;
        ctx.exercised(REQUEST_COVERED);
        const seq = cursorSeq(job.cursor);
        if (seq !== null && seq >= q.head) continue;
        return ctx.fail(
          'correctness',
          REQUEST_COVERED,
          `a sync of ${q.provider} requested at ${q.atMs.toFixed(1)} ms, when the provider's durable head was ${q.head}, resolved with job ${q.job} on ${q.device}, which completed at cursor ${job.cursor ?? '-'} (trace #${job.at}): the request was answered by a job that did not read the changes made before it`,
        );
      }
    },
  };
}
