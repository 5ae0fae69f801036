/**
 * Damage at rest of the clients' own databases (docs/client-server.md, "Damage at rest"): the fault
 * library's `corrupt` of durable kv values flips bits in, or zeroes characters of, cells of the clients'
 * `cells` store, while a client runs (it holds its cells in memory: the damage waits for its next start)
 * and while it is down, and each damaged client restarts. A client must find the damage when it loads
 * its database and replace the damaged cells before its footer turns green (invariant:damaged-cells-replaced),
 * and end equal to the server (liveness, invariant:no-loss-no-dup).
 */
import { damagedCellsReplacedCheck } from '../../src/model/clientserver/damaged-cells-replaced.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import { clientIds, clientWrites, csScenario, serverRecords, userWrite } from './_common.ts';

const three = clientIds(3);
const four = clientIds(4);

/** `n` damages of `node`'s cells, 50 ms apart from `atMs`, alternating a flipped bit and zeroed characters. */
function damage(node: string, atMs: number, n: number): FaultEvent[] {
  return Array.from({ length: n }, (_, k): FaultEvent => ({ kind: 'corrupt', atMs: atMs + k * 50, node, area: 'kv', path: 'cells', mode: k % 2 === 0 ? 'flip' : 'zero' }));
}

const damageAtRest = csScenario({
  name: 'cs-client-damage-at-rest',
  description:
    "Three clients sync 300 server rows and write; their cells are damaged at rest (kv corrupt of the 'cells' store: flipped bits, zeroed characters): C1's while it runs, then it restarts (2 s); C2's while it is down (4 s to 5.5 s); C3's while it runs at 6 s, its restart at 8 s; C1's again just before a crash at 9 s; C4, cut off from its start for 3 s with 4 changes of its own, has two of them damaged and reloads (1.5 s). Each client must replace every damaged cell it loads before it shows green, and end equal to the server.",
  suites: ['ci', 'default', 'nightly'],
  clients: four,
  workload: (ctx) => {
    serverRecords(ctx, 100, 300);
    serverRecords(ctx, 50, 5_000);
    clientWrites(ctx, three, 150, 300, 60);
    // C4, cut off from its start: its only cells are its own changes the server never acknowledged.
    for (let k = 0; k < 4; k++) ctx.at(400 + k * 100, () => void userWrite(ctx, 'C4', 'book', `offline-${k}`, 'title', `C4 offline ${k}`)?.catch(() => {}));
  },
  faults: {
    events: [
      ...damage('C1', 2_000, 3),
      { kind: 'crash', atMs: 2_300, node: 'C1', restartAfterMs: 300 },
      { kind: 'crash', atMs: 4_000, node: 'C2', restartAfterMs: 1_500 },
      ...damage('C2', 4_500, 4),
      ...damage('C3', 6_000, 3),
      { kind: 'crash', atMs: 8_000, node: 'C3', restartAfterMs: 300 },
      ...damage('C1', 8_900, 2),
      { kind: 'crash', atMs: 9_000, node: 'C1', restartAfterMs: 200 },
      // C4's own unacknowledged changes damaged while it is cut off, and a reload before it reconnects:
      // only its change log holds them (a repair that does not fold them back shows green without them).
      { kind: 'partition', atMs: 0, a: ['C4'], b: ['S', 'M'], durationMs: 3_000 },
      ...damage('C4', 1_500, 2),
      { kind: 'crash', atMs: 1_700, node: 'C4', restartAfterMs: 200 },
    ],
  },
  durationMs: 12_000,
  expect: [damagedCellsReplacedCheck(four)],
});

export default [damageAtRest];
