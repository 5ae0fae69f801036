/**
 * invariant:watermark-complete — when a device stores a watermark M for writer W's stream in resource R
 * (kv store `meta`, key `wm/<W>/<R>`, value `{ts, uuid}`; docs/peer-sync.md, Receiving, watermarks and
 * catch-up), it holds W's own stream in R completely up to M: for every version W committed of a record of
 * R with a key (ts, uuid) at or below M that is still W's current version of that record in W's own kv
 * store, the device's kv store holds that version or one that beats it by the merge rule. A watermark
 * moved over a gap (a live change after a lost one, a relay serving past what it holds, a digest adopted
 * wrongly) makes the device skip the records in between for good: catch-up starts from the watermark.
 *
 * Judged as the watermark commit is applied (`SimKv.observeCommits`), on the device's committed kv image.
 * The evidence (W's stream, the excuses of versions replaced or beaten elsewhere) is shared with
 * invariant:ack-held and invariant:log-pruned-after-acks: stream-evidence.ts. A live check.
 */
import type { Check } from '../../scenario/types.ts';
import { NAME, streamClaimCheck } from './stream-evidence.ts';

/** Every watermark a device stores covers its writer's stream completely (see the file comment). */
export function watermarkCompleteCheck(nodes: readonly string[]): Check {
  return streamClaimCheck(NAME, nodes);
}
