/**
 * What the bench's scenario workloads record (`ctx.emit`, node `workload`): what they asked and were told.
 * A scenario of your own that emits other `workload.*` kinds writes traces outside this schema.
 */
import { arrayOf, bool, count, kind, nullable, oneOf, str, tuple, type KindSchemas } from './dsl.ts';

export const WORKLOAD_KINDS: KindSchemas = {
  // election
  'workload.write': kind('the workload issued a write at a tab', { node: str, value: str }),
  'workload.result': kind("the workload saw a write settle: `seq`, `dedup` when ok; `code`, `definite` when not; `saved: 'maybe'` when a tab said a failed write may be saved after all", { node: str, value: str, ok: bool }, { seq: count, dedup: bool, code: str, definite: bool, saved: oneOf('maybe') }),
  'workload.lost': kind('the tab died before the write settled', { node: str, value: str }),
  'workload.read': kind("another tab reads an acknowledged write's key back", { node: str, device: str, key: str, id: count }),
  'workload.read-result': kind('the read returned: `value` (null: no such key) when ok; `code` when not', { node: str, key: str, id: count, ok: bool }, { value: nullable(str), code: str }),
  'workload.handover': kind('a tab told to close or to take the lock over', { node: str, how: oneOf('close', 'takeOver') }),
  // storage
  'workload.force-synced': kind('a completed forceSync told the caller `commit` is durable', { node: str, commit: count }),
  'workload.force-sync-failed': kind('a forceSync failed with `code`', { node: str, code: str }),
  'workload.write-refused': kind('the store refused a write with `code`', { node: str, id: count, code: str }),
  'workload.verified': kind("the workload read back every block of a store and found what was committed", { node: str }),
  'workload.skipped': kind('a scripted step skipped: its node was down', { node: str, step: str }),
  'workload.stale-attempt-unjudged': kind('a stale-epoch step not judged: the newer epoch was never acknowledged', { step: str }),
  'workload.stale-commit-accepted': kind('a commit from a stale epoch was accepted (the check fails on it)', { step: str }),
  // peer sync, client-server
  'workload.write-failed': kind('a write the workload asked for failed', { node: str, error: str }),
  'workload.peer-write': kind('the workload asks a peer device to write records: the `values` that are not deletes (recorded before the write is made)', { node: str, values: arrayOf(str) }),
  'workload.cs-write': kind('the user writes `value` into a cell at a sync client (recorded before the write is made)', { node: str, table: str, pk: str, col: str, value: str }),
  'workload.server-exec': kind("the server's operator was told its write succeeded: `rows` [table, pk, col, value]", { node: str, rows: arrayOf(tuple(str, str, str, nullable(str))) }),
  'workload.nuke': kind('the user clicked Nuke and Resync on a stuck or incompatible footer', { node: str, status: str }),
  'workload.nuke-failed': kind('a Nuke and Resync failed', { node: str, error: str }),
  'workload.deploy': kind("the operator restarts a node for a deployment drawn by a client-server swarm (`what`: 'rebuild' or 'schema 2')", { node: str, what: str }),
  // provider sync
  'workload.change-failed': kind("a change to a provider's files failed", { provider: str, error: str }),
  'workload.sync-failed': kind('a requested sync failed', { error: str }),
  // demo
  'workload.add': kind('the workload added an item at a node', { node: str, item: str }),
  'workload.acked': kind('the node acknowledged the item', { node: str, item: str }),
  'workload.add-failed': kind('an add failed', { node: str, item: str, error: str }),
};
