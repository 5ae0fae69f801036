/**
 * Rare paths the provider sync marks with probes ("sometimes" assertions). The provider scenarios declare
 * this list, so the coverage report shows each with its hit count and flags the ones a sweep never reached.
 */
export const PROVIDER_PROBES = [
  'provider.escalated-expired', // an incremental job met an expired cursor (410) and escalated to a full listing
  'provider.escalated-mid-stream', // that 410 came after pages of the feed were read and their items queued (the feed was trimmed between two pages)
  'provider.escalated-no-cursor', // an incremental job found no completed job with a cursor and ran a full listing
  'provider.rate-limited', // a request was answered 429 and waited for its retry-after
  'provider.server-error', // a request was answered 5xx (or the provider was unreachable) and was retried
  'provider.item-superseded', // a download found the file changed or deleted since it was listed
  'provider.queue-full', // discovery waited for room in the bounded work queue
  'provider.job-interrupted', // a job found running at start (its process crashed) was marked failed
  'provider.job-interrupted-incremental', // the interrupted job was an incremental one (reading the feed from a completed job's cursor)
  'provider.job-interrupted-with-cursor', // the interrupted job had its new cursor durable but was not completed yet
  'provider.job-cancelled', // a running job was cancelled cooperatively
  'provider.view-lagged', // the progress view fell behind the broadcast and resynchronised from the watch channel
  'provider.store-retried', // a commit of a job record failed (EIO, ENOSPC) and was retried
  'provider.stale-listing-kept', // a full listing left out a track changed after the listing's snapshot (the feed brings it)
] as const;
