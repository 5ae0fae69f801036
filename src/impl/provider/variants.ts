/** Weakened variants of the provider sync (see src/scenario/variants.ts). Never the default. */
export const PROVIDER_VARIANTS = [
  {
    name: 'provider-cursor-early',
    area: 'provider-sync',
    description:
      'the job record takes the cursor of every change page as it arrives, before the stream is consumed (model:sync-job, a durable cursor the delivered stream has not reached the end of; scenario provider-incremental).',
  },
  {
    name: 'provider-no-escalation',
    area: 'provider-sync',
    description:
      'an expired cursor (410) is not escalated to a full listing: the job asks for the latest cursor and goes on from there, skipping every change in between (model:sync-job, a change request after a 410 instead of a listing; scenario provider-cursor-expired).',
  },
  {
    name: 'provider-ignore-deletions',
    area: 'provider-sync',
    description:
      'incremental discovery drops deleted entries: deleted files stay in the library (invariant:completed-work-durable; scenario provider-incremental).',
  },
  {
    name: 'provider-complete-early',
    area: 'provider-sync',
    description:
      'the job completes as soon as the stream is consumed, without waiting for the work items to be durable (invariant:completed-work-durable; scenario provider-incremental).',
  },
  {
    name: 'provider-unbounded-queue',
    area: 'provider-sync',
    description:
      'discovery never waits for room in the work queue: it holds a whole listing at once (invariant:queue-records, and invariant:queue-bound on the wire evidence; scenario provider-incremental).',
  },
  {
    name: 'provider-permit-leak',
    area: 'provider-sync',
    description:
      'the download semaphore keeps its permit when a download fails (Semaphore weaken leak-on-error): after maxConcurrent provider errors processing stalls (liveness, model:sync-job hot in running; scenario provider-errors).',
  },
  {
    name: 'provider-lost-wakeup',
    area: 'provider-sync',
    description:
      'the scheduler\'s Notify drops a notifyOne that finds no waiter (Notify weaken lose-stored-permit): a sync requested while another runs is never started (liveness, model:sync-job hot in pending; scenario provider-incremental).',
  },
  {
    name: 'provider-silent-lag',
    area: 'provider-sync',
    description:
      'the progress broadcast drops events for a slow subscriber without reporting the lag (broadcast weaken silent-lag): the progress view misses job completions and never resynchronises (invariant:progress-view; scenario provider-two-providers).',
  },
  {
    name: 'provider-no-resume-at-start',
    area: 'provider-sync',
    description:
      'a restart requests a sync only of a provider that never had a job: one whose last job failed, was cancelled or was interrupted by the crash is left behind until the user asks again (liveness; scenario provider-self-resume).',
  },
  {
    name: 'provider-no-job-retry',
    area: 'provider-sync',
    description:
      'a failed job is not requested again after retryJobMs: a provider whose last job failed (a partition, a provider down) stays behind until the user asks again (liveness; scenario provider-self-resume).',
  },
  {
    name: 'provider-no-dedup',
    area: 'provider-sync',
    description:
      'the conflict phase is skipped: duplicate uploads (live tracks of one provider with one content hash) are never marked, and marks that no longer hold are never cleared (invariant:duplicates-resolved; scenario provider-incremental).',
  },
  {
    name: 'provider-dedup-volatile',
    area: 'provider-sync',
    description:
      'the conflict phase regroups only the content hashes of the tracks its own job wrote (seen in memory since the job started): the marks a job owed when a crash, a cancellation or a failure stopped it before its conflict phase are never redone (invariant:duplicates-resolved; scenario provider-crash-incremental).',
  },
  {
    name: 'provider-tombstone-keeps-content',
    area: 'provider-sync',
    description:
      "a deletion makes the track a tombstone but leaves its downloaded content (blobs/<provider>/<id>) on the device: the library's tracks still match the provider, so nothing else sees it (invariant:track-revisions: a tombstone whose content is still stored beside it; scenario provider-incremental).",
  },
  {
    name: 'provider-redownload-held',
    area: 'provider-sync',
    description:
      'an item is skipped as held only when the library holds a newer revision: every full listing downloads again each file the library already holds at that revision (the write is then refused, so the library stays right: only the traffic shows it). invariant:downloads-once (a download of a revision the library durably held before the job began; scenario provider-cursor-expired, whose full listings name held files).',
  },
  {
    name: 'provider-pending-not-resumed',
    area: 'provider-sync',
    description:
      "a pending job found at start (requested before a crash, never started) does not wake its provider's runner: it waits for the user's next request, and without one the library never catches up (liveness: the last job is pending; scenario provider-resume-pending).",
  },
  {
    name: 'provider-retry-cancelled',
    area: 'provider-sync',
    description:
      "a cancelled job is requested again after retryJobMs, like a failed one: the user's cancellation is undone a moment later (invariant:cancel-is-final: a new job of the provider with no request of the user nor a restart since the cancellation; scenario provider-cancel-stays).",
  },
  {
    name: 'provider-status-before-durable',
    area: 'provider-sync',
    description:
      "a job's end is published to the progress view before its record is written: the user may see a job completed that a crash leaves running (then failed) (invariant:progress-view: a view record of an ended state the durable job record does not hold yet; scenario provider-incremental).",
  },
  {
    name: 'provider-move-downloads',
    area: 'provider-sync',
    description:
      "a moved or renamed file is downloaded again instead of moving the content the library holds: the library stays right, only the traffic shows it (invariant:moves-local: a Download of a move's revision whose content the library durably held when the change page naming the move was delivered; scenario provider-incremental).",
  },
  {
    name: 'provider-title-last-line',
    area: 'provider-sync',
    description:
      "a track's title is taken from its content's last line instead of its first: the library shows a wrong title for every file it downloads, and nothing else differs (invariant:track-titles: a live track's title against its content's title at the provider; scenario provider-incremental).",
  },
  {
    name: 'provider-timer-not-cleared',
    area: 'provider-sync',
    description:
      "a reply does not clear its request's timeout timer: requestTimeoutMs after every answered request the connection is closed as timed out, abandoning the requests on it, which retries then hide (invariant:closes-when-overdue: a connection the library closed while no request on it had waited requestTimeoutMs unanswered; scenario provider-incremental).",
  },
  {
    name: 'provider-request-joins-running',
    area: 'provider-sync',
    description:
      "a sync request finds the provider's running job and joins it, as if it were pending: the call resolves with a job that may have read the feed before the request, so the changes made since wait for some later request (invariant:request-covered: a requested job completed at a cursor below the provider's durable head when the request was made; scenario provider-incremental).",
  },
  {
    name: 'provider-marks-batch-short',
    area: 'provider-sync',
    description:
      "the conflict phase's commits of duplicate marks take one mark fewer than their batch of 64 (an off-by-one at the batch boundary): the 64th mark of every full batch is never written, so a job with more than 63 marks to change completes with a group half marked (invariant:duplicates-resolved; scenario provider-many-duplicates, the only one that changes over 64 marks in a job).",
  },
  {
    name: 'provider-transient-download-final',
    area: 'provider-sync',
    description:
      "a transient reply (429 or 5xx) to a download is taken as permanent: the item, and with it the job, fails at once instead of being retried with backoff; the job's own retry (retryJobMs later) repairs the library, so every other check passes it (invariant:fails-after-retries: a job ended failed though no request of it was asked retriesMax + 1 times without success, no reply was a permanent error and no store or network fault touched the library; scenario provider-errors). Found by the sixth bug hunt (0 of 75 smoke/ci runs before the check).",
  },
  {
    name: 'provider-timeout-seconds',
    area: 'provider-sync',
    description:
      "a request's reply timer is armed for requestTimeoutMs seconds (the value taken for seconds: 1,000 times too long): a provider that goes silent on an open connection (a partition, a stall) holds the job for as long as the silence lasts instead of requestTimeoutMs, after which the request would be retried on a new connection. Caught by invariant:gives-up-when-overdue (a reply delivered on a connection after its request waited past 1.1 × requestTimeoutMs, the library not paused meanwhile): provider-partition 10 of seeds 0..9, provider-swarm 5 of 10. Found by the seventh bug hunt: it passed all 75 provider smoke/ci runs, seeds 0..4, before that check (invariant:closes-when-overdue judged only the closes that happened).",
  },
] as const;

/** Name of a provider sync variant ('' is the correct implementation). */
export type ProviderVariant = '' | (typeof PROVIDER_VARIANTS)[number]['name'];
