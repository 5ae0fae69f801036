/** Weakened variants of the election and single-writer layer (gathered in src/scenario/variants.ts). */
export const ELECTION_VARIANTS = [
  {
    name: 'election-no-fencing',
    area: 'election',
    description:
      'the store does not check epochs: a write from a deposed leader lands after the new leader fenced the store (caught by invariant:no-stale-write in election-lock-stolen-mid-write).',
  },
  {
    name: 'election-wall-clock-lease',
    area: 'election',
    description:
      'the lease expiry is a wall-clock time with no drift margin: a wall-clock jump makes a follower take over while the leader still writes (caught by invariant:lease-exclusive in election-clock-jump-back).',
  },
  {
    name: 'election-no-stepdown',
    area: 'election',
    description:
      'a leader never steps down: after a pause longer than its lease it keeps writing with its old epoch (caught by invariant:lease-exclusive in election-leader-paused).',
  },
  {
    name: 'election-no-request-ids',
    area: 'election',
    description:
      'forwarded writes carry no request id: a retry after a lost reply applies the write twice (caught by invariant:exactly-once in election-leader-crash-mid-forward).',
  },
] as const;

/** Name of an election variant. */
export type ElectionVariant = (typeof ELECTION_VARIANTS)[number]['name'];
