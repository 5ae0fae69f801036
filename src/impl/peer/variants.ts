/** Weakened variants of the peer sync implementation (see src/scenario/variants.ts). Never the default. */
export const PEER_VARIANTS = [
  {
    name: 'peer-global-watermark',
    area: 'peer-sync',
    description:
      'one watermark per peer instead of one per (peer, resource): a catch-up of the next resource starts past records it never received, which are skipped for good (invariant:watermark-received; without that check the devices never converge, liveness; scenario peer-catchup-cut).',
  },
  {
    name: 'peer-checkpoint-noop',
    area: 'peer-sync',
    description:
      'the backfill checkpoint save does nothing: a crash mid-backfill restarts from zero (invariant:backfill-resume, scenario peer-join-10k-crash).',
  },
  {
    name: 'peer-buffer-drop-oldest',
    area: 'peer-sync',
    description:
      'live updates buffered during backfill are dropped oldest-first on overflow, silently (invariant:buffer-exactly-once, scenario peer-join-buffer-overflow).',
  },
  {
    name: 'peer-prune-early',
    area: 'peer-sync',
    description:
      'a shared log entry is pruned once any one peer acknowledged it instead of all (invariant:prune-after-all-acks, scenario peer-partition-heal).',
  },
  {
    name: 'peer-no-relay',
    area: 'peer-sync',
    description:
      'catch-up asks a peer only for its own writes (no relayed catch-up): a ready device that missed a writer\'s records cannot get them from another peer while the writer is down (liveness, scenario peer-relay-owner-down).',
  },
] as const;

/** Name of a peer sync variant ('' is the correct implementation). */
export type PeerVariant = '' | (typeof PEER_VARIANTS)[number]['name'];
