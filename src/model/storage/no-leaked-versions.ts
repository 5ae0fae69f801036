/**
 * invariant:no-leaked-versions — at the end of a run, the durable medium of a running store holds no block
 * version its finalize should have deleted: every block entry `<id>.<v>` is the current or the previous
 * version of an allocated block in the durable metadata, or newer than its commit (a commit in progress,
 * which a recovery rolls back), or the garbage of that last commit itself (a block it rewrote or
 * deallocated: its finalize may still be under way). invariant:no-stray-files judges the medium after each
 * recovery, which deletes strays: a store that leaks versions while it runs (a deallocation that forgets
 * the block's previous version, a finalize that deletes the wrong one) is clean again at its next open,
 * and passed every run (hunt 5). Not judged while a commit is between its marker and its finalize
 * (`pending.json` on the durable medium), nor for a node that is down at the end.
 *
 * Evidence: the simulator's durable image of the store (`durableStoreImage`: the block entries, the root's
 * entries and the committed metadata decoded independently).
 */
import type { StoreImageState } from '../../evidence/store-image.ts';

export const NO_LEAKED_VERSIONS = 'invariant:no-leaked-versions';

/** The first leaked entry of `image` (see the file comment) with why, or null. Null too when it cannot judge. */
export function leakedVersion(image: StoreImageState): { name: string; why: string } | null {
  const meta = image.metadata;
  if (meta === null || image.rootEntries.includes('pending.json')) return null;
  const n = meta.commit;
  for (const name of [...image.blockEntries.keys()].sort()) {
    const m = /^(\d+)\.(\d+)$/.exec(name);
    if (m === null) continue; // not a block version: invariant:no-stray-files' matter after a recovery
    const id = Number(m[1]);
    const v = Number(m[2]);
    if (v > n) continue; // written by a commit in progress
    const b = meta.blocks.get(id);
    if (b !== undefined && (v === b.v || v === b.prev)) continue;
    if (b !== undefined && b.v === n) continue; // the last commit rewrote it: its finalize deletes the rest
    const dealloc = meta.tombstones.get(id);
    if (b === undefined && dealloc === n) continue; // the last commit deallocated it
    const why =
      b === undefined
        ? `block ${id} is deallocated (${dealloc === undefined ? 'no tombstone' : `by commit ${dealloc}`}), before the last commit ${n}`
        : `block ${id} is at v${b.v}${b.prev >= 0 ? ` (previous v${b.prev})` : ''}, written before the last commit ${n}`;
    return { name, why };
  }
  return null;
}
