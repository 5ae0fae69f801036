/**
 * Leader election's kinds (docs/election.md, "Trace vocabulary"): `election.*` (the ElectionReporter),
 * `writer.begin` and `fwd.send` (the write path), `fenced.*` (the FencedStore).
 */
import { count, int, kind, nullable, num, oneOf, str, type KindSchemas } from './dsl.ts';

/** `STEP_DOWN_REASONS` of src/model/election/election-model.ts (a closed set; test/trace/schema.test.ts holds them equal). */
export const STEP_DOWN_REASONS = ['lease-expired', 'lease-lost', 'lock-stolen', 'fenced', 'closing', 'error'] as const;
/** `LOST_REASONS` of src/model/election/election-model.ts. */
export const LOST_REASONS = ['taken', 'store-error', 'closed', 'stolen', 'lock-error', 'epoch-error'] as const;

export const ELECTION_KINDS: KindSchemas = {
  // The mode is the implementation's word for how it campaigns: the election model treats 'lock' (queued) apart
  // and every other mode alike, so a plugged-in election may name its own (its guide: docs/guides/election.md).
  'election.campaign': kind(
    "about to try to become leader; mode: the built-in's `lease`, `lock` (queued behind the holder: the model's `queued` state) or `lock-steal`, or a plugged-in election's own name (any mode other than `lock` is a candidate that must resolve)",
    { mode: { ...str, examples: ['lease', 'lock', 'lock-steal'] } },
  ),
  'election.lost': kind('the attempt failed', { reason: oneOf(...LOST_REASONS) }),
  'election.acquired': kind("won an epoch (durable), not acting yet; mode as the campaign's (the model does not read it)", { epoch: int, mode: { ...str, examples: ['lease', 'lock'] } }),
  'election.leader': kind('store fenced, leading; `validMs`: trust left (lease mode)', { epoch: int }, { validMs: num }),
  'election.renewed': kind('lease renewed', { epoch: int, validMs: num }),
  'election.stepdown': kind('stops leading now', { epoch: int, reason: oneOf(...STEP_DOWN_REASONS) }),
  'election.follower': kind('back to follower (flush drained)', { reason: oneOf(...STEP_DOWN_REASONS) }),
  'election.seen': kind('another tab seen as leader (on change)', { holder: str, epoch: int }),
  'writer.begin': kind('the leader starts flushing a batch', { epoch: int, count: count }),
  'fwd.send': kind('a forwarded attempt of a write', { id: str, attempt: count }),
  'fenced.fence': kind('a fence committed as block store commit `pos`', { pos: count, epoch: int, writer: str }),
  'fenced.write': kind('a write committed as block store commit `pos`', { pos: count, epoch: int, writer: str, key: str, value: str, reqId: nullable(str) }),
  'fenced.reject': kind('a call refused as stale: `fence` is the epoch the store holds', { epoch: int, fence: int, value: nullable(str) }),
  'fenced.dedup': kind('a request id found applied at `pos`', { reqId: str, pos: count }),
};
