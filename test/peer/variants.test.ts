import { describe, expect, it } from 'vitest';
import { PEER_VARIANTS } from '../../src/impl/peer/variants.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import catchup from '../../scenarios/peer/catchup.ts';
import clocks from '../../scenarios/peer/clocks-and-links.ts';
import join from '../../scenarios/peer/join.ts';
import partitions from '../../scenarios/peer/partition-heal.ts';
import refusals from '../../scenarios/peer/refusals.ts';
import relay from '../../scenarios/peer/relay.ts';
import swarm from '../../scenarios/peer/swarm.ts';
import ties from '../../scenarios/peer/ties.ts';
import crashMidCatchup from '../../scenarios/peer/crash-mid-catchup.ts';
import rogue from '../../scenarios/peer/rogue.ts';

const byName = new Map<string, Scenario>([...partitions, ...join, ...catchup, ...relay, ...clocks, ...swarm, ...refusals, ...ties, ...crashMidCatchup, ...rogue].map((s) => [s.name, s]));

/** Each weakened variant, the scenario that must catch it, and the failure it must produce. */
const CASES: { variant: string; scenario: string; kind: string; check: string; seeds?: number[] }[] = [
  { variant: 'peer-global-watermark', scenario: 'peer-catchup-cut', kind: 'correctness', check: 'invariant:watermark-received' },
  // The model sees the first batch applied with no durable checkpoint (before any crash).
  { variant: 'peer-checkpoint-noop', scenario: 'peer-join-10k-crash', kind: 'correctness', check: 'model:backfill' },
  { variant: 'peer-buffer-drop-oldest', scenario: 'peer-join-buffer-overflow', kind: 'correctness', check: 'invariant:buffer-exactly-once' },
  // The kv delete is judged as the prune commits, before the prune's trace record reports it.
  { variant: 'peer-prune-early', scenario: 'peer-partition-heal', kind: 'correctness', check: 'invariant:log-pruned-after-acks' },
  // The audit's finding, kept as a variant: without relays C never gets A's records while A is down.
  { variant: 'peer-no-relay', scenario: 'peer-relay-owner-down', kind: 'liveness', check: 'liveness' },
  // Issue 11: each escapes every check that trusts the implementation's own figures.
  { variant: 'peer-resume-from-zero', scenario: 'peer-join-10k-crash', kind: 'correctness', check: 'invariant:backfill-resume' },
  { variant: 'peer-failover-unassigned', scenario: 'peer-backfill-peer-drop', kind: 'correctness', check: 'model:backfill' },
  { variant: 'peer-cursor-skip-tie', scenario: 'peer-backfill-peer-drop', kind: 'correctness', check: 'model:backfill' },
  { variant: 'peer-init-early', scenario: 'peer-join-10k-crash', kind: 'correctness', check: 'model:backfill' },
  { variant: 'peer-drift-own-hlc', scenario: 'peer-clock-drift-chain', kind: 'correctness', check: 'invariant:hlc-drift' },
  // A and B restart serving only their own writes; catch-up brings the rest back before the end.
  { variant: 'peer-partial-reload', scenario: 'peer-backfill-peer-drop', kind: 'correctness', check: 'invariant:ready-serves-durable' },
  // B relays A's records it got after a gap: C's watermark skips the ones B missed.
  { variant: 'peer-relay-past-watermark', scenario: 'peer-relay-unconfirmed', kind: 'correctness', check: 'invariant:relay-within-watermark' },
  // B's own watermark moves over the gap its failed commit left: its kv store does not hold A's records
  // below the watermark it stored (once seen only as liveness, when the devices failed to converge).
  { variant: 'peer-watermark-over-gap', scenario: 'peer-relay-unconfirmed', kind: 'correctness', check: 'invariant:watermark-complete' },
  // A bug nobody planned when invariant:watermark-complete was written (before it, liveness in 5 of 80 ci runs).
  { variant: 'peer-adopt-count-only', scenario: 'peer-duplicated-datagrams', kind: 'correctness', check: 'invariant:watermark-complete' },
  // The hunt's P10: a watermark inside a transaction jumps over its rest (no scenario reached it before this one).
  { variant: 'peer-watermark-ts-only', scenario: 'peer-catchup-inside-transaction', kind: 'correctness', check: 'invariant:watermark-complete' },
  // Planted in the hunt of 2026-12-07, both escaping every check before (0 of 90 runs of the peer ci scenarios):
  // an acknowledgement over a chain gap (the heartbeats' catch-up later fetches the change, so all converge),
  // and a prune deleting more of the log than it reports (the older prune check reads the report).
  { variant: 'peer-ack-over-gap', scenario: 'peer-five-partitions', kind: 'correctness', check: 'invariant:ack-held' },
  { variant: 'peer-prune-past-floor', scenario: 'peer-partition-heal', kind: 'correctness', check: 'invariant:log-pruned-after-acks' },
  // A joiner says ready and serves full scans while it backfills: D backfills part of the library from C.
  { variant: 'peer-serve-while-backfilling', scenario: 'peer-join-two-joiners', kind: 'correctness', check: 'invariant:backfill-from-complete' },
  // Changes broadcast before their commit is durable: seen where commits fail (before the check, liveness only).
  { variant: 'peer-broadcast-before-durable', scenario: 'peer-kv-errors', kind: 'correctness', check: 'invariant:change-sent-durable' },
  // Planted in the hunt of 2026-12-07, where no scenario made a peer answer with an error: R refuses C's full
  // scan and C marks the resource complete with nothing received.
  { variant: 'peer-error-as-empty-answer', scenario: 'peer-backfill-refused', kind: 'correctness', check: 'model:backfill' },
  // Extra resends, traffic only before invariant:resend-interval (0 of 105 peer ci runs failed with either):
  // R never acknowledges, so every device resends to it; too often, or at once after C's restart.
  // A catch-up taking R's refusal as the end of the stream: no data moves, only the session's claim.
  { variant: 'peer-catchup-error-as-end', scenario: 'peer-backfill-refused', kind: 'correctness', check: 'invariant:catchup-answered' },
  { variant: 'peer-resend-twice-as-often', scenario: 'peer-backfill-refused', kind: 'correctness', check: 'invariant:resend-interval' },
  { variant: 'peer-resend-on-restart', scenario: 'peer-backfill-refused', kind: 'correctness', check: 'invariant:resend-interval' },
  // Hunt 4 (2026-12-07): buffered updates told apart by timestamp alone drop the rest of a transaction
  // delivered live while C and D backfill; the device's own bookkeeping agrees with itself.
  { variant: 'peer-buffer-dedup-by-ts', scenario: 'peer-join-two-joiners', kind: 'correctness', check: 'invariant:buffered-live-kept' },
  // Hunt 4: the clock observing a batch's smallest timestamp (B's next write orders inside A's batch).
  { variant: 'peer-observe-batch-min', scenario: 'peer-clock-ahead-batches', kind: 'correctness', check: 'invariant:hlc' },
  // Hunt 4: a restart without the HLC floor, the wall clock 20 s back and no peer to hear from.
  { variant: 'peer-restart-no-hlc-floor', scenario: 'peer-restart-clock-back', kind: 'correctness', check: 'invariant:hlc' },
  // Hunt 4: an answer ending the stream with one record left (the next catch-up fetches it: nothing else fails).
  { variant: 'peer-has-more-off-by-one', scenario: 'peer-catchup-one-left', kind: 'correctness', check: 'invariant:stream-end-complete' },
  // Hunt 5: a tie of HLC physical ms and counter broken by the device ids reversed (no scenario tied before).
  { variant: 'peer-tie-device-inverted', scenario: 'peer-equal-hlc-ties', kind: 'correctness', check: 'invariant:watermark-complete' },
  // Hunt 5: the contiguous point stored with a catch-up's first batch; B loses power mid-stream (6 of seeds 0..9).
  { variant: 'peer-contig-before-stream-end', scenario: 'peer-crash-mid-shared-catchup', kind: 'correctness', check: 'invariant:ack-held', seeds: [0, 3] },
  // Hunt 5: the in-memory log drops its newest entries at a prune while the store drops its oldest
  // (catch-up repairs the peers: only the store's log, holding acknowledged entries, shows it).
  { variant: 'peer-prune-memory-newest', scenario: 'peer-partition-heal', kind: 'correctness', check: 'invariant:log-pruned-when-acked' },
  // An echo of every shared change received: nothing but the workload's record tells who wrote it.
  { variant: 'peer-echo-shared', scenario: 'peer-partition-heal', kind: 'correctness', check: 'invariant:own-writes-were-written' },
  // Hunt 6: a restarted peer's heartbeats dropped as stale until their count passes its previous life's.
  { variant: 'peer-boot-seq-kept', scenario: 'peer-restart-long-run', kind: 'liveness', check: 'liveness' },
  // Hunt 6: a relay marked done when it starts; C's storage fails once mid-relay and the rest never comes.
  { variant: 'peer-relay-marked-early', scenario: 'peer-relay-interrupted', kind: 'liveness', check: 'liveness' },
  // Hunt 6: the retry queue's bound ignored (unbounded growth; the flush at reconnect is the evidence).
  { variant: 'peer-retry-queue-unbounded', scenario: 'peer-catchup-cut', kind: 'correctness', check: 'invariant:retry-queue-bounded' },
  // Hunt 7: a resend of the newest unacknowledged batch chained to the last acknowledgement; B misses the
  // changes in between (its retry queue at A overflowed) and its watermark follows the batch over them.
  { variant: 'peer-resend-newest-batch', scenario: 'peer-resend-past-gap', kind: 'correctness', check: 'invariant:watermark-complete' },
  // Hunt 7: responses matched by request id alone; R answers J's request ids while J backfills from A.
  { variant: 'peer-response-any-sender', scenario: 'peer-rogue-responses', kind: 'correctness', check: 'model:backfill' },
];

