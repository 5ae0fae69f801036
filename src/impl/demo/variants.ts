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
] as const;
