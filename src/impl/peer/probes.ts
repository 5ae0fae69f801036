/**
 * Rare paths the peer sync marks with probes ("sometimes" assertions). The peer scenarios declare this
 * list, so the coverage report shows each with its hit count and flags the ones a sweep never reached.
 * Every `trace.probe('...')` literal under src/impl/peer must be listed here (test/report/probes.test.ts).
 */
export const PEER_PROBES = [
  'peer.watermark-adopted', // catch-up adopted a peer's watermark
  'peer.catchup-relayed', // catch-up fetched another writer's changes through a relaying peer
  'peer.relay-bounded', // a relay held records of the writer past its watermark for it, and withheld them
  'peer.retry-overflow', // a link's bounded retry queue overflowed and was cleared (catch-up refetches)
  'peer.link-stale', // a peer restarted: the link's connection to its previous process was closed as half-open
  'peer.hlc-drift-rejected', // a message whose clock was too far ahead was rejected
  'peer.chain-gap', // a shared-resource change arrived with a gap in its chain
  'peer.buffer-overflow', // the receive buffer overflowed during backfill and was discarded visibly
  'peer.backfill-peer-lost', // the peer serving a backfill went away; another peer takes over
  'peer.backfill-unmeasured-skipped', // a serving peer got no backfill work yet: its latency was not measured
] as const;
