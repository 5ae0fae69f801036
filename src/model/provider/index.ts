/**
 * The provider sync checkers, one per file named after its invariant (docs/models.md, Layout), and
 * `providerChecks`, all of them for a scenario. Each reads the trace's facts (the provider's durable files,
 * the library's durable tracks and jobs, what the network delivered); the progress view is judged from
 * its own trace records, and the work queue's own records are a second line (`invariant:queue-records`)
 * behind the bound judged on the wire and the durable tracks (`invariant:queue-bound`). What each job did
 * on the evidence (its pages, downloads and durable writes) is kept once per run by job-ledger.ts for the
 * checks that judge a job's work (writes inside a job, its durable progress, downloads, retry-after). Evidence per
 * check: docs/provider-sync.md (Model and invariants).
 */
import type { Check } from '../../scenario/types.ts';
import type { ProviderCheckOptions } from './check-options.ts';
import { completedWorkCheck } from './completed-work-durable.ts';
import { matchesProviderCheck } from './library-matches-provider.ts';
import { trackRevisionsCheck } from './track-revisions.ts';
import { oneRunningJobCheck } from './one-running-job.ts';
import { queueBoundCheck } from './queue-bound.ts';
import { queueRecordsCheck } from './queue-records.ts';
import { jobRecordsForwardCheck } from './job-records-forward.ts';
import { concurrencyCheck } from './concurrency-bound.ts';
import { progressViewCheck } from './progress-view.ts';
import { writesInsideJobCheck } from './writes-inside-job.ts';
import { jobProgressCheck } from './job-progress.ts';
import { downloadsOnceCheck } from './downloads-once.ts';
import { respectsRetryAfterCheck } from './respects-retry-after.ts';
import { duplicatesResolvedCheck } from './duplicates-resolved.ts';
import { trackTitlesCheck } from './track-titles.ts';
import { movesLocalCheck } from './moves-local.ts';
import { closesWhenOverdueCheck } from './closes-when-overdue.ts';
import { givesUpWhenOverdueCheck } from './gives-up-when-overdue.ts';
import { requestCoveredCheck } from './request-covered.ts';

export { completedWorkCheck } from './completed-work-durable.ts';
export { matchesProviderCheck } from './library-matches-provider.ts';
export { trackRevisionsCheck } from './track-revisions.ts';
export { oneRunningJobCheck } from './one-running-job.ts';
export { queueBoundCheck } from './queue-bound.ts';
export { queueRecordsCheck } from './queue-records.ts';
export { jobRecordsForwardCheck, jobRecordStep } from './job-records-forward.ts';
export { concurrencyCheck } from './concurrency-bound.ts';
export { progressViewCheck } from './progress-view.ts';
export { writesInsideJobCheck } from './writes-inside-job.ts';
export { jobProgressCheck } from './job-progress.ts';
export { downloadsOnceCheck } from './downloads-once.ts';
export { respectsRetryAfterCheck } from './respects-retry-after.ts';
export type { ProviderCheckOptions } from './check-options.ts';

/** Every provider check, for a scenario. */
export function providerChecks(options: ProviderCheckOptions): Check[] {
  return [
    completedWorkCheck(),
    matchesProviderCheck(options),
    trackRevisionsCheck(),
    oneRunningJobCheck(),
    jobRecordsForwardCheck(),
    queueBoundCheck(options),
    queueRecordsCheck(options.queueMax),
    concurrencyCheck(options),
    progressViewCheck(options),
    writesInsideJobCheck(options),
    jobProgressCheck(options),
    downloadsOnceCheck(options),
    respectsRetryAfterCheck(options),
    duplicatesResolvedCheck(),
    trackTitlesCheck(),
    movesLocalCheck(options),
    closesWhenOverdueCheck(options),
    requestCoveredCheck(),
    givesUpWhenOverdueCheck(options),
  ];
}
export { duplicatesResolvedCheck } from './duplicates-resolved.ts';
export { trackTitlesCheck } from './track-titles.ts';
export { movesLocalCheck } from './moves-local.ts';
export { closesWhenOverdueCheck } from './closes-when-overdue.ts';
export { givesUpWhenOverdueCheck } from './gives-up-when-overdue.ts';
export { requestCoveredCheck, recordSyncRequest, REQUEST_COVERED } from './request-covered.ts';
export { cancelIsFinal, CANCEL_IS_FINAL, type CancelLedger } from './cancel-is-final.ts';
