/**
 * The provider sync checkers, one per file named after its invariant (docs/models.md, Layout), and
 * `providerChecks`, all of them for a scenario. Each reads the trace's facts (the provider's durable files,
 * the library's durable tracks and jobs, what the network delivered); the progress view and the work queue
 * are judged from their own trace records. Evidence per check: docs/provider-sync.md (Model and invariants).
 */
import type { Check } from '../../scenario/types.ts';
import type { ProviderCheckOptions } from './check-options.ts';
import { completedWorkCheck } from './completed-work-durable.ts';
import { matchesProviderCheck } from './library-matches-provider.ts';
import { trackRevisionsCheck } from './track-revisions.ts';
import { oneRunningJobCheck } from './one-running-job.ts';
import { queueBoundCheck } from './queue-bound.ts';
import { concurrencyCheck } from './concurrency-bound.ts';
import { progressViewCheck } from './progress-view.ts';

export { completedWorkCheck } from './completed-work-durable.ts';
export { matchesProviderCheck } from './library-matches-provider.ts';
export { trackRevisionsCheck } from './track-revisions.ts';
export { oneRunningJobCheck } from './one-running-job.ts';
export { queueBoundCheck } from './queue-bound.ts';
export { concurrencyCheck } from './concurrency-bound.ts';
export { progressViewCheck } from './progress-view.ts';
export type { ProviderCheckOptions } from './check-options.ts';

/** Every provider check, for a scenario. */
export function providerChecks(options: ProviderCheckOptions): Check[] {
  return [
    completedWorkCheck(),
    matchesProviderCheck(options),
    trackRevisionsCheck(),
    oneRunningJobCheck(),
    queueBoundCheck(options.queueMax),
    concurrencyCheck(options),
    progressViewCheck(options),
  ];
}
