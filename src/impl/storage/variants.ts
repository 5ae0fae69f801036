/** Weakened variants of the block store (wired into src/scenario/variants.ts by the lead). */
export const STORAGE_VARIANTS = [
  {
    name: 'storage-marker-before-fsync',
    area: 'storage',
    description:
      'file backend: the commit marker advances before block data and pending metadata are fsynced. Caught by model:recovery (marker before data synced) and, with the model off, after a power loss by invariant:atomic-batch / checksums-valid / committed-data-durable / recoverable (scenario storage-crash-mixed-presence).',
  },
  {
    name: 'storage-no-dir-fsync',
    area: 'storage',
    description:
      'file backend: directories are never fsynced, so new block files, pending metadata and marker renames are not durable. Caught after a power loss right after an acknowledged forceSync (invariant:acked-survives, or checksums-valid / committed-data-durable / recoverable; scenario storage-crash-mixed-presence).',
  },
  {
    name: 'storage-keep-pending',
    area: 'storage',
    description:
      'recovery adopts pending metadata even when the marker never reached it, making blocks newer than the marker visible. Caught by model:recovery (finalize after a crash before the marker) and invariant:no-block-newer-than-marker.',
  },
  {
    name: 'storage-drop-tombstones',
    area: 'storage',
    description:
      'recovery that finalizes pending metadata forgets its tombstones (the deallocated blocks stay absent but are no longer recorded as deallocated). Caught by invariant:tombstones-persist (scenario storage-tombstone-across-finalize).',
  },
  {
    name: 'storage-no-read-verify',
    area: 'storage',
    description:
      'reads do not verify checksums, so a bit flipped on read reaches the caller. Caught by invariant:read-returns-committed-data.',
  },
  {
    name: 'storage-no-fencing',
    area: 'storage',
    description:
      'the store does not check epochs: writes, commits and fences of a lower epoch than the recorded one are accepted. Caught by invariant:stale-epoch-never-accepted in storage-fencing-two-tabs-kv / -file (a deposed tab that reopens commits over the newer epoch).',
  },
  {
    name: 'storage-repair-on-transient-read',
    area: 'storage',
    description:
      "recovery's old verdict on a failing read: the same wrong bytes twice through one read path count as damage at rest, so two flipped reads that happen to agree make it roll a committed block back to its previous version and delete the good copy. Caught by invariant:last-copy-kept (and invariant:atomic-batch) in storage-bit-rot-read seed 300184.",
  },
  {
    name: 'storage-lazy-marker-fsync',
    area: 'storage',
    description:
      'file backend: the marker rename is left to the directory fsync of finalize instead of its own: the store reports the commit durable before it is (and forceSync acknowledges it even when finalize fails). Caught by model:recovery (markerDurable: the durable image still has the previous marker) in any file scenario, e.g. storage-crash-mixed-presence.',
  },
  {
    name: 'storage-done-misreports',
    area: 'storage',
    description:
      'store.recover.done reports the highest commit found on the medium (marker or pending metadata) instead of the one recovery reached: after rolling back pending commit 2 it says 2. Caught by model:recovery (reachedDurable) in storage-crash-after-data-synced.',
  },
  {
    name: 'storage-rollback-durable',
    area: 'storage',
    description:
      'recovery decides on pending metadata by the committed metadata alone, ignoring the marker: a commit whose marker is durable (a crash before its finalize) is rolled back and lost. Caught by model:recovery (rollbackAboveDurable) in storage-tombstone-across-finalize; with the model off, invariant:durable-commit-survives.',
  },
  {
    name: 'storage-relaxed-force-sync',
    area: 'storage',
    description:
      'kv backend with relaxed commits: forced commits use relaxed durability too, so forceSync acknowledges commits a power loss may take. Caught by model:recovery (markerDurable, ackDurable) in storage-swarm-kv.',
  },
  {
    name: 'storage-finalize-drops-previous',
    area: 'storage',
    description:
      "finalize deletes the version a commit replaces along with the older one, while the new metadata still names it as the block's previous version (the copy a repair rolls back to): every rewritten block is left unrepairable. Caught by invariant:checksums-valid (a referenced previous version missing from the medium after recovery) in most storage scenarios, e.g. storage-power-loss-after-ack.",
  },
  {
    name: 'storage-failed-batch-overwrites',
    area: 'storage',
    description:
      "a failed commit puts its batch back into the dirty set over the writes made to the same blocks while it ran: the newer writes are replaced by older data (and dropped with the batch when an in-place recovery finds it applied). Caught by invariant:read-your-writes (a read after the failure returns the older write) and, without those reads, invariant:acked-survives (the next forceSync acknowledges a commit without a write made before it) in storage-writes-during-failed-commit-file / -kv.",
  },
  {
    name: 'storage-autosync-stops-after-failure',
    area: 'storage',
    description:
      'AutoSync leaves its running flag set when a background commit fails: no interval or threshold commits again, and writes stay buffered (at risk) until the next forceSync, with no error anywhere. Caught by invariant:autosync-keeps-up (a write in no commit 2 intervals + slack later, from the workload\'s own record) in storage-autosync-after-failure-file / -kv.',
  },
  {
    name: 'storage-dirty-bytes-leak',
    area: 'storage',
    description:
      "a successful commit does not release its bytes from the dirty-byte counter: backpressure stays on and, once the leak passes maxDirtyBytes, every write is refused with ELIMIT. Caught by invariant:dirty-limits-honest (backpressure or ELIMIT while the workload's outstanding blocks cannot reach the limit) in storage-autosync-after-failure-file / -kv.",
  },
  {
    name: 'storage-close-without-drain',
    area: 'storage',
    description:
      'close() marks the store closed without waiting for queued commits: a forceSync called just before it is refused with ECLOSED and its writes are dropped. Caught by invariant:close-waits-for-commits in storage-autosync-after-failure-file / -kv (closed right after a forceSync call).',
  },
  {
    name: 'storage-request-check-first-only',
    area: 'storage',
    description:
      "kv: a commit looks up only the first of its request ids: a retry carrying an applied id after a new one applies again (the retry's writes twice, the record overwritten with the new commit). Caught by invariant:request-applied-once in storage-request-retries-kv.",
  },
  {
    name: 'storage-read-inflight-first',
    area: 'storage',
    description:
      "a read of uncommitted data looks in the batch of the commit in flight before the newer writes buffered since: a block written again while its commit runs reads back the older write. Caught by invariant:read-your-writes (the workload's own latest write) in storage-writes-during-failed-commit-file / -kv, which read their own writes during the commit.",
  },
  {
    name: 'storage-repair-unverified-previous',
    area: 'storage',
    description:
      "recovery in repair mode rolls a block whose current version is damaged at rest back to its previous version without verifying that version: a block whose two versions are both damaged is 'repaired' to a copy that does not verify (reads then fail ECHECKSUM for good, and the damaged current version is deleted). Caught by invariant:checksums-valid (a repair to a previous version holding other bytes than the workload wrote, judged on the durable image) in storage-damage-at-rest-repair.",
  },
  {
    name: 'storage-repair-keeps-damaged',
    area: 'storage',
    description:
      "a repair writes the damaged block's own entry back without its previous version and deletes the damaged version: the metadata names a version that is gone, and the intact previous version, no longer referenced, is deleted as a stray by the next recovery. Caught by invariant:checksums-valid (the metadata's previous version is not the one the commit replaced) in storage-damage-at-rest-repair.",
  },
  {
    name: 'storage-repair-stale-checksum',
    area: 'storage',
    description:
      "a repair rolls back to the previous version but keeps the damaged version's checksum: reads of the repaired block fail ECHECKSUM and the next recovery reports it corrupt, though its bytes are intact. Caught by invariant:checksums-valid (the metadata's checksum of a version against the bytes the workload wrote, computed independently) in storage-damage-at-rest-repair.",
  },
  {
    name: 'storage-mtime-monotonic',
    area: 'storage',
    description:
      "a commit records its blocks' mtime (stat().lastModifiedMs) from the monotonic clock instead of the node's wall clock: ms since the process started. Caught by invariant:block-mtime (the durable metadata's mtimes against the node's wall clock during each commit, read from the simulator) in every storage scenario that commits.",
  },
  {
    name: 'storage-repair-stale-pending',
    area: 'storage',
    description:
      "file backend, the old behaviour (a real bug found by storage-repair-crash): recovery unlinks a leftover pending.json but keeps its loaded body, so a repair whose metadata equals that body (a power loss right after a repair wrote it) skips writing pending.json and renames a file that is gone: open() fails with ENOENT. Caught as an exception in storage-repair-crash (most seeds).",
  },
  {
    name: 'storage-write-keeps-caller-buffer',
    area: 'storage',
    description:
      "write() buffers the caller's Uint8Array instead of a copy: a caller that reuses its buffer (a VFS's page buffer) changes every write still buffered, and the commit stores the buffer's latest bytes for all of them. Caught by invariant:read-your-writes (and the oracle's durable checks) in storage-caller-buffers / -kv, whose workload refills one buffer before each write.",
  },
  {
    name: 'storage-read-returns-own-buffer',
    area: 'storage',
    description:
      "read() of a block written but not yet committed returns the store's own buffer instead of a copy: a caller that scribbles on the result changes the write, and the next commit stores the scribble. Caught by invariant:read-returns-committed-data in storage-caller-buffers / -kv, whose workload scribbles on every read's result.",
  },
  {
    name: 'storage-read-committed-unverified',
    area: 'storage',
    description:
      "kv: BlockStore.readCommitted (a read without opening the store, as a follower tab reads) checks the block's length but not its checksum: a block damaged at rest is returned as committed data. Caught by invariant:read-returns-committed-data in storage-repair-crash-kv (10 of 10 seeds), whose workload reads that way while blocks lie damaged; no other storage scenario called it.",
  },
  {
    name: 'storage-read-no-retry',
    area: 'storage',
    description:
      "a committed read whose bytes fail their checksum once throws ECHECKSUM at once instead of reading again: one flipped read on the way (the medium intact) is reported to the caller as damage. Caught by invariant:read-fails-for-cause (an ECHECKSUM with exactly one flipped read of the block's file during the read and no damage at rest, from the simulator's disk.fault records) in storage-bit-rot-read; the oracle accepts every error, so nothing saw it before (0 of 175 smoke+ci runs).",
  },
  {
    name: 'storage-dealloc-keeps-previous',
    area: 'storage',
    description:
      "a deallocation's finalize deletes the block's current version but not its previous one: the file stays on the medium (a leak) until the next open, whose recovery deletes it as a stray. Caught by invariant:no-leaked-versions (the durable medium at the end of the run, against the durable metadata); invariant:no-stray-files judges only after recoveries, which had cleaned it (0 of 175 smoke+ci runs before).",
  },
  {
    name: 'storage-retry-keeps-attempt',
    area: 'storage',
    description:
      "the built-in store before 2026-12-07 night: a commit that failed after writing a block's new version is retried under the same number, and when the block is deallocated before the retry, the failed attempt's version file stays on the medium until the next open's recovery (a leak). Caught by invariant:no-leaked-versions in storage-swarm-file seeds 165, 226, 241 and 266 of 160..269, and 14 of 200 storage-swarm-file-long seeds (a read-only review found it as a false failure of the new check: the check was right).",
  },
  {
    name: 'storage-epoch-check-committed',
    area: 'storage',
    description:
      "a write's epoch is checked against the committed epoch only, not the highest epoch the instance accepted since: a late write of an earlier term, arriving while a newer term's write waits in the same instance, is accepted and commits inside the newer term's batch, at its epoch. Caught by invariant:write-epoch-fenced in storage-fencing-buffered-epochs-kv (10 of seeds 0..9); it passed all 175 storage smoke/ci runs (seeds 0..4) before that scenario: none gave one instance a lower epoch after a higher one before a commit. Found by the sixth bug hunt.",
  },
  {
    name: 'storage-finalize-error-swallowed',
    area: 'storage',
    description:
      'file backend: finalize takes every error of its pending.json to meta.json rename for "already renamed" (only ENOENT means that), so a commit whose finalize failed with EIO counts as finalized: the next commit overwrites pending.json, the only copy of the acknowledged commit\'s metadata, and a power loss before its marker rolls the store back past that acknowledged commit. Caught by invariant:last-copy-kept in storage-finalize-rename-fails (10 of seeds 0..9: the acknowledged commit\'s metadata is gone); it passed all 180 storage smoke/ci runs (seeds 0..4) before that scenario. Found by the seventh bug hunt.',
  },
  {
    name: 'storage-commit-epoch-from-batch',
    area: 'storage',
    description:
      "a commit's epoch is drawn from its batch alone (the epochs its call and its writes carried) instead of at least the store's recorded epoch: an unfenced commit (no epoch: not fenced) after a fenced one carries epoch 0, and the store refuses it with FencedError as a deposed writer's and refuses everything afterwards. Caught by invariant:unfenced-not-refused in storage-fencing-unfenced-commit-kv / -file (10 of seeds 0..9 each); it passed all 180 storage smoke/ci runs (seeds 0..4) before those scenarios: none made an unfenced commit to a store with an epoch. Found by the seventh bug hunt.",
  },
  {
    name: 'storage-throughput-per-ms',
    area: 'storage',
    description:
      "metrics(): the throughput divides the bytes committed by the milliseconds since open instead of the seconds (a time unit confused): the rate reported is 1000 times too low. Every durability check passes it; caught by invariant:metrics-honest (the workload's own count of commits and distinct blocks, the simulator's clock at the store's open and at each acknowledgement) in storage-metrics-kv / -file (10 of seeds 0..9 each); it passed all 205 other storage smoke/ci runs (seeds 0..4): nothing else reads the metrics. Found by the seventh bug hunt.",
  },
  {
    name: 'storage-drain-relaxed-commit',
    area: 'storage',
    description:
      "AutoSync's drainAndShutdown makes its last commit with sync() instead of forceSync(): on a kv store with relaxed commits it returns (promising everything durable) before that commit is durable, whenever the commit replaces no older version (its finalize then runs no strict transaction that would flush it). Caught by model:recovery (ackDurable: the drain's result is an acknowledgment) in storage-drain-relaxed-kv (10 of seeds 0..9); it passed all 205 storage smoke/ci runs (seeds 0..4) before that scenario: the only drain ran on a strict store. Found by the seventh bug hunt.",
  },
  {
    name: 'storage-autosync-threshold-both',
    area: 'storage',
    description:
      "AutoSync starts a threshold commit only when both the dirty-block and the dirty-byte thresholds are reached (|| for &&): a store that crosses one of them waits for the interval, its data at risk far longer than the policy says. Caught by invariant:autosync-keeps-up in storage-autosync-threshold (a 4-block threshold behind a 1 s interval, bound 60 ms: 10 of seeds 0..9); it passed all 210 storage smoke/ci runs (seeds 0..4) before that scenario: the swarms' thresholds are backed by a 200 ms interval and no check bounded them tighter. Found by the seventh bug hunt.",
  },
] as const;

/** Name of a storage variant. */
export type StorageVariant = (typeof STORAGE_VARIANTS)[number]['name'];
