/**
 * Startup recovery, the same for both backends:
 *
 * 1. Load marker, committed metadata and pending metadata (framed documents, read like blocks: see step 4).
 *    The effective marker M is the larger of the marker and the committed metadata's commit (a missing or
 *    torn marker never hides a finalized commit).
 * 2. Pending metadata of a commit <= M took effect: finalize it (it becomes the committed metadata).
 *    Pending metadata of a commit > M (or torn while M is the committed metadata's) did not: roll it back
 *    (drop it). Torn pending metadata while the marker is above the committed metadata is the only copy
 *    of a commit that took effect: ECORRUPT, nothing is dropped.
 * 3. Reconcile block entries against the metadata: delete every entry that is not the current or previous
 *    version of an allocated block (strays: rolled-back writes, deallocated blocks, unknown names) and every
 *    entry whose size is not the block size. A block whose entry is missing stays missing (reported).
 * 4. Verify every committed block's checksum. Recovery destroys nothing on the strength of reads that may
 *    be transient: only damage at rest counts, confirmed by the same wrong bytes read three times through
 *    two read paths (stable-read.ts). Mode 'report': a damaged block is marked corrupt (reads fail with
 *    ECHECKSUM). Mode 'repair': the metadata rolls it back to its previous version when that still exists
 *    and verifies, then the damaged version is deleted, else it is marked corrupt. Reads that never repeat
 *    ('unstable') give no verdict and change nothing. Failing bytes that repeat without that confirmation
 *    ('suspect') are not enough to give up a committed version: the repair is refused and the block
 *    reported corrupt (`confirmed: false`), needing a decision (a later open verifies it again).
 * 5. Make every change durable: rewritten metadata is fsynced as it is written, and recovery ends by
 *    fsyncing the directories even when it deleted nothing itself (an earlier recovery that failed midway
 *    may have left visible but not yet durable deletions).
 *
 * Every step is idempotent, so a crash during recovery followed by recovery gives the state of one clean
 * recovery.
 *
 * Concurrent writers (tabs sharing a kv store): steps 3 and 4 change the medium only while the durable
 * marker is still the one step 1 loaded (`ifCommit`, checked inside the transaction that deletes or
 * adopts), and step 4 judges a block version that fails to verify only while the marker is still there
 * (another writer's finalize deletes the versions its commits replaced: gone, not damaged). When another
 * writer committed meanwhile, recovery starts again from step 1 (at most RECOVERY_ATTEMPTS times, traced
 * 'store.recover.restart'; then ESTALE), so a commit that landed after the load is never deleted as
 * strays nor overwritten by a repair, nor its predecessors reported corrupt. The file backend cannot check
 * this.
 */
import type { Tracer } from '../env.ts';
import type { Backend, BlockEntry } from './backend.ts';
import { blockName, keptVersions } from './backend.ts';
import { checksum } from './checksum.ts';
import { errorCode, StoreError } from './errors.ts';
import type { StoreMeta } from './format.ts';
import { cloneMeta, emptyMeta, stateDigest, tombstoneDigest } from './format.ts';
import { STABLE_POLICY, stableRead, type StablePolicy, type StableRead } from './stable-read.ts';

/** How recovery treats blocks whose checksum fails. */
export type CorruptionMode = 'report' | 'repair';

/** Options of a recovery run. */
export interface RecoveryOptions {
  blockSize: number;
  algorithm: StoreMeta['algorithm'];
  corruption: CorruptionMode;
  /** Verify every committed block's checksum (step 4). */
  verify: boolean;
  /** Variant: adopt pending metadata even when the marker never reached it. */
  keepPending: boolean;
  /** Variant: finalizing pending metadata forgets its tombstones (deallocated blocks). */
  dropTombstones: boolean;
  /** When failing block reads count as damage at rest (STABLE_POLICY; a variant trusts fewer reads). */
  readPolicy?: StablePolicy;
  /** Variant: decide on pending metadata by the committed metadata alone, ignoring the marker. */
  ignoreMarker?: boolean;
  /** Variant: `store.recover.done` reports the highest commit found on the medium, not the one recovered. */
  reportHighest?: boolean;
  /** Variant: a repair rolls a damaged block back to its previous version without verifying that version. */
  repairUnverified?: boolean;
  /**
   * Variant: a repair's metadata takes the wrong slot: 'current' keeps the damaged version (and drops the
   * intact previous one), 'sum' rolls back to the previous version with the damaged version's checksum.
   */
  repairSlot?: 'current' | 'sum';
  /**
   * True when an open store recovers in place (its marker write failed, `reload`): it keeps taking writes
   * meanwhile. False at startup, when there is no store instance yet. Traced in `store.recover.begin`.
   */
  inPlace: boolean;
}

/** What recovery did and the state it recovered. */
export interface RecoveryResult {
  meta: StoreMeta;
  /** 'finalized', 'rolled-back' or 'clean' (nothing pending, or only a leftover of a finalized commit). */
  outcome: 'finalized' | 'rolled-back' | 'clean';
  /** Block entries deleted. */
  strays: number;
  /** Committed blocks that are corrupt or missing and were not repaired. */
  corrupt: number[];
  /** Blocks rolled back to their previous version. */
  repaired: number[];
}

