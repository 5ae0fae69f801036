/**
 * invariant:log-pruned-after-acks — every own log entry a device deletes from its kv store (store `log`,
 * key `<resource>/<hlc>`) is covered by an acknowledgement of every other member that the network delivered
 * to it before the deleting commit. Judged on the deletes the commits apply (`SimKv.observeCommits`), not on
 * the `peer.log.prune {upTo}` the device reports (invariant:prune-after-all-acks reads that one: a prune
 * that deleted more than it reported passed it).
 *
 * Evidence shared with invariant:watermark-complete and invariant:ack-held: stream-evidence.ts. A live
 * check.
 */
import type { Check } from '../../scenario/types.ts';
import { PRUNE_NAME, streamClaimCheck } from './stream-evidence.ts';

/** Own log entries are deleted only once every other member's delivered acknowledgements cover them. */
export function logPrunedAfterAcksCheck(nodes: readonly string[]): Check {
  return streamClaimCheck(PRUNE_NAME, nodes);
}
