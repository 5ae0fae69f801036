/**
 * Relayed catch-up: a ready device that missed a writer's records gets them from any peer that holds them,
 * while the writer itself stays down.
 */
import { convergedCheck, memoryIsDurableCheck } from '../../src/model/peer/index.ts';
import type { PeerHandle } from '../../src/impl/peer/index.ts';
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import type { Liveness, Scenario, ScenarioContext, Topology } from '../../src/scenario/types.ts';
import { ackedWrites } from '../../src/model/peer/peer-view.ts';
import { converged, deviceIds, issued, peerChecking, peerProgram, peerTopology, PEER_SEAMS } from './_common.ts';

const three = deviceIds(3);
/** Records A writes per resource while C is cut off. */
const N = 50;
/** When A goes down for good (B has long received A's writes by then). */
const A_DOWN_MS = 1_200;

function writeFrom(ctx: ScenarioContext, node: string, resource: 'location' | 'tag', prefix: string, from: number, n: number): void {
  const h = ctx.handle<PeerHandle>(node);
  if (h === null) return;
  const items = Array.from({ length: n }, (_, i) => ({ uuid: `${prefix}-${String(from + i).padStart(3, '0')}`, data: `${node}:${from + i}` }));
  const remember = (hlcs: string[]): void => {
    items.forEach((it, i) => {
      const hlc = hlcs[i] ?? hlcs[0];
      if (hlc !== undefined) ackedWrites(ctx).push({ node, resource, uuid: it.uuid, hlc, deleted: false });
    });
  };
  const fail = (e: unknown): void => ctx.emit('workload.write-failed', { node, error: String(e) });
  if (resource === 'location') h.writeOwned(resource, issued(ctx, node, items)).then((hlc) => remember([hlc]), fail);
  else h.writeShared(resource, issued(ctx, node, items)).then(remember, fail);
}

/** Records of `resource` on `h` whose uuid starts with `prefix` (A's items; C edits three of A's tags). */
function countOf(h: PeerHandle, resource: string, prefix: string): number {
  return h.records(resource).filter((r) => r.uuid.startsWith(prefix)).length;
}

/**
 * Done while A is still down: B and C ready, C holds every record of A's that B holds (device-owned and
 * shared: all N of each when no fault kept them from B), and B and C hold the same data. A must not have
 * come back: its records must have reached C through B. (Bounded by B, not by N: an added fault that cuts
 * A off early leaves B, and so C, with fewer; test/peer/scenarios.test.ts checks all N arrive without one.)
 */
const caughtUpWithoutOwner: Liveness = {
  withinMs: 5_000,
  pollMs: 100,
  done(ctx) {
    if (ctx.handle('A') !== null || ctx.sim.node('A').status !== 'down') return 'A is up: the check must pass while A is down';
    const b = ctx.handle<PeerHandle>('B');
    const c = ctx.handle<PeerHandle>('C');
    if (b === null || c === null) return `${b === null ? 'B' : 'C'} is not up`;
    if (b.state() !== 'ready' || c.state() !== 'ready') return `B is ${b.state()}, C is ${c.state()}`;
    for (const [r, prefix] of [['location', 'loc-A-'], ['tag', 'tag-A-']] as const) {
      const got = countOf(c, r, prefix);
      const want = countOf(b, r, prefix);
      if (got !== want) return `C holds ${got}/${want} of A's '${r}' records that B holds (A wrote ${N})`;
    }
    if (b.digest() !== c.digest()) return `C holds ${c.digest()}, B holds ${b.digest()}`;
    return true;
  },
};

/** Both relay scenarios run the same three devices. */
const relayTopology: Topology = { ...peerTopology(three), net: { connTimeoutMs: 1_000 } };

const { checks, models, evidence } = peerChecking(relayTopology, { options: { batchSize: 20 } });

