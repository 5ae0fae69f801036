/** The client-server sync's kinds (docs/client-server.md; src/impl/clientserver/client.ts): `cs.*`. */
import { bool, count, kind, nullable, oneOf, str, type KindSchemas } from './dsl.ts';

/** `STATUSES` of src/impl/clientserver/status.ts (the closed set the sync-status model reads). */
export const SYNC_STATUSES = ['disconnected', 'connecting', 'synced', 'syncing', 'stuck', 'incompatible'] as const;

export const CS_KINDS: KindSchemas = {
  'cs.client.start': kind("a client started with its stored sync state (`server`: the server's site it synced with)", {
    site: str,
    schema: count,
    version: count,
    acked: count,
    cursor: count,
    server: nullable(str),
    unsaved: count,
  }),
  'cs.status': kind("the footer's status: pending and unsaved counts; `reason` (incompatible, stuck); `failures` in a row", {
    status: oneOf(...SYNC_STATUSES),
    pending: count,
    unsaved: count,
    reason: nullable(str),
    failures: count,
  }),
  'cs.progress': kind('download progress: records and bytes delivered of the total, time left', {
    download: count,
    done: count,
    total: count,
    bytes: count,
    totalBytes: count,
    etaMs: count,
  }),
  'cs.incompatible': kind('the client found the server incompatible (rebuilt, another schema)', { reason: str }),
  'cs.nuke': kind('Nuke and Resync: changes pushed, exported and kept unsaved; the new site id', { pushed: count, exported: count, unsaved: count, site: str }),
  'cs.client.invalid': kind('an invalid message dropped by the client', { conn: str }),
  'cs.client.store-error': kind('a failed client commit', { error: str }),
  'cs.store-retry': kind('a storage step at start retried after an error', { error: str }),
  'cs.meta.serve': kind('the meta endpoint answered', { site: str, schema: count }),
  'cs.server.start': kind('the server started (`rebuilt`: a fresh database; `migrated`: a schema upgrade)', { site: str, schema: count, head: count, rebuilt: bool, migrated: bool }),
  'cs.server.hello': kind("the server handled a client's Hello", { conn: str, client: str, cursor: count, compatible: bool }),
  'cs.server.append': kind("the server appended a client's push to its log (`skipped`: already held)", { client: str, n: count, skipped: count, upTo: count, head: count }),
  'cs.server.exec': kind('the server appended its own writes', { n: count, head: count }),
  'cs.server.invalid': kind('an invalid message dropped by the server', { conn: str }),
  'cs.server.store-error': kind('a failed server commit: not acknowledged, the session is closed', { error: str }),
  // Several tabs (src/impl/clientserver/tabs.ts)
  'cs.tab.status': kind("what a tab's footer shows (the leader's client's status, or disconnected when no leader is heard); `epoch`: the leader it mirrors, 0 for none", {
    status: oneOf(...SYNC_STATUSES),
    pending: count,
    unsaved: count,
    reason: nullable(str),
    failures: count,
    epoch: count,
  }),
  'cs.tab.stop': kind("a deposed leader tab stopped its sync client (`reason`: the election's step-down reason, or why the client's start failed)", { epoch: count, reason: str }),
};