/** Variants that only the check named escapes to: with it off, the run passes (the check is what sees them). */
const ONLY: { variant: string; scenario: string; check: string }[] = [
  { variant: 'peer-partial-reload', scenario: 'peer-backfill-peer-drop', check: 'invariant:ready-serves-durable' },
  { variant: 'peer-ack-over-gap', scenario: 'peer-five-partitions', check: 'invariant:ack-held' },
  { variant: 'peer-prune-past-floor', scenario: 'peer-partition-heal', check: 'invariant:log-pruned-after-acks' },
  { variant: 'peer-serve-while-backfilling', scenario: 'peer-join-two-joiners', check: 'invariant:backfill-from-complete' },
  { variant: 'peer-catchup-error-as-end', scenario: 'peer-backfill-refused', check: 'invariant:catchup-answered' },
  { variant: 'peer-resend-twice-as-often', scenario: 'peer-backfill-refused', check: 'invariant:resend-interval' },
  { variant: 'peer-resend-on-restart', scenario: 'peer-backfill-refused', check: 'invariant:resend-interval' },
  { variant: 'peer-buffer-dedup-by-ts', scenario: 'peer-join-two-joiners', check: 'invariant:buffered-live-kept' },
  { variant: 'peer-has-more-off-by-one', scenario: 'peer-catchup-one-left', check: 'invariant:stream-end-complete' },
  { variant: 'peer-retry-queue-unbounded', scenario: 'peer-catchup-cut', check: 'invariant:retry-queue-bounded' },
];

