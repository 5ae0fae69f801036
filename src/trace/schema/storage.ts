/** The block store's kinds (docs/storage.md, "Trace records"): `store.*` and AutoSync's `autosync.*`. */
import { bool, count, int, kind, num, oneOf, str, type KindSchemas } from './dsl.ts';

const backend = oneOf('file', 'kv');
/** An FNV-1a-32 digest, 8 lower-case hex digits. */
const digest = { type: 'string', pattern: '^[0-9a-f]{8}$' };

export const STORAGE_KINDS: KindSchemas = {
  'store.open': kind("a store opened; `variant`: '' or the weakened variant", { backend, root: str, relaxed: bool, variant: str }),
  'store.write': kind('a block written or deallocated into the dirty batch', { seq: count, id: count, op: oneOf('write', 'dealloc') }),
  'store.fenced': kind('a write refused: another writer fenced a higher epoch', { epoch: int, highest: int, at: oneOf('write') }),
  'store.checksum.fail': kind("a read's checksum failed", { id: count, v: count, attempt: count }),
  'store.commit.begin': kind('a commit started', { commit: count, upTo: count, blocks: count, epoch: int, strict: bool }),
  'store.commit.synced': kind("the commit's blocks and pending metadata are durable (file backend)", { commit: count }),
  'store.commit.marker-write': kind('the commit marker write started; `atomic`: in one kv transaction', { commit: count, atomic: bool }),
  'store.commit.marker': kind('the commit marker is durable', { commit: count }),
  'store.commit.done': kind('the commit finished; `dirty`: writes wait for the next one', { commit: count, dirty: bool }),
  'store.commit.failed': kind('the commit failed at its data or marker stage', { commit: count, code: str, stage: oneOf('data', 'marker') }),
  'store.commit.discarded': kind('a request id found applied (EAPPLIED): the transaction applied nothing', { commit: count, code: str, dirty: bool }),
  'store.commit.finalize-failed': kind("the commit's finalize failed", { commit: count, code: str }),
  'store.commit.refused': kind('the commit refused: fenced (EFENCED) or stale view (ESTALE); -1: epoch unknown', { commit: count, code: str, durableEpoch: int }),
  'store.fence.begin': kind('a static fence at `epoch` started', { epoch: int }),
  'store.fence': kind('the store is fenced at `epoch`', { commit: count, epoch: int }),
  'store.fence.failed': kind('a static fence failed; `highest`: the epoch above it (-1: unknown)', { epoch: int, code: str, highest: int }),
  'store.flushed': kind('relaxed commits up to `commit` flushed to durable', { commit: count }),
  'store.recover.begin': kind('a recovery started (`inPlace`: of an open store before its next commit)', { backend, inPlace: bool }),
  'store.recover.finalize': kind('recovery finalized pending metadata', { commit: count, marker: int }),
  'store.recover.rollback': kind('recovery rolled pending metadata back (`commit` -1: unknown, torn)', { commit: int, marker: int, torn: bool }),
  'store.recover.strays': kind('recovery deleted stray block files', { deleted: count, first: str }),
  'store.recover.repair': kind('a damaged block rolled back to its previous version', { id: count, from: count, to: count }),
  'store.recover.corrupt': kind('a block recovery found damaged (`confirmed`: false = a refused repair)', { id: count, v: count, mode: oneOf('report', 'repair'), confirmed: bool }),
  'store.recover.unstable': kind('flaky reads of a block during verification: no verdict', { id: count, v: count }),
  'store.recover.failed': kind('a recovery failed', { code: str, message: str }),
  'store.recover.kept-dirty': kind('writes taken during an in-place recovery kept for the next commit', { count: count }),
  'store.recover.restart': kind("a recovery started over: another tab's commit moved the marker", { attempt: count }),
  'store.recover.done': kind('a recovery ended: the commit it reached and digests of the blocks and tombstones', {
    commit: count,
    epoch: int,
    outcome: oneOf('clean', 'finalized', 'rolled-back'),
    strays: count,
    corrupt: count,
    repaired: count,
    blocks: count,
    digest,
    tombstones: count,
    tombstoneDigest: digest,
  }),
  'store.backpressure': kind('flow control of buffered writes turned on or off', { on: bool, dirtyBytes: count }),
  'store.metrics': kind("the store's figures after a commit", {
    dirtyCount: count,
    dirtyBytes: count,
    commits: count,
    failed: count,
    throughputBytesPerSec: count,
    errorRate: num,
    checksumFailures: count,
  }),
  'store.closed': kind('the store closed; `dirty`: writes never committed', { commit: count, dirty: count }),

  'autosync.start': kind('AutoSync started a commit', { reason: oneOf('interval', 'threshold') }),
  'autosync.done': kind('an AutoSync commit finished', { commit: count, blocks: count }),
  'autosync.failed': kind('an AutoSync commit failed', { code: str }),
  'autosync.shutdown': kind('AutoSync drained and shut down', { commit: count }),
};
