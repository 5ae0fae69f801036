/** Weakened variants of the peer sync implementation (see src/scenario/variants.ts). Never the default. */
export const PEER_VARIANTS = [
  {
    name: 'peer-global-watermark',
    area: 'peer-sync',
    description:
      'one watermark per peer instead of one per (peer, resource): a catch-up of the next resource starts past records it never received, which are skipped for good (invariant:watermark-received; without that check the devices never converge, liveness; scenario peer-catchup-cut).',
  },
  {
    name: 'peer-checkpoint-noop',
    area: 'peer-sync',
    description:
      'the backfill checkpoint save does nothing: a crash mid-backfill restarts from zero (model:backfill, a batch applied while the durable checkpoint stays where it was; scenario peer-join-10k-crash).',
  },
  {
    name: 'peer-buffer-drop-oldest',
    area: 'peer-sync',
    description:
      'live updates buffered during backfill are dropped oldest-first on overflow, silently (invariant:buffer-exactly-once, scenario peer-join-buffer-overflow).',
  },
  {
    name: 'peer-prune-early',
    area: 'peer-sync',
    description:
      'a shared log entry is pruned once any one peer acknowledged it instead of all (invariant:log-pruned-after-acks on the kv deletes, and invariant:prune-after-all-acks on the reported prune; scenario peer-partition-heal).',
  },
  {
    name: 'peer-no-relay',
    area: 'peer-sync',
    description:
      'catch-up asks a peer only for its own writes (no relayed catch-up): a ready device that missed a writer\'s records cannot get them from another peer while the writer is down (liveness, scenario peer-relay-owner-down).',
  },
  {
    name: 'peer-resume-from-zero',
    area: 'peer-sync',
    description:
      'a restarted backfill loads its checkpoint but ignores the cursors of its unfinished resources (each starts over from its first record) while keeping its progress figures, so what it reports about itself stays consistent (invariant:backfill-resume: a request from the start while the durable checkpoint is further; model:backfill too; scenario peer-join-10k-crash).',
  },
  {
    name: 'peer-failover-unassigned',
    area: 'peer-sync',
    description:
      'a backfill worker whose peer fails switches on its own to the best other ready peer and goes on with its resources, without a new assignment round (model:backfill, a batch from a peer the resource is not assigned to; scenario peer-backfill-peer-drop).',
  },
  {
    name: 'peer-cursor-skip-tie',
    area: 'peer-sync',
    description:
      'the backfill asks for device-owned records after the last timestamp received instead of after the last key, as if timestamps were unique: records of one transaction (same timestamp) that did not fit in the batch are skipped (model:backfill, a request that does not start at the durable checkpoint; scenario peer-backfill-peer-drop).',
  },
  {
    name: 'peer-init-early',
    area: 'peer-sync',
    description:
      'the library is marked complete (meta/init) with the first backfill batch instead of at the end: after a crash mid-backfill the device restarts ready with part of the library (model:backfill, init durable while backfilling; scenario peer-join-10k-crash).',
  },
  {
    name: 'peer-drift-own-hlc',
    area: 'peer-sync',
    description:
      'the clock-drift check measures a remote HLC against the local HLC (which may already follow a fast peer) instead of the wall clock: a chain of fast clocks drags the device beyond the bound (invariant:hlc-drift, scenario peer-clock-drift-chain).',
  },
  {
    name: 'peer-partial-reload',
    area: 'peer-sync',
    description:
      'a restart reloads only the records the device wrote itself and forgets its watermarks, leaving the other writers\' records, still in its kv store, to catch-up: until catch-up has fetched them again the ready device serves less than it durably holds, acknowledged writes included; by the end memory equals disk again (invariant:ready-serves-durable, scenario peer-backfill-peer-drop).',
  },
  {
    name: 'peer-relay-past-watermark',
    area: 'peer-sync',
    description:
      'a relay answers a catch-up of another writer\'s stream with every record of that writer it holds, not only up to its watermark for the writer: records it received live after a gap are relayed, and the requester\'s watermark moves over the ones in between, which it then never fetches (invariant:relay-within-watermark, scenario peer-relay-unconfirmed; without that check a divergence in the long swarms, liveness).',
  },
  {
    name: 'peer-watermark-over-gap',
    area: 'peer-sync',
    description:
      "a live change moves the watermark for its writer even when it does not follow what the device holds of the writer's stream (a gap: an earlier change was lost): the device then never fetches the missing records, and relays its watermark as a complete prefix (invariant:watermark-complete; scenario peer-relay-unconfirmed, where B's failed commit leaves the gap).",
  },
  {
    name: 'peer-adopt-count-only',
    area: 'peer-sync',
    description:
      "watermark adoption compares only the record counts of the two digests (`count:sum`), not their sums: a device holding as many of a writer's records as the writer, but not the same versions, adopts the writer's latest key as its watermark and never fetches what differs (invariant:watermark-complete, scenario peer-duplicated-datagrams; a bug nobody planned when the check was written, kept as a variant).",
  },
  {
    name: 'peer-ack-over-gap',
    area: 'peer-sync',
    description:
      "a live shared change extends the writer's chain, and is acknowledged, even after a gap (an earlier change was lost): the writer prunes the missing change and stops resending it, and the receiver holds it only once a heartbeat's catch-up fetches it (invariant:ack-held, scenario peer-five-partitions; before that check every ci run passed, the catch-up hiding it).",
  },
  {
    name: 'peer-prune-past-floor',
    area: 'peer-sync',
    description:
      "a prune deletes the whole own log once every peer acknowledged part of it, while its trace reports the prune up to what they acknowledged (invariant:log-pruned-after-acks, judged on the kv deletes; invariant:prune-after-all-acks reads the reported point and passes; scenario peer-partition-heal).",
  },
  {
    name: 'peer-serve-while-backfilling',
    area: 'peer-sync',
    description:
      "a device says it is ready (heartbeat `ready`) and serves full scans as soon as its own backfill has begun: another joiner backfills part of the library from it as if it were all, completes and turns ready with records missing, which catch-up fetches later (invariant:backfill-from-complete, scenario peer-join-two-joiners; before that check every run passed).",
  },
  {
    name: 'peer-broadcast-before-durable',
    area: 'peer-sync',
    description:
      "shared changes are broadcast as their transaction is issued, before it is durable: when the commit then fails (or a power loss takes it), the peers hold changes their writer never made (invariant:change-sent-durable, scenario peer-kv-errors; before that check, liveness only, in that scenario alone).",
  },
  {
    name: 'peer-watermark-ts-only',
    area: 'peer-sync',
    description:
      "a live owned change counts as following the watermark when its prev has the watermark's timestamp, whatever the uuid: a watermark inside a transaction (a catch-up batch ended there) jumps over the rest of it, which catch-up, starting from the watermark, then never fetches (invariant:watermark-complete, scenario peer-catchup-inside-transaction; planted in the hunt of 2026-12-07, where no scenario reached the window).",
  },
  {
    name: 'peer-error-as-empty-answer',
    area: 'peer-sync',
    description:
      "an Error answering a request (a refusal: busy, unknown-resource, malformed) settles it as an empty last answer instead of failing it: a backfill marks the refused resource complete with the records it did not get (model:backfill, a batch no response delivered; scenario peer-backfill-refused, where a member says it is ready and refuses every request; planted in the hunt of 2026-12-07, where no scenario made a peer answer with an error).",
  },
  {
    name: 'peer-resend-twice-as-often',
    area: 'peer-sync',
    description:
      "unacknowledged shared changes are resent every ackTimeoutMs / 2 (the timeout compared with the check period): twice the traffic the protocol makes, and nothing in the data shows it (invariant:resend-interval, on the delivered resends and the sender's true monotonic clock; scenario peer-resend-clogged; planted in the hunt of 2026-12-07, where it escaped as traffic only).",
  },
  {
    name: 'peer-resend-on-restart',
    area: 'peer-sync',
    description:
      "a restarted device resends the unacknowledged shared changes it finds at its first check, without waiting ackTimeoutMs (as if it had waited before the restart): extra traffic after every restart, invisible in the data (invariant:resend-interval: a resend sooner than ackTimeoutMs after the process started; scenario peer-backfill-refused; planted in the hunt of 2026-12-07, where it escaped as traffic only).",
  },
  {
    name: 'peer-catchup-error-as-end',
    area: 'peer-sync',
    description:
      "a catch-up takes a refusal (an Error answering its request) as the end of the stream: the session goes on as if the peer had nothing more, and a relay offer it refused counts as fetched. No data moves (the watermark follows records received only), so every data check passes (invariant:catchup-answered: a batch no delivered answer carries; scenario peer-backfill-refused; a bug of the hunt of 2026-12-07's class nobody planned).",
  },
  {
    name: 'peer-buffer-dedup-by-ts',
    area: 'peer-sync',
    description:
      "live updates buffered during a backfill are told apart by their timestamp alone: the records of one owned transaction (one ts) after the first are taken for duplicates and dropped, silently; the device's own bookkeeping agrees with itself, so invariant:buffer-exactly-once passes (invariant:buffered-live-kept, from the live messages the network delivered: scenario peer-join-two-joiners; a bug of the hunt of 2026-12-07's fourth pass, caught in 0 of 105 peer ci runs before).",
  },
  {
    name: 'peer-observe-batch-min',
    area: 'peer-sync',
    description:
      "a receive moves the clock up to the smallest timestamp of a batch instead of its largest: a write made after a batch from a device whose clock is ahead can order before records of that batch (a newer write losing to an older one). Caught by invariant:hlc in peer-clock-ahead-batches (5 of 5 seeds); every other scenario passed (0 of 105 peer ci runs): the heartbeats carried the sender's clock before the next local write.",
  },
  {
    name: 'peer-restart-no-hlc-floor',
    area: 'peer-sync',
    description:
      "a restart does not raise the HLC to the largest timestamp the store holds: a device whose wall clock went back issues timestamps below its own earlier writes (its new shared edits lose to its older versions and are silently left out). Caught by invariant:hlc in peer-restart-clock-back (10 of 10 seeds; A restarts cut off from every peer, its wall clock 20 s back); 1 of 105 peer ci runs before.",
  },
  {
    name: 'peer-has-more-off-by-one',
    area: 'peer-sync',
    description:
      "an answer says the stream ended (hasMore false) when one record is left: the requester's catch-up stops a record short (a later one fetches it), a joiner's backfill marks the resource done without it. Caught by invariant:stream-end-complete (the responder's own heartbeats announced a newer own record before it answered) in peer-catchup-one-left (10 of 10 seeds), whose catch-up ends at 61 records in batches of 10; 0 of 105 peer ci runs failed before.",
  },
  {
    name: 'peer-tie-device-inverted',
    area: 'peer-sync',
    description:
      "two versions of one record with equal HLC physical ms and counter (two devices writing it in the same ms) are ordered by their device ids reversed: every device agrees, so everything converges, but on the other winner than the documented order (the HLC string) names, and a device's watermark or acknowledgement covers a version it dropped for one the order puts below it. Caught by invariant:watermark-complete (and, with it off, invariant:ack-held) in peer-equal-hlc-ties (devices with agreeing clocks write one shared record in the same instant: 5 of 5 seeds); no other scenario ever produced such a tie (0 of 120 peer smoke+ci runs).",
  },
  {
    name: 'peer-contig-before-stream-end',
    area: 'peer-sync',
    description:
      "a catch-up of a writer's shared changes stores the writer's head as its contiguous point with the first batch instead of the last: a crash in the middle of the stream leaves a contiguous point (what the device acknowledges) over batches it never fetched, and its next live change from the writer is acknowledged up to there. Caught by invariant:ack-held in peer-crash-mid-shared-catchup (B loses power right after a catch-up batch commit with more to come); no other scenario crashed a device mid shared catch-up (0 of 120 peer smoke+ci runs).",
  },
  {
    name: 'peer-prune-memory-newest',
    area: 'peer-sync',
    description:
      "a prune deletes the oldest acknowledged entries from the store but drops the newest from the in-memory log: the unacknowledged changes are no longer resent (catch-up repairs the peers, so everything converges) and the acknowledged entries stay in the store until a restart. Caught by invariant:log-pruned-when-acked (the device's kv store holds every member's acknowledgement above a log entry it still holds); hunt 5: 0 of 120 peer smoke+ci runs before.",
  },
  {
    name: 'peer-echo-shared',
    area: 'peer',
    description:
      "a device writes every shared change it receives from another device once more as its own (an echo: the same value under a new timestamp of its own): every replica still converges and every stream, watermark and acknowledgement is consistent, but the echo buries any concurrent newer write of a third device (caught by invariant:own-writes-were-written, from the workload's record of what it asked each device to write: 44 of 52 smoke/ci peer runs, seeds 0..1; it passed all 52 before that check).",
  },
  {
    name: 'peer-boot-seq-kept',
    area: 'peer',
    description:
      "a peer's heartbeat sequence is not reset when it restarts (a new boot): its new heartbeats, counting from 0 again, are dropped as stale until they pass the previous life's count, so what it holds and the others lack (written while cut off) waits that long for catch-up. Caught as liveness by peer-restart-long-run (B heartbeats A for 8 s, writes cut off, restarts as the partition heals and writes nothing more: convergence within 3 s of the end), 10 of seeds 0..9; it passed all 130 smoke/ci peer runs, seeds 0..4, before that scenario. Found by the sixth bug hunt.",
  },
  {
    name: 'peer-relay-marked-early',
    area: 'peer',
    description:
      "a relayed catch-up (a writer's records fetched from another peer while the writer is away) is marked done when it starts, not when its stream ends: a relay that fails midway (a storage error, a lost link) is not tried again while the relaying peer's offer stands, and the device keeps the first batches only until the writer itself comes back. Caught as liveness by peer-relay-interrupted (C's kv commit fails once in the middle of the relay: 10 of seeds 0..9); it passed all 135 smoke/ci peer runs, seeds 0..4, before that scenario (no scenario failed a relay midway). Found by the sixth bug hunt.",
  },
  {
    name: 'peer-retry-queue-unbounded',
    area: 'peer',
    description:
      "the queue of messages for a peer that cannot be reached ignores retryQueueMax: it grows for as long as the peer is away and is flushed whole when the link comes back. Every replica still converges (the protocol deduplicates), so only invariant:retry-queue-bounded sees it (the live changes sent at the instant a link came up, from the simulator's connection records and the wire): peer-catchup-cut and peer-crash-mid-shared-catchup, 5 of seeds 0..4 each; it passed all 130 smoke/ci peer runs before that check. Found by the sixth bug hunt.",
  },
  {
    name: 'peer-resend-newest-batch',
    area: 'peer',
    description:
      "a resend of changes a peer left unacknowledged for ackTimeoutMs sends the newest batch of them instead of the first, still chained to the peer's last acknowledgement (`prev`): a receiver that misses changes in between (a retry queue overflowed while it was away) takes the batch as contiguous, moves its watermark and acknowledges over the gap. Caught by peer-resend-past-gap (more than a batch unacknowledged, B's messages to A slow while A resends): invariant:watermark-complete, 10 of seeds 0..9. Hunt 7: it passed all 140 smoke/ci peer runs, seeds 0..4, before that scenario (no scenario left more than a batch unacknowledged for a connected peer that missed some of it).",
  },
  {
    name: 'peer-response-any-sender',
    area: 'peer',
    description:
      "a response is matched to a pending request by its request id alone, not by its sender too: a member answering request ids it was never sent (a buggy or hostile device) settles another peer's request, and its records are stored as that peer's answer (a backfill takes any writer). Caught by peer-rogue-responses (R floods J's first request ids with forged StateResponses while J backfills from A): model:backfill, recvAsDelivered, 10 of seeds 0..9. Hunt 7: it passed all 140 smoke/ci peer runs, seeds 0..4, before that scenario (no scenario sent a response nobody asked for; honest peers answer only their own requests).",
  },
] as const;

/** Name of a peer sync variant ('' is the correct implementation). */
export type PeerVariant = '' | (typeof PEER_VARIANTS)[number]['name'];
