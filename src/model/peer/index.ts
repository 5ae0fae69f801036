/**
 * The peer sync checkers, one per file named after its invariant (docs/models.md, Layout), and
 * `peerChecks`, every one of them for a scenario. Each reads the trace (facts included) and, for final-state
 * checks, the nodes' public handles; none looks inside the implementation. Where each one's evidence comes
 * from: docs/peer-sync.md (Model and invariants, the evidence table).
 */
import type { Check } from '../../scenario/types.ts';
import { backfillProgressCheck } from './backfill-progress.ts';
import { backfillResumeCheck } from './backfill-resume.ts';
import { backfillFromCompleteCheck } from './backfill-from-complete.ts';
import { hlcDriftCheck } from './hlc-drift.ts';
import { resendCheck } from './resend-unacked.ts';
import { resendIntervalCheck } from './resend-interval.ts';
import { watermarkCheck } from './watermark-received.ts';
import { relayWithinWatermarkCheck } from './relay-within-watermark.ts';
import { hlcCheck } from './hlc.ts';
import { changeSentDurableCheck } from './change-sent-durable.ts';
import { pruneCheck } from './prune-after-all-acks.ts';
import { bufferCheck } from './buffer-exactly-once.ts';
import { bufferedLiveKeptCheck } from './buffered-live-kept.ts';
import { catchupDeltaCheck } from './catchup-delta.ts';
import { catchupAnsweredCheck } from './catchup-answered.ts';
import { ackedWritesCheck } from './acked-not-lost.ts';
import { convergedCheck } from './converged.ts';
import { memoryIsDurableCheck } from './memory-is-durable.ts';
import { readyServesDurableCheck } from './ready-serves-durable.ts';
import { ackHeldCheck } from './ack-held.ts';
import { logPrunedAfterAcksCheck } from './log-pruned-after-acks.ts';
import { logPrunedWhenAckedCheck } from './log-pruned-when-acked.ts';
import { ownWritesWereWrittenCheck } from './own-writes-were-written.ts';
import { streamEndCompleteCheck } from './stream-end-complete.ts';
import { watermarkCompleteCheck } from './watermark-complete.ts';

export { hlcCheck } from './hlc.ts';
export { changeSentDurableCheck } from './change-sent-durable.ts';
export { pruneCheck } from './prune-after-all-acks.ts';
export { bufferCheck } from './buffer-exactly-once.ts';
export { bufferedLiveKeptCheck } from './buffered-live-kept.ts';
export { catchupDeltaCheck } from './catchup-delta.ts';
export { catchupAnsweredCheck } from './catchup-answered.ts';
export { ackedWritesCheck } from './acked-not-lost.ts';
export { convergedCheck } from './converged.ts';
export { memoryIsDurableCheck } from './memory-is-durable.ts';
export { readyServesDurableCheck } from './ready-serves-durable.ts';
export { backfillResumeCheck } from './backfill-resume.ts';
export { backfillFromCompleteCheck } from './backfill-from-complete.ts';
export { backfillProgressCheck } from './backfill-progress.ts';
export { watermarkCheck } from './watermark-received.ts';
export { relayWithinWatermarkCheck } from './relay-within-watermark.ts';
export { watermarkCompleteCheck } from './watermark-complete.ts';
export { ackHeldCheck } from './ack-held.ts';
export { logPrunedAfterAcksCheck } from './log-pruned-after-acks.ts';
export { logPrunedWhenAckedCheck, LOG_PRUNED_WHEN_ACKED } from './log-pruned-when-acked.ts';
export { ownWritesWereWrittenCheck, OWN_WRITES_WERE_WRITTEN } from './own-writes-were-written.ts';
export { streamEndCompleteCheck } from './stream-end-complete.ts';
export { resendCheck } from './resend-unacked.ts';
export { resendIntervalCheck } from './resend-interval.ts';
export { hlcDriftCheck } from './hlc-drift.ts';
export { rejectedNeverApplied, type Forged, type RogueView } from './rejected-never-applied.ts';

/** What the peer checks need to know of a scenario's configuration. */
export interface PeerCheckOptions {
  /** The batch size the devices use (the "one batch" allowance of catch-up). */
  batchSize: number;
  /** The devices' `maxDriftMs` (invariant:hlc-drift). */
  maxDriftMs: number;
  /** Devices configured as joiners (invariant:backfill-from-complete; the others are founders). */
  joiners?: readonly string[];
  /** The devices' `ackTimeoutMs` (invariant:resend-interval); without it that check is not run. */
  ackTimeoutMs?: number;
  /** The device-owned resources (invariant:stream-end-complete); without them that check is not run. */
  ownedResources?: readonly string[];
  /**
   * The ids the members' programs list as their peers, when they include nodes the checks leave out (a
   * scripted member): invariant:log-pruned-when-acked waits for their acknowledgements too. Default `nodes`.
   */
  peers?: readonly string[];
}

/** Every peer check, for `Scenario.checks`. */
export function peerChecks(nodes: readonly string[], options: PeerCheckOptions): Check[] {
  return [
    hlcCheck(nodes),
    pruneCheck(nodes),
    bufferCheck(nodes),
    bufferedLiveKeptCheck(nodes),
    backfillResumeCheck(nodes),
    backfillFromCompleteCheck(nodes, options.joiners ?? []),
    backfillProgressCheck(nodes),
    catchupDeltaCheck(nodes, options.batchSize),
    catchupAnsweredCheck(nodes),
    watermarkCheck(nodes),
    relayWithinWatermarkCheck(nodes),
    watermarkCompleteCheck(nodes),
    ackHeldCheck(nodes),
    logPrunedAfterAcksCheck(nodes),
    logPrunedWhenAckedCheck(nodes, options.peers),
    ownWritesWereWrittenCheck(nodes),
    ...(options.ownedResources !== undefined ? [streamEndCompleteCheck(nodes, options.ownedResources)] : []),
    changeSentDurableCheck(nodes),
    resendCheck(nodes),
    ...(options.ackTimeoutMs !== undefined ? [resendIntervalCheck(nodes, options.ackTimeoutMs)] : []),
    hlcDriftCheck(nodes, options.maxDriftMs),
    ackedWritesCheck(nodes),
    convergedCheck(nodes),
    memoryIsDurableCheck(nodes),
    readyServesDurableCheck(nodes),
  ];
}
