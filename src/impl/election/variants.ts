/** Weakened variants of the election and single-writer layer (gathered in src/scenario/variants.ts). */
export const ELECTION_VARIANTS = [
  {
    name: 'election-no-fencing',
    area: 'election',
    description:
      'the store does not check epochs: a write from a deposed leader lands after the new leader fenced the store (caught by invariant:no-stale-write in election-lock-stolen-mid-write).',
  },
  {
    name: 'election-wall-clock-lease',
    area: 'election',
    description:
      'the lease expiry is a wall-clock time with no drift margin: a wall-clock jump makes a follower take over while the leader still writes (caught by invariant:lease-exclusive in election-clock-jump-back).',
  },
  {
    name: 'election-no-stepdown',
    area: 'election',
    description:
      'a leader never steps down: after a pause longer than its lease it keeps writing with its old epoch (caught by invariant:lease-exclusive in election-leader-paused).',
  },
  {
    name: 'election-no-request-ids',
    area: 'election',
    description:
      'forwarded writes carry no request id: a retry after a lost reply applies the write twice (caught by invariant:exactly-once in election-leader-crash-mid-forward).',
  },
  {
    name: 'election-no-fence',
    area: 'election',
    description:
      'the election never calls deps.fence(epoch) before leading: the deposed leader keeps committing with its old epoch after the new one leads (caught by model:election, mayLead, in election-lock-stolen-mid-write and every other scenario).',
  },
  {
    name: 'election-retry-new-id',
    area: 'election',
    description:
      'a follower whose forward timed out skips the lookup and re-sends the write under a new request id, which the store cannot deduplicate (caught by model:request, sameRequest, in election-leader-crash-mid-forward).',
  },
  {
    name: 'election-relaxed-commits',
    area: 'election',
    description:
      'the leader commits writes with relaxed durability and answers as soon as the commit resolves: replies and acknowledgements before the write is durable (caught by invariant:store-log in election-three-tabs-same-instant; by model:request, replyAfterApply, without the ledger).',
  },
  {
    name: 'election-wall-clock-trust',
    area: 'election',
    description:
      "the leader measures its lease trust on the wall clock (followers still wait on their monotonic clocks): after its wall clock stepped back and a freeze, it writes past its lease (caught by model:election, mayWrite, in election-leader-paused-clock-jump).",
  },
  {
    name: 'election-renew-from-reply',
    area: 'election',
    description:
      "the leader measures a renewed lease from when the renewal committed (its reply) instead of from when it was sent: a renewal that took long (the tab froze while it was in flight) extends its trust past the lease the others see, and it leads on after one of them took over (caught by invariant:lease-exclusive or model:election, in election-paused-mid-renew).",
  },
  {
    name: 'election-timeout-definite',
    area: 'election',
    description:
      "a write that reaches its deadline after a forward is reported as definitely failed, although the forwarded attempt may have been applied (caught by model:request, definiteNotApplied, in election-forward-applied-unconfirmed).",
  },
  {
    name: 'election-renew-lost',
    area: 'election',
    description:
      "the leader's lease renewal never finds its own record (a wrong key check): it steps down at its first renewal and the tabs keep re-electing each other, safely (fencing holds) but with no stable leader (caught by invariant:prompt-writes, and by invariant:no-spurious-failover without it, in election-three-tabs-same-instant).",
  },
  {
    name: 'election-ignore-takeover',
    area: 'election',
    description:
      "takeOver() (steal the lock now) does nothing: the leader is never deposed, every safety check passes and the scenarios built on a steal prove nothing (caught by invariant:takeover-honoured in election-lock-stolen-mid-write).",
  },
  {
    name: 'election-deaf-followers',
    area: 'election',
    description:
      "followers are slow to notice a silent leader: in lock mode the heartbeat watchdog never steals, in lease mode followers wait three takeover times. Safe, and the leader simply carries on when it resumes, but every write hangs while it is frozen (caught by invariant:frozen-leader-replaced in election-lock-leader-paused).",
  },
  {
    name: 'election-lazy-redispatch',
    area: 'election',
    description:
      "a tab does not re-send its pending writes when it learns of a new leader (or becomes one): they wait for their forward timeout, and every handover stalls writes for 400 ms; safe and live, so only invariant:prompt-writes sees it (in election-rolling-restarts).",
  },
  {
    name: 'election-ignore-fenced',
    area: 'election',
    description:
      "the writer fails a batch the store refused (EFENCED) but does not tell the election: the tab goes on leading until another signal (its lease, the lock's steal notice, a heartbeat) reaches it, and starts its next batch at the epoch the store just refused (caught by model:election, mayWrite, in election-lock-stolen-notice-late, where the holder's lock and bus tasks run late).",
  },
  {
    name: 'election-no-drain',
    area: 'election',
    description:
      "stepping down does not wait for the term's in-flight writes: the tab reports follower (and, closing, releases its lease) while a write of its old term is still committing, which then lands under a term it said was over (caught by model:election, drainedFirst, in election-lock-stolen-mid-write and six other scenarios).",
  },
  {
    name: 'election-dedup-false',
    area: 'election',
    description:
      "the leader's ok reply to a forwarded write always says the request applied it (dedup false), also when a retry found it applied by an earlier leader: the caller is told its retry wrote afresh (caught by model:request, replyAfterApply: the durable request record names another tab's transaction).",
  },
  {
    name: 'election-renew-margin-added',
    area: 'election',
    description:
      "a lease renewal adds the clock-drift margin instead of subtracting it (leaseMs·(1+d) − margin, the full lease at the defaults): with the leader's clock 5% slow and a follower's 5% fast, the follower takes over about 3 ms of true time before the deposed leader's trust ends (caught by invariant:lease-exclusive in election-opposite-drifts; every other scenario passes it: a 4% drift or 250 ms polls leave no overlap).",
  },
  {
    name: 'election-campaign-trust-from-reply',
    area: 'election',
    description:
      "a tab that won the lease trusts it from when the compare-and-set's reply came back, not from when it started: a campaign whose reply took long (the tab froze right after the commit) leads on a lease the followers count from the commit (caught by invariant:lease-bounded in election-paused-after-campaign: the trust ends 1.9 s of true time after the lease record committed, past the 1 s lease).",
  },
  {
    name: 'election-stepdown-drops-queue',
    area: 'election',
    description:
      "the leader's flush loop, finding it may no longer write, drops the queued batch instead of handing its writes back: a forwarded write waits for its forward timeout, and the tab's own write is never retried and times out (ETIMEDOUT, maybe applied) although the tab reaches the new leader at once (caught by invariant:no-stranded-writes in election-lock-stolen-notice-late).",
  },
  {
    name: 'election-lookup-error-applied',
    area: 'election',
    description:
      "a follower whose lookup of an unanswered forwarded write fails (a kv read error) takes the error as 'applied' and tells its caller the write succeeded, with no commit behind it (caught by model:request, ackAfterApply, in election-lookup-fails, where the follower's kv reads fail while the leader that applied its write is down).",
  },
  {
    name: 'election-pending-off-by-one',
    area: 'election',
    description:
      "a tab accepts one write more than pendingWritesMax before it refuses with EBUSY (a '>' for '>='): every safety check passes it (caught by invariant:pending-bound in election-pending-bound, from the workload's record of its open writes).",
  },
  {
    name: 'election-keep-failed-instance',
    area: 'election',
    description:
      "after a failed commit the tab keeps its block store instance instead of dropping it: the failed write's key record stays dirty and rides on the tab's next commit, which records only its own request, so the store holds a value no recorded request wrote (caught by invariant:records-follow-requests in election-swarm, whose short disk errors fail one commit of a term and let the next succeed; in election-store-down the store stays down for the whole term).",
  },
  {
    name: 'election-epoch-two-tx',
    area: 'election',
    description:
      "lock mode: the new holder reads the epoch counter in one (readonly) transaction and writes the next value in another: a holder frozen between its read and its write lets a thief read the same counter, and both draw one epoch and lead with it, so fencing cannot tell them apart (caught by invariant:epoch-unique in election-lock-paused-mid-draw, where the holder freezes right after its read and hears of the steal late: 20 of seeds 0..19; it passed every other smoke and ci scenario, seeds 0..4).",
  },
  {
    name: 'election-early-steal',
    area: 'election',
    description:
      "lock mode: a follower steals the lock after a third of the takeover time without a leader's announcement: healthy leaders whose heartbeats arrive a little late are deposed. Fencing keeps the store right, so every safety check passes it, and before the first fault heartbeats are on time (caught by invariant:steal-after-silence in election-lock-leader-paused, from the simulator's delivery log of announcements; it passed every smoke and ci scenario before that check).",
  },
  {
    name: 'election-key-in-directory-block',
    area: 'election',
    description:
      "the store gives a new key the block id 'directory size' instead of 'directory size + 1', so the first key's record is filed in block 0 over the key directory of the same commit: the write is committed, its request recorded and its caller told it succeeded, but no reader finds it (the directory is gone, and rewritten without that key's record at the next new key). Every log agrees with itself (caught by invariant:requests-in-store, which reads each recorded request back from the durable image by the store's documented layout: every ci scenario; it passed all 93 smoke/ci election runs, seeds 0..2, before that check).",
  },
  {
    name: 'election-read-cache',
    area: 'election',
    description:
      "a tab keeps the first value it read of each key and answers every later read of that key from it: the store is right and every write is acknowledged correctly, but a tab reads values the store replaced long ago (caught by invariant:reads-see-store, which holds each read against the values the durable image held under the key while the read ran: 95 of 99 smoke/ci election runs, seeds 0..2; nothing read the store before that check).",
  },
  {
    name: 'election-deadline-ignores-apply',
    area: 'election',
    description:
      "a write reaching its deadline while the leader's own apply of it is still running is reported definitely failed (ETIMEDOUT, definite): the apply may still commit, and does (caught by model:request, mayApply, in election-reader-frozen-mid-read, where a tab frozen mid-read holds the store past the write deadline: 10 of seeds 0..9; no scenario made a leader's own commit outlast the deadline before, and it passed all 96 smoke/ci election runs, seeds 0..2).",
  },
  {
    name: 'election-loop-stops-on-error',
    area: 'election',
    description:
      "lease mode: the tab's poll/renew loop resets its busy flag only after a step that succeeded, so one failed kv transaction (a poll, a renewal) stops the loop for good: the tab never polls, renews or campaigns again, though its writes still reach other leaders. Every scenario with another tab left to lead passes it (caught by liveness:leader-bound in election-store-errors-then-alone, where the other tabs are closed after the errors: 20 of seeds 0..19; it passed all 93 smoke/ci election runs, seeds 0..2, and election-swarm 0..19 before that scenario, and 3 of 10 election-swarm-long runs caught it).",
  },
  {
    name: 'election-release-any-holder',
    area: 'election',
    description:
      "lease mode: a closing leader gives up whatever lease record it finds, not only its own: when a follower took the lapsed lease while the closing tab was frozen (its close waiting for a flush), the release clears the new leader's record and a third tab takes it at once while the new leader still trusts its lease (caught by invariant:lease-exclusive in election-closed-while-frozen: 10 of seeds 0..9; it passed all 99 smoke/ci election runs, seeds 0..2, before that scenario: no scenario closed a leader whose lease had been taken).",
  },
  {
    name: 'election-follower-wall-clock',
    area: 'election',
    description:
      "lease mode: a follower counts a lease record's silence on its wall clock instead of its monotonic clock, so a clock set ahead while it reads the same record twice (a leader's renewal late by a short stall) makes a live lease look expired: it takes over a lease its holder still trusts (caught by invariant:lease-exclusive in election-follower-clock-jumps: 10 of seeds 0..9; it passed all 175 smoke/ci election runs, seeds 0..4, before that scenario: no scenario set a follower's clock, only the leader's, and only back). Found by the sixth bug hunt.",
  },
  {
    name: 'election-store-error-final',
    area: 'election',
    description:
      "a leader's failed apply of a write (a store error, a fenced batch) fails the write at once (definitely not applied) instead of retrying it until its deadline: the caller loses a write a retry a few ms later would have stored. Every safety and liveness check passes it (the write settled and was not applied); caught by invariant:fails-for-cause (a write fails only at once under the pending bound, at its tab's close, or at its deadline) in election-leader-paused-mid-flush (10 of seeds 0..9; the planted bug: 30 of 175 smoke/ci runs, seeds 0..4). Found by the sixth bug hunt.",
  },
  {
    name: 'election-refusal-clears-maybe-applied',
    area: 'election',
    description:
      "a follower takes a refusal of a re-sent write (ok: false, e.g. EBUSY from a full leader queue) to mean that no attempt of it was applied: when the write's deadline falls in the retry backoff after a refusal, it fails as definitely not applied, though its first attempt still waits in the leader's queue and commits later (caught by model:request, mayApply or definiteNotApplied, in election-forward-busy-at-deadline, where slow store commits keep the leader's queue full past the forward timeout and the deadline: 10 of seeds 0..9; it passed all 175 smoke/ci election runs, seeds 0..4, before that scenario: no re-send was ever refused while an earlier attempt could still be applied). Found by the seventh bug hunt.",
  },
] as const;

/** Name of an election variant. */
export type ElectionVariant = (typeof ELECTION_VARIANTS)[number]['name'];
