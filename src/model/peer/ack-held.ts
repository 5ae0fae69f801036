/**
 * invariant:ack-held — every acknowledgement a device sends (`AckSharedChanges {resource, upTo}`) is true
 * when the network delivers it: the sender's kv store durably holds every shared change of the addressee
 * in the resource up to upTo that is still the addressee's current version (or a version beating it by the
 * merge rule), judged as watermarks are (invariant:watermark-complete), but on the sender's durable kv
 * image (`SimKv.durableGet`): the protocol promises the acknowledged changes durable (docs/peer-sync.md,
 * Messages). An acknowledgement sent after a gap, or before the changes are durable, makes its addressee
 * prune the change and stop resending it; only catch-up can then bring it.
 *
 * Evidence shared with invariant:watermark-complete and invariant:log-pruned-after-acks:
 * stream-evidence.ts. A live check.
 */
import type { Check } from '../../scenario/types.ts';
import { ACK_NAME, streamClaimCheck } from './stream-evidence.ts';

/** Every delivered acknowledgement is durably held by its sender (see the file comment). */
export function ackHeldCheck(nodes: readonly string[]): Check {
  return streamClaimCheck(ACK_NAME, nodes);
}