/** Loads recovery may start over because another writer committed meanwhile. */
export const RECOVERY_ATTEMPTS = 4;

/** Runs recovery on `backend`; traces each decision. */
export async function recover(backend: Backend, options: RecoveryOptions, trace: Tracer): Promise<RecoveryResult> {
  trace.emit('store.recover.begin', { backend: backend.kind, inPlace: options.inPlace });
  try {
    return await recoverSteps(backend, options, trace);
  } catch (e) {
    trace.emit('store.recover.failed', { code: errorCode(e), message: String(e).slice(0, 120) });
    throw e;
  }
}

async function recoverSteps(backend: Backend, options: RecoveryOptions, trace: Tracer): Promise<RecoveryResult> {
  await backend.init();
  for (let attempt = 1; ; attempt++) {
    const result = await recoverOnce(backend, options, trace).catch((e: unknown) => {
      if (e instanceof StoreError && e.code === 'ESTALE') return null; // a conditional adopt found the marker moved
      throw e;
    });
    if (result !== null) return result;
    if (attempt >= RECOVERY_ATTEMPTS) throw new StoreError('ESTALE', `another writer committed during each of ${attempt} recovery attempts`);
    trace.emit('store.recover.restart', { attempt });
    trace.probe('storage.recover.restarted');
  }
}

/** One pass of recovery; null when another writer committed since the load (nothing was changed then). */
async function recoverOnce(backend: Backend, options: RecoveryOptions, trace: Tracer): Promise<RecoveryResult | null> {
  const { meta, outcome, highest } = await resolvePending(backend, options, trace);
  const strays = await reconcile(backend, meta, options.blockSize, trace);
  if (strays === null) return null;
  const { meta: checked, corrupt, repaired, replaced } = options.verify
    ? await verifyBlocks(backend, meta, options, trace)
    : { meta, corrupt: [], repaired: [], replaced: [] };
  if (repaired.length > 0) {
    // The metadata first: a damaged version is deleted only once nothing refers to it.
    await backend.adopt(checked, meta.commit);
    if (!(await backend.deleteBlocks(replaced, meta.commit))) return null;
  }
  await backend.syncEntries();
  trace.emit('store.recover.done', {
    commit: options.reportHighest === true ? highest : checked.commit,
    epoch: checked.epoch,
    outcome,
    strays,
    corrupt: corrupt.length,
    repaired: repaired.length,
    blocks: checked.blocks.size,
    digest: stateDigest(checked.blocks),
    tombstones: checked.tombstones.size,
    tombstoneDigest: tombstoneDigest(checked.tombstones),
  });
  return { meta: checked, outcome, strays, corrupt, repaired };
}

async function resolvePending(
  backend: Backend,
  options: RecoveryOptions,
  trace: Tracer,
): Promise<{ meta: StoreMeta; outcome: RecoveryResult['outcome']; highest: number }> {
  const state = await backend.load();
  let meta = state.meta ?? emptyMeta(options.blockSize, options.algorithm);
  checkShape(meta, options);
  const markerCommit = options.ignoreMarker === true ? meta.commit : Math.max(state.marker?.commit ?? 0, meta.commit);
  const pending = state.pending;
  let outcome: RecoveryResult['outcome'] = 'clean';
  const loadedMarker = state.marker?.commit ?? 0;
  if (pending !== null && pending.commit > meta.commit && (pending.commit <= markerCommit || options.keepPending)) {
    checkShape(pending, options);
    const adopted = options.dropTombstones ? { ...pending, tombstones: new Map<number, number>() } : pending;
    await backend.adopt(adopted, loadedMarker);
    meta = adopted;
    outcome = 'finalized';
    trace.emit('store.recover.finalize', { commit: pending.commit, marker: markerCommit });
    trace.probe('storage.recover.finalized');
  } else if (state.pendingTorn && markerCommit > meta.commit) {
    throw new StoreError('ECORRUPT', `marker is at commit ${markerCommit}, above the committed metadata (${meta.commit}), but the pending metadata is unreadable: it is the only copy of that commit`);
  } else if ((pending !== null && pending.commit > meta.commit) || state.pendingTorn) {
    outcome = 'rolled-back';
    trace.emit('store.recover.rollback', { commit: pending?.commit ?? -1, marker: markerCommit, torn: state.pendingTorn });
    trace.probe(state.pendingTorn ? 'storage.recover.rolled-back-torn' : 'storage.recover.rolled-back');
  } else if (markerCommit > meta.commit) {
    throw new StoreError('ECORRUPT', `marker is at commit ${markerCommit} but neither committed nor pending metadata reaches it (metadata at ${meta.commit})`);
  }
  const markerBehind = state.marker === null || state.marker.commit < meta.commit;
  if (outcome !== 'finalized' && meta.commit > 0 && markerBehind) await backend.adopt(meta, loadedMarker);
  await backend.dropPending();
  return { meta, outcome, highest: Math.max(markerCommit, state.pending?.commit ?? 0) };
}

