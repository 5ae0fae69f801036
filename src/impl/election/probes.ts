/** Rare paths the election marks with probes ("sometimes" assertions); the smoke suite must reach each. */
export const ELECTION_PROBES = [
  'election.lease-race-lost', // two tabs campaigned for one expired lease; this one lost the compare-and-set
  'election.lease-expired', // a leader's lease ran out (frozen, or renewals failing) and it stepped down
  'election.lease-ran-out-while-fencing', // the lease expired before the fence committed
  'election.handover-on-close', // a follower took over a lease its holder released on a clean close (no wait for expiry)
  'election.lock-steal-silent-leader', // lock mode: a follower stole the lock from a silent (frozen) leader
  'election.flush-fenced', // the store fenced a leader's flush in the middle of a batch
  'election.store-dedup', // a retried request id was found applied by the store
  'election.forward-found-applied', // a follower's lookup found its timed-out forward applied
  'election.write-deadline', // a write reached its deadline and failed with ETIMEDOUT
] as const;
