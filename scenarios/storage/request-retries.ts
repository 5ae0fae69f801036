/**
 * Request ids retried inside commits that carry several ids (kv backend): a retry carrying an applied id
 * second, or third, beside new ones must be refused with EAPPLIED and apply nothing; the durable request
 * records must keep naming the commit that applied each id (invariant:request-applied-once, judged from
 * the workload's own record and the kv durable image of `store:requests`).
 *
 * storage-shared-open-kv retries one id alone, and the election scenarios forward one request per commit
 * as a rule: a store that checks only the first id of a commit passed them all.
 */
import { requestAppliedOnce, type RequestAttempt, type RequestLedger } from '../../src/model/storage/request-applied-once.ts';
import { workloadLedger } from '../../src/model/workload-ledger.ts';
import { RequestAppliedError } from '../../src/impl/storage/errors.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import {
  blockData,
  doWrite,
  oracleOf,
  withLastCopy,
  type StorageSetup,
  type StoreHandle,
  scriptedScenario,
} from './_harness.ts';

const NODE = 'S';
const setup: StorageSetup = { backend: 'kv', blockSize: 2048, blocks: 8 };

interface Ledger extends RequestLedger {
  attempts: RequestAttempt[];
  durable: Map<string, number> | null;
}

const ledger = workloadLedger<Ledger>('storage.request-ledger', () => ({ attempts: [], durable: null }));

/** Writes `blocks`, then a forceSync recording `ids`; the answer goes to the ledger. */
function commitWith(ctx: ScenarioContext, blocks: number[], ids: string[]): void {
  const h = ctx.handle<StoreHandle>(NODE);
  if (h === null) return;
  for (const id of blocks) doWrite(ctx, NODE, id, blockData(ctx, setup.blockSize));
  const attempt: RequestAttempt = { ids, outcome: null };
  /** The ids this workload sent in an earlier commit: the only ones an EAPPLIED answer may name. */
  const sent = new Set(ledger(ctx).attempts.flatMap((a) => a.ids));
  ledger(ctx).attempts.push(attempt);
  const before = oracleOf(ctx).writesNoted(NODE);
  h.store.forceSync({ requests: ids.map((id) => ({ id, result: null })) }).then(
    (info) => {
      attempt.outcome = { kind: 'ok', commit: info.commit };
      ctx.emit('workload.force-synced', { node: NODE, commit: info.commit });
      oracleOf(ctx).noteAck(NODE, info.commit, before);
    },
    (e: unknown) => {
      attempt.outcome = e instanceof RequestAppliedError ? { kind: 'applied', id: e.requestId, commit: e.applied.commit } : { kind: 'error', code: String((e as { code?: unknown }).code ?? e) };
      ctx.emit('workload.force-sync-failed', { node: NODE, code: String((e as { code?: unknown }).code ?? e) });
      // Refused as a retry of a request this workload did send: the store applied nothing, and its batch
      // (these writes) is gone. The oracle learns it from this answer, never from the store's trace.
      if (e instanceof RequestAppliedError && ids.includes(e.requestId) && sent.has(e.requestId)) oracleOf(ctx).noteDiscarded(NODE, before);
    },
  );
}

/** The durable request records of the store (the simulator's kv image, not the store's reading of it). */
function readDurableRecords(ctx: ScenarioContext): void {
  const records = ctx.sim.device(ctx.sim.node(NODE).deviceId).kv.durableSnapshot().get('store:requests');
  const out = new Map<string, number>();
  for (const [k, v] of records ?? []) {
    const c = (v as { commit?: unknown } | null)?.commit;
    out.set(String(k), typeof c === 'number' ? c : -1);
  }
  ledger(ctx).durable = out;
}

const requestRetries: Scenario = scriptedScenario({
  name: 'storage-request-retries-kv',
  description:
    "Commits on a kv store carry several request ids: r1 alone, then r2 and r3 together; retries carry an applied id second or third beside new ones ([r4, r1], [r3, r5], [r5, r6, r2]) and must be refused with EAPPLIED naming the first commit, applying nothing; a later commit of r5 alone applies. After a power loss the durable request records still name the commit that applied each id, and none names an id never applied.",
  setup,
  node: NODE,
  script: (ctx) => {
    ctx.at(100, () => commitWith(ctx, [0, 1], ['r1']));
    ctx.at(200, () => commitWith(ctx, [2], ['r2', 'r3']));
    ctx.at(300, () => commitWith(ctx, [0], ['r4', 'r1']));
    ctx.at(400, () => commitWith(ctx, [1, 3], ['r3', 'r5']));
    ctx.at(500, () => commitWith(ctx, [4], ['r5', 'r6', 'r2']));
    ctx.at(600, () => commitWith(ctx, [5], ['r5']));
    ctx.at(1_500, () => readDurableRecords(ctx));
  },
  faults: { events: [{ kind: 'crash', atMs: 800, node: NODE, powerLoss: true, restartAfterMs: 50 }] },
  checks: [requestAppliedOnce(ledger)],
});

export default [requestRetries].map(withLastCopy);