function checkShape(meta: StoreMeta, options: RecoveryOptions): void {
  if (meta.blockSize !== options.blockSize) {
    throw new StoreError('EINVAL', `options.blockSize ${options.blockSize} differs from the store's block size ${meta.blockSize}`);
  }
  if (meta.algorithm !== options.algorithm) {
    throw new StoreError('EINVAL', `options.algorithm '${options.algorithm}' differs from the store's '${meta.algorithm}'`);
  }
}

/**
 * Deletes every block entry the metadata does not reference or that has the wrong size, only while the
 * marker is still at `meta.commit` (null when it moved: a concurrent commit's blocks are not strays).
 */
async function reconcile(backend: Backend, meta: StoreMeta, blockSize: number, trace: Tracer): Promise<number | null> {
  const entries = await backend.listBlocks();
  const doomed: string[] = [];
  for (const e of entries) if (!isKept(e, meta, blockSize)) doomed.push(e.name);
  if (doomed.length > 0) {
    if (!(await backend.deleteBlocks(doomed, meta.commit))) return null;
    trace.emit('store.recover.strays', { deleted: doomed.length, first: doomed[0] });
    trace.probe('storage.recover.strays-deleted');
  }
  return doomed.length;
}

function isKept(e: BlockEntry, meta: StoreMeta, blockSize: number): boolean {
  if (e.key === null || e.size !== blockSize) return false;
  const b = meta.blocks.get(e.key.id);
  return b !== undefined && keptVersions(b).includes(e.key.v);
}

/** The verdict on one block version: see stable-read.ts ('bad': damage at rest, confirmed). */
async function verifyVersion(backend: Backend, id: number, v: number, sum: number, options: RecoveryOptions): Promise<StableRead<true>['kind']> {
  // Methods and an inline check rather than named arrows (no __name calls per block under tsx).
  const paths = {
    primary() {
      return backend.readBlock(id, v, 'primary');
    },
    independent() {
      return backend.readBlock(id, v, 'independent');
    },
  };
  const read = await stableRead(paths, (data) => (data.length === options.blockSize && checksum(options.algorithm, data) === sum ? true : undefined), options.readPolicy ?? STABLE_POLICY);
  return read.kind;
}

/** What step 4 decided: the checked metadata, and the damaged versions a repair replaced (to delete). */
interface Verified {
  meta: StoreMeta;
  corrupt: number[];
  repaired: number[];
  replaced: string[];
}

async function verifyBlocks(backend: Backend, meta: StoreMeta, options: RecoveryOptions, trace: Tracer): Promise<Verified> {
  const out: Verified = { meta, corrupt: [], repaired: [], replaced: [] };
  for (const id of [...meta.blocks.keys()].sort((a, b) => a - b)) {
    const b = meta.blocks.get(id)!;
    const verdict = await verifyVersion(backend, id, b.v, b.sum, options);
    if (verdict === 'ok') continue;
    // A version another tab's commit replaced (and its finalize deleted) is no damage: when the marker
    // moved since the load, start over (ESTALE) rather than judge the block from stale metadata
    // (storage-shared-open-kv: B's recoveries reported A's superseded versions corrupt).
    if (backend.moved !== undefined && (await backend.moved(meta.commit))) throw new StoreError('ESTALE', `the marker moved past commit ${meta.commit} during verification`);
    if (verdict === 'unstable') {
      // Flaky reads, no verdict: acting on them could destroy committed data. Reads verify on their own.
      trace.emit('store.recover.unstable', { id, v: b.v });
      trace.probe('storage.recover.unstable-read');
      continue;
    }
    // 'suspect': the same failing bytes repeated, but never through both read paths: maybe a flaky read
    // that happened to repeat. Rolling back would give up the only copy of a committed version on that.
    const confirmed = verdict !== 'suspect';
    const prev = b.prev;
    if (confirmed && options.corruption === 'repair' && prev !== null && (options.repairUnverified === true || (await verifyVersion(backend, id, prev.v, prev.sum, options)) === 'ok')) {
      if (out.meta === meta) out.meta = cloneMeta(meta);
      const repaired = options.repairSlot === 'current' ? { ...b, prev: null } : options.repairSlot === 'sum' ? { ...prev, sum: b.sum, prev: null } : { ...prev, prev: null };
      out.meta.blocks.set(id, repaired);
      out.repaired.push(id);
      out.replaced.push(blockName(id, b.v));
      trace.emit('store.recover.repair', { id, from: b.v, to: prev.v });
      trace.probe('storage.recover.repaired');
      continue;
    }
    out.corrupt.push(id);
    trace.emit('store.recover.corrupt', { id, v: b.v, mode: options.corruption, confirmed });
    trace.probe('storage.recover.corrupt');
  }
  return out;
}
