/**
 * The clients' wall clocks jump while their connections go silent (docs/client-server.md, "Honest green"):
 * a green client must notice a silent connection by its monotonic clock, whatever its wall clock does.
 * A client that times its pings (or its no-progress bound) on the wall clock keeps a dead connection
 * green for as long as its clock went back (invariant:green-has-server-changes), or turns stuck at once
 * when it jumps ahead.
 */
import { clientIds, clientWrites, csScenario, serverRecords } from './_common.ts';

const three = clientIds(3);

const clockJumps = csScenario({
  name: 'cs-client-clock-jumps',
  description:
    "Three green clients; the server writes 40 rows a second from 2.5 s. C1's wall clock jumps back 60 s at 2 s and C1 is cut off from the server (a silent partition) at 2.5 s for 3 s; C3's jumps back 5 s at 6 s and it is cut off at 6.5 s for 3 s; C2's jumps ahead 45 s at 4 s while it writes. Each cut-off client must leave green within its ping bound (1.25 s after its last answered ping) and never show server changes older than 2 s missing while green; none turns stuck.",
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    serverRecords(ctx, 50, 100);
    for (let k = 0; k < 8; k++) serverRecords(ctx, 40, 2_500 + k * 1_000, `tick${k}`);
    clientWrites(ctx, three, 90, 300, 100);
  },
  faults: {
    events: [
      { kind: 'clockJump', atMs: 2_000, node: 'C1', deltaMs: -60_000 },
      { kind: 'partition', atMs: 2_500, a: ['C1'], b: ['S', 'M'], durationMs: 3_000 },
      { kind: 'clockJump', atMs: 4_000, node: 'C2', deltaMs: 45_000 },
      { kind: 'clockJump', atMs: 6_000, node: 'C3', deltaMs: -5_000 },
      { kind: 'partition', atMs: 6_500, a: ['C3'], b: ['S', 'M'], durationMs: 3_000 },
    ],
  },
  durationMs: 12_000,
});

export default [clockJumps];