/**
 * Variants caught twice, by an invariant and by the model, each on its own evidence: with the first catcher
 * removed, the second still fails the run.
 */
const SECOND: { variant: string; scenario: string; without: string; check: string; kind?: string }[] = [
  { variant: 'peer-resume-from-zero', scenario: 'peer-join-10k-crash', without: 'invariant:backfill-resume', check: 'model:backfill' },
  // Without the relay check, C's watermark for A moves over the batch B missed: C's kv store lacks it.
  { variant: 'peer-relay-past-watermark', scenario: 'peer-relay-unconfirmed', without: 'invariant:relay-within-watermark', check: 'invariant:watermark-complete' },
  // The reported prune point is judged too (on a recorded trace, where the kv check cannot run).
  { variant: 'peer-prune-early', scenario: 'peer-partition-heal', without: 'invariant:log-pruned-after-acks', check: 'invariant:prune-after-all-acks' },
  // Without the model, C completes without the refused resource (catch-up fetches it later), but the
  // catch-ups that take R's refusals as answers fail invariant:catchup-answered.
  { variant: 'peer-error-as-empty-answer', scenario: 'peer-backfill-refused', without: 'model:backfill', check: 'invariant:catchup-answered' },
  // Without the watermark check, an acknowledgement covers the version the inverted tie-break dropped.
  { variant: 'peer-tie-device-inverted', scenario: 'peer-equal-hlc-ties', without: 'invariant:watermark-complete', check: 'invariant:ack-held' },
];

describe('weakened peer variants are caught', () => {
  it('every declared variant has a case', () => {
    expect(CASES.map((c) => c.variant).sort()).toEqual(PEER_VARIANTS.map((v) => v.name).sort());
  });

  for (const c of CASES) {
    it.each(c.seeds ?? [1, 2])(`${c.variant} fails ${c.scenario} with ${c.check} (seed %i)`, async (seed) => {
      const s = byName.get(c.scenario)!;
      const bad = await runScenario(s, seed, { variant: c.variant });
      expect(bad.verdict).toBe(c.kind);
      expect(bad.failure?.check).toBe(c.check);
      expect(bad.replay).toContain(`--variant ${c.variant}`);
    });
  }

  for (const c of ONLY) {
    it(`${c.variant} passes ${c.scenario} when ${c.check} is off (nothing else sees it)`, async () => {
      const s = byName.get(c.scenario)!;
      const without: Scenario = c.check === 'model:backfill' ? { ...s, models: [] } : { ...s, checks: s.checks!.filter((k) => k.name !== c.check) };
      const r = await runScenario(without, 1, { variant: c.variant });
      expect(r.verdict).toBe('pass');
    });
  }

  for (const c of SECOND) {
    it(`${c.variant} fails ${c.scenario} with ${c.check} when ${c.without} is off`, async () => {
      const s = byName.get(c.scenario)!;
      const without: Scenario = c.without === 'model:backfill' ? { ...s, models: [] } : { ...s, checks: s.checks!.filter((k) => k.name !== c.without) };
      const bad = await runScenario(without, 1, { variant: c.variant });
      expect(bad.verdict).toBe(c.kind ?? 'correctness');
      expect(bad.failure?.check).toBe(c.check);
    });
  }
});
