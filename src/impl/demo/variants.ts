/** Weakened variants of the demo gossip node (see src/scenario/variants.ts). */
export const DEMO_VARIANTS = [
  {
    name: 'demo-ack-before-fsync',
    area: 'demo',
    description:
      'add() acknowledges before the item is fsynced: a power loss right after loses an acknowledged item, so the nodes never converge on it (liveness).',
  },
  {
    name: 'demo-no-anti-entropy',
    area: 'demo',
    description:
      'peers never exchange their full sets (no anti-entropy on connect or periodically): items added while a connection was down never reach the other side (liveness).',
  },
  {
    name: 'demo-keep-torn-tail',
    area: 'demo',
    description:
      'recovery leaves a torn last line in the log: the next append is glued to it, and the item is then lost with the torn line (invariant:held-durable, demo-torn-append).',
  },
  {
    name: 'demo-forget-log',
    area: 'demo',
    description:
      'recovery starts from an empty set instead of the log it read: peers bring the items back, so every convergence check passes; only invariant:recovered-from-log sees it.',
  },
  {
    name: 'demo-no-push',
    area: 'demo',
    description:
      'new items are not pushed to peers; they spread only with the next anti-entropy round, a second later (invariant:eager-push, demo-relay-line).',
  },
  {
    name: 'demo-sync-dirs-once',
    area: 'demo',
    description:
      'the log\'s directories are fsynced only by the process that created it: one that crashed before doing so leaves a log that a power loss deletes, with every item stored since (invariant:held-durable, demo-gossip-swarm seed 131).',
  },
  {
    name: 'demo-no-checksum',
    area: 'demo',
    description:
      'recovery takes every line of the log without verifying its checksum: a line rotted at rest comes back as an item nobody added (invariant:no-invented-items, demo-log-rot).',
  },
] as const;
