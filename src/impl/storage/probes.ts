/**
 * Rare paths the block store marks with probes ("sometimes" assertions). The storage scenarios declare
 * this list, so the coverage report shows each with its hit count and flags the ones a sweep never reached.
 * Every `trace.probe('...')` literal under src/impl/storage must be listed here (test/report/probes.test.ts).
 */
export const STORAGE_PROBES = [
  'store.read-gated', // a read found a block newer than the commit marker (not yet visible) and returned nothing
  'storage.read.checksum-mismatch', // a verified read found a block whose checksum does not match
  'storage.commit.refused', // a commit was fenced by a newer writer (or found the store stale) and refused
  'storage.commit.request-applied', // a retried commit's request id was found already applied
  'storage.commit.marker-uncertain', // the commit marker write failed: the commit may or may not be durable
  'storage.commit.finalize-failed', // finalizing a durable commit failed (recovery finishes it)
  'storage.force-sync-flush', // forceSync with nothing buffered made earlier relaxed commits durable
  'storage.recover.restarted', // another writer committed during recovery; recovery started over
  'storage.recover.finalized', // recovery found a durable marker and finished the pending commit
  'storage.recover.rolled-back', // recovery rolled a pending commit back
  'storage.recover.rolled-back-torn', // recovery rolled back a torn pending commit
  'storage.recover.strays-deleted', // recovery deleted block files no commit refers to
  'storage.recover.unstable-read', // recovery's verification read gave different answers (left to verified reads)
  'storage.recover.repaired', // recovery replaced a corrupt block by its previous version
  'storage.recover.corrupt', // recovery found a corrupt block with no previous version to fall back to
] as const;