const relay: Scenario = {
  name: 'peer-relay-owner-down',
  description:
    `C is cut off while A writes ${N} device-owned and ${N} shared records that B receives; then A goes down for good (stopped, so the heal does not restart it) and C reconnects to B only. C must get A's records from B (relayed catch-up bounded by B's watermarks for A) and converge with B while A is still down.`,
  suites: ['smoke', 'ci', 'default'],
  // Connections reset after 1 s cut off: nothing A sent to C survives in a connection.
  topology: relayTopology,
  program: peerProgram(three, { batchSize: 20 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    for (let k = 0; k < 5; k++) {
      ctx.at(400 + k * 40, () => writeFrom(ctx, 'A', 'location', 'loc-A', k * 10, 10));
      ctx.at(420 + k * 40, () => writeFrom(ctx, 'A', 'tag', 'tag-A', k * 10, 10));
    }
    // The others write too: B's records reach C directly, C's reach B after the isolation.
    ctx.at(600, () => writeFrom(ctx, 'B', 'location', 'loc-B', 0, 5));
    ctx.at(650, () => writeFrom(ctx, 'C', 'location', 'loc-C', 0, 5));
    ctx.at(700, () => writeFrom(ctx, 'C', 'tag', 'tag-A', 0, 3)); // concurrent edits of A's shared records
    ctx.at(A_DOWN_MS, () => ctx.sim.stop('A'));
  },
  faults: { events: [{ kind: 'isolate', atMs: 200, node: 'C', durationMs: 2_500 }] },
  durationMs: 3_500,
  liveness: caughtUpWithoutOwner,
  // A is down at the end: compare B and C record by record.
  checks: [...checks, convergedCheck(['B', 'C']), memoryIsDurableCheck(['B', 'C'])],
  models,
  evidence,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

/** Records of A's batches in peer-relay-unconfirmed: 10 that B holds completely, then 5 it misses, then 5 it gets. */
const UNCONFIRMED = { first: 10, missed: 5, after: 5 };

const unconfirmed: Scenario = {
  name: 'peer-relay-unconfirmed',
  description:
    `A writes ${UNCONFIRMED.first} records that B receives, then ${UNCONFIRMED.missed} that B fails to store (its kv commit fails), then ${UNCONFIRMED.after} more that B stores, and goes down before B fetches the missing ones: B holds A's stream only up to its watermark, plus records after a gap. C, cut off until then, catches up A's stream through B: B may relay only up to its watermark (the complete prefix), so C's watermark cannot skip the records B missed. A comes back and all three converge.`,
  suites: ['smoke', 'ci', 'default'],
  topology: relayTopology,
  program: peerProgram(three, { batchSize: 20 }),
  seams: PEER_SEAMS,
  workload: (ctx) => {
    const { first, missed, after } = UNCONFIRMED;
    ctx.at(300, () => writeFrom(ctx, 'A', 'location', 'loc-A', 0, first));
    ctx.at(800, () => writeFrom(ctx, 'A', 'location', 'loc-A', first, missed));
    ctx.at(850, () => writeFrom(ctx, 'A', 'location', 'loc-A', first + missed, after));
    // Down before its next heartbeat can make B fetch what it missed; back once C has caught up through B.
    ctx.at(880, () => ctx.sim.stop('A'));
    ctx.at(3_500, () => ctx.sim.start('A'));
  },
  faults: {
    events: [
      { kind: 'isolate', atMs: 100, node: 'C', durationMs: 2_400 },
      // B's next kv commit fails: the one storing A's second batch (B writes nothing itself).
      { kind: 'diskError', atMs: 790, node: 'B', area: 'kv', op: 'commit', code: 'EIO', nth: 1 },
    ],
  },
  durationMs: 4_000,
  liveness: converged(three, 5_000),
  checks,
  models,
  evidence,
  variantAreas: ['peer-sync'],
  probes: PEER_PROBES,
};

/**
 * peer-relay-owner-down with C's storage failing once in the middle of the relay (a kv commit error on the
 * second batch of A's records B relays): the catch-up session aborts, and the relay must be tried again at
 * B's next heartbeat, from C's watermark for A. A relay marked done when it starts (or when it fails) is
 * never tried again while A stays down: C keeps the first batch only. Found by the sixth bug hunt: no
 * scenario failed a relay midway.
 */
const interrupted: Scenario = {
  ...relay,
  name: 'peer-relay-interrupted',
  description:
    `As peer-relay-owner-down (C cut off while A writes ${N} device-owned and ${N} shared records that B receives; A then down for good), and C's kv commits fail once while B relays A's records to it (the 6th commit after C is back): the aborted relay must be fetched again from C's watermark for A at B's next heartbeat, and C converge with B while A is still down.`,
  suites: ['ci'],
  faults: {
    events: [
      { kind: 'isolate', atMs: 200, node: 'C', durationMs: 2_500 },
      { kind: 'diskError', atMs: 2_700, node: 'C', area: 'kv', op: 'commit', code: 'EIO', nth: 6 },
    ],
  },
  // Long enough for C's catch-up through B (about 4.5 s) to meet the armed fault before the run heals it.
  durationMs: 6_000,
};

export default [relay, unconfirmed, interrupted];
