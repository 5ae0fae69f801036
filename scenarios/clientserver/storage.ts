/**
 * The server's storage faults: its change log lives in a block store of the project's storage layer
 * (file backend by default, kv as the other; docs/client-server.md "Data and storage"), so disk faults
 * reach it. A power loss that tears a write in the middle of an append, failing fsyncs and writes, and
 * failing kv commits on the kv backend: whatever a client was told is stored is in the server's durable
 * log exactly once (invariant:no-loss-no-dup reads it from the durable image), and all end synced. The
 * storage area's recovery model and its durable commit point (`fact.store`) watch the server's store.
 */
import { storeBlocksEvidence } from '../../src/evidence/store-blocks.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import { CS_SERVER_STORES } from '../../src/evidence/cs-server.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import { startServer, type ServerOptions } from '../../src/impl/clientserver/index.ts';
import { lastCopyCheck } from '../../src/model/storage/last-copy-kept.ts';
import { noFalseCorruption } from '../../src/model/storage/no-false-corruption.ts';
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { DB, SERVER, META, clientIds, clientWrites, csProgram, csScenario, serverRecords, type CsScenarioSpec } from './_common.ts';

const three = clientIds(3);

/**
 * `spec` as a client-server scenario whose server keeps its log on `storage`, with the storage area's
 * checks on the server's store beside the area's: invariant:last-copy-kept and invariant:no-false-corruption
 * (`fact.store-blocks`), and with `recovery` the recovery model (`fact.store`). The recovery model is left
 * out where a marker's fsync can fail: M shares the server's device, so the model takes the device for one
 * of several tabs, and the server's own uncertain marker landing during the recovery of its reopen for
 * another tab's commit (it refuses the finalize that follows; docs/storage.md, "Limits" of the model).
 */
export function onServerStore(spec: CsScenarioSpec, storage: NonNullable<ServerOptions['storage']>, recovery: boolean): Scenario {
  const s = csScenario(spec);
  const base = csProgram();
  const at = CS_SERVER_STORES.filter((l) => l.backend === storage);
  return {
    ...s,
    program: (node, ctx) => (node.role === 'server' ? (env) => startServer(env, { db: DB, schema: 1, storage, variant: ctx.variant }) : base(node, ctx)),
    evidence: [...(s.evidence ?? []), storeBlocksEvidence(at), ...(recovery ? [storeEvidence(at)] : [])],
    checks: [...(s.checks ?? []), lastCopyCheck(), noFalseCorruption],
    models: [...(s.models ?? []), ...(recovery ? [recoveryModel] : [])],
  };
}

/** S and M back up at `atMs` (after a torn write's power loss; a running node is left alone). */
function restartServer(ctx: Parameters<NonNullable<Scenario['workload']>>[0], atMs: number): void {
  ctx.at(atMs, () => {
    ctx.sim.start(SERVER);
    ctx.sim.start(META);
  });
}

/** Torn writes: each the nth disk write of the server after its time, a power loss in the middle of it. */
const TORN: readonly (readonly [atMs: number, nth: number])[] = [
  [1_500, 2],
  [3_000, 4],
  [4_500, 1],
  [6_000, 3],
];

/**
 * Three clients push every 30 ms while the server's device loses power four times in the middle of a
 * disk write of an append (the 1st-4th write after 1.5, 3, 4.5 and 6 s: a page, the header, the pending
 * metadata or the marker of whichever commit is writing then, torn to a prefix of its sectors), coming
 * back 400 ms later: the block store's recovery rolls the torn commit back or keeps it, and nothing the
 * server acknowledged is lost (its Ack is sent only once the commit is durable).
 */
const tornAppend = onServerStore(
  {
    name: 'cs-server-torn-append',
    description:
      "The server's device loses power four times in the middle of a disk write while three clients push (a torn page, header, metadata or marker of an append on the file backend): recovery keeps every acknowledged change in the server's durable log exactly once, and all end synced.",
    suites: ['ci', 'default', 'nightly'],
    clients: three,
    workload: (ctx) => {
      serverRecords(ctx, 30, 100);
      clientWrites(ctx, three, 200, 300, 30);
      for (const [at] of TORN) restartServer(ctx, at + 400);
      restartServer(ctx, 8_000);
    },
    faults: { events: TORN.map(([atMs, nth]): FaultEvent => ({ kind: 'tornWrite', atMs, node: SERVER, nth })) },
    durationMs: 9_000,
  },
  'file',
  true,
);

/**
 * Three clients push every 30 ms for 4.5 s (after 50 operator records) while the server's storage fails
 * by `events`; `storage` and `recovery` as in onServerStore.
 */
function pushingThrough(name: string, description: string, events: FaultEvent[], storage: NonNullable<ServerOptions['storage']>, recovery: boolean): Scenario {
  const workload: Scenario['workload'] = (ctx) => {
    serverRecords(ctx, 50, 100);
    clientWrites(ctx, three, 150, 300, 30);
  };
  return onServerStore({ name, description, suites: ['ci', 'default', 'nightly'], clients: three, workload, faults: { events }, durationMs: 8_000 }, storage, recovery);
}

/**
 * The disk counterpart of cs-server-commit-errors: the server's fsyncs and writes fail now and then while
 * three clients push; a failed append is not acknowledged and its session closes, the store is reopened
 * (recovery) before the next one.
 */
const diskErrors = pushingThrough(
  'cs-server-disk-errors',
  "The server's fsyncs fail with probability 0.3 for 2 s, then its file writes with probability 0.3 for 1 s, while three clients push: a failed append is not acknowledged and its session closes; every acknowledged change is in the server's durable log exactly once, and all end synced.",
  [
    { kind: 'fsyncFail', atMs: 1_500, node: SERVER, probability: 0.3, durationMs: 2_000 },
    { kind: 'diskError', atMs: 4_500, node: SERVER, area: 'disk', op: 'writeFile', code: 'EIO', probability: 0.3, durationMs: 1_000 },
  ],
  'file',
  false,
);

/**
 * The server on the kv backend: its block store's commits are kv transactions, which fail with
 * probability 0.3 for 2 s (then 0.5 for 1 s), and the device loses power once mid-run.
 */
const kvStore = pushingThrough(
  'cs-server-kv-store',
  "The server keeps its log on the kv backend; its kv commits fail with probability 0.3 for 2 s (then 0.5 for 1 s) and its device loses power once while three clients push: every acknowledged change is in the server's durable log exactly once, and all end synced.",
  [
    { kind: 'diskError', atMs: 1_500, node: SERVER, area: 'kv', op: 'commit', code: 'EIO', probability: 0.3, durationMs: 2_000 },
    { kind: 'diskError', atMs: 4_500, node: SERVER, area: 'kv', op: 'commit', code: 'EIO', probability: 0.5, durationMs: 1_000 },
    { kind: 'crash', atMs: 3_800, node: SERVER, powerLoss: true, restartAfterMs: 300 },
  ],
  'kv',
  true,
);

/**
 * The clients' own databases fail: their kv commits (pulled batches, acknowledgements, local writes) fail
 * now and then while the server streams a backlog and later changes and the clients write. A failed commit
 * took no effect: the client must start over from what its database holds (nothing of a failed batch
 * counted as received), never from what it had in memory.
 */
const clientStoreErrors = csScenario({
  name: 'cs-client-store-errors',
  description:
    "Every client's kv commits fail with probability 0.3 for 2 s, then 0.5 for 1 s, while the server streams a backlog of 600 rows and 200 more arrive, and the clients write: a failed pull, acknowledgement or write takes no effect, the client starts over from its durable state, and all end synced and equal to the server.",
  suites: ['ci', 'default', 'nightly'],
  clients: three,
  workload: (ctx) => {
    serverRecords(ctx, 600, 100);
    clientWrites(ctx, three, 120, 300, 40);
    serverRecords(ctx, 200, 2_500, 'mid');
  },
  faults: {
    events: three.flatMap((node): FaultEvent[] => [
      { kind: 'diskError', atMs: 150, node, area: 'kv', op: 'commit', code: 'EIO', probability: 0.3, durationMs: 2_000 },
      { kind: 'diskError', atMs: 2_600, node, area: 'kv', op: 'commit', code: 'EIO', probability: 0.5, durationMs: 1_000 },
    ]),
  },
  durationMs: 6_000,
});

export default [tornAppend, diskErrors, kvStore, clientStoreErrors];
