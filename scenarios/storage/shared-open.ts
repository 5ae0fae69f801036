/**
 * Two tabs of one device share a kv block store with no election between them (the store's own checks keep
 * them apart): A commits continuously, one forced commit per write; B reopens the store again and again
 * meanwhile, so its startup recoveries run while A's commits move the marker and must start over; B's stale
 * commit is refused (ESTALE) and B crashes with that instance still open; B recovers in place after a
 * failed commit, again while A commits. Before B starts, A retries a request id that was already applied
 * while another write is buffered: the retry is discarded, the other write commits next.
 */
import { StoreError, type BlockStorage, type CommitInfo } from '../../src/impl/storage/index.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';
import type { Env } from '../../src/impl/env.ts';
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import { concurrentRecoveryKeepsCommits, type CommitLedger } from '../../src/model/storage/index.ts';
import { workloadLedger } from '../../src/model/workload-ledger.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { openStorage, STORAGE_SEAMS, withLastCopy } from './_harness.ts';

const BS = 512;
/** A's blocks are 0-7, B's 8-15. */
const A_BLOCKS = 8;
const LEDGER = 'storage.shared-open.ledger';
const OPEN_ATTEMPTS = 20;
/** Open failures a tab retries: another tab moved the marker during each attempt, or an injected error. */
const RETRY_OPEN = new Set(['ESTALE', 'EIO', 'ENOSPC']);

/** What a tab's program returns: its current store instance (null while reopening) and how to reopen it (skipped while an open runs). */
interface TabHandle {
  store: BlockStorage | null;
  reopen(): Promise<void>;
}

/** Per A block: the numbers k of the writes issued to it, and the highest whose forceSync was acknowledged (the check's `CommitLedger`). */
interface Ledger extends CommitLedger {
  attempted: Map<number, number[]>;
  acked: Map<number, number>;
  /** Block id -> k read back by the final open (null: absent or not a write of this scenario). */
  final: Map<number, number | null> | null;
  k: number;
}

const ledger = workloadLedger<Ledger>(LEDGER, () => ({ attempted: new Map(), acked: new Map(), final: null, k: 0 }));

/** Block contents carrying write number `k`. */
function dataOf(k: number): Uint8Array {
  const d = new Uint8Array(BS).fill(k & 0xff);
  new DataView(d.buffer).setUint32(0, k);
  return d;
}

function kOf(d: Uint8Array | null): number | null {
  if (d === null || d.length !== BS) return null;
  const k = new DataView(d.buffer, d.byteOffset).getUint32(0);
  return d.every((b, i) => i < 4 || b === (k & 0xff)) ? k : null;
}

async function openStore(ctx: ScenarioContext, env: Env): Promise<BlockStorage> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStorage(ctx, env, { backend: 'kv', blockSize: BS, maxBlocks: 16 });
    } catch (e) {
      const code = (e as { code?: unknown }).code; // a StoreError, or an EnvError of an injected fault
      if (typeof code !== 'string' || !RETRY_OPEN.has(code) || attempt >= OPEN_ATTEMPTS) throw e;
      await env.clock.sleep(1);
    }
  }
}

function program(): Scenario['program'] {
  return (_node, ctx) => async (env) => {
    let opening = true;
    const h: TabHandle = {
      store: null,
      async reopen() {
        if (opening) return; // one instance per tab: an open still recovering is not doubled
        opening = true;
        const old = h.store;
        h.store = null;
        try {
          await old?.close().catch(() => undefined);
          h.store = await openStore(ctx, env);
        } finally {
          opening = false;
        }
      },
    };
    h.store = await openStore(ctx, env);
    opening = false;
    return h;
  };
}

/** The store of `tab` now, or null (down or reopening). */
const storeOf = (ctx: ScenarioContext, tab: string): BlockStorage | null => ctx.handle<TabHandle>(tab)?.store ?? null;

/** A writes block `id` with the next write number and forces it; a refused instance is replaced. */
function aWrite(ctx: ScenarioContext, id: number, requestId?: string, k = ++ledger(ctx).k): void {
  const store = storeOf(ctx, 'A');
  if (store === null) return;
  try {
    store.write(id, dataOf(k));
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    if (e.code === 'ESTALE' || e.code === 'EFENCED') void ctx.handle<TabHandle>('A')?.reopen().catch(() => undefined);
    return;
  }
  const l = ledger(ctx);
  l.attempted.set(id, [...(l.attempted.get(id) ?? []), k]);
  store.forceSync(requestId === undefined ? {} : { requests: [{ id: requestId, result: null }] }).then(
    (info) => {
      l.acked.set(id, Math.max(l.acked.get(id) ?? 0, k));
      forceSynced(ctx, 'A', info);
    },
    () => undefined,
  );
}

/**
 * The workload's record of a forceSync acknowledged to `tab` (`workload.force-synced`): the recovery model
 * holds the acknowledged commit against the durable image (ackDurable), whatever the store claims.
 */
function forceSynced(ctx: ScenarioContext, tab: string, info: CommitInfo): void {
  ctx.emit('workload.force-synced', { node: tab, commit: info.commit });
}

/** forceSync on `tab`'s store now; an acknowledgment is recorded, a failure is not judged here. */
function forceSync(ctx: ScenarioContext, tab: string): void {
  storeOf(ctx, tab)
    ?.forceSync()
    .then(
      (info) => forceSynced(ctx, tab, info),
      () => undefined,
    );
}

/** B writes one of its own blocks and forces it (the outcome is not judged: B's commits are often stale). */
function bWrite(ctx: ScenarioContext, id: number): void {
  const store = storeOf(ctx, 'B');
  if (store === null) return;
  try {
    store.write(id, dataOf(0));
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    return;
  }
  forceSync(ctx, 'B');
}

function workload(ctx: ScenarioContext): void {
  // A alone: request 'A-retry' applied, then retried while block 1 is written during the retry's commit.
  ctx.at(20, () => aWrite(ctx, 0, 'A-retry', 1));
  ctx.at(30, () => aWrite(ctx, 0, 'A-retry', 1));
  ctx.at(30.05, () => aWrite(ctx, 1));
  ctx.at(40, () => forceSync(ctx, 'A'));
  ctx.at(50, () => void (ledger(ctx).k = Math.max(ledger(ctx).k, 2)));
  // A commits a write every millisecond from 100 to 600 (B starts at 100).
  for (let n = 0; n < 500; n++) ctx.at(100 + n, () => aWrite(ctx, n % A_BLOCKS));
  // B reopens the store every 20 ms: each startup recovery runs while A commits.
  for (let t = 120; t <= 280; t += 20) ctx.at(t, () => void ctx.handle<TabHandle>('B')?.reopen().catch(() => undefined));
  // B commits from a stale view (refused), then crashes with that instance open, and restarts.
  ctx.at(290, () => bWrite(ctx, 8));
  ctx.at(295, () => ctx.sim.crash('B', { powerLoss: false }));
  ctx.at(300, () => ctx.sim.start('B'));
  // Four rounds: a fresh instance, a commit failing with an injected EIO (its outcome unknown to B), then
  // a commit that first recovers in place, while A commits.
  for (let r = 0; r < 4; r++) {
    const t = 340 + r * 60;
    ctx.at(t, () => void ctx.handle<TabHandle>('B')?.reopen().catch(() => undefined));
    ctx.at(t + 10, () => bWrite(ctx, 9));
    ctx.at(t + 15, () => bWrite(ctx, 10));
  }
  // Both stop; a fresh B reads A's blocks back.
  ctx.at(650, () => {
    ctx.sim.stop('A');
    ctx.sim.stop('B');
    ctx.sim.start('B');
  });
  ctx.at(680, () => {
    const store = storeOf(ctx, 'B');
    if (store === null) return void ctx.emit('workload.skipped', { node: 'B', step: 'final-read' });
    const final = new Map<number, number | null>();
    void Promise.all(
      Array.from({ length: A_BLOCKS }, (_, id) =>
        store.read(id, { committedOnly: true }).then(
          (d) => void final.set(id, kOf(d)),
          () => undefined,
        ),
      ),
    ).then(() => void (ledger(ctx).final = final));
  });
}

/** invariant:concurrent-recovery-keeps-commits over this workload's ledger (src/model/storage/). */
const keepsCommits = concurrentRecoveryKeepsCommits(ledger);

const sharedOpen: Scenario = {
  name: 'storage-shared-open-kv',
  description:
    "Two tabs share a kv store with no election: A commits a write every millisecond while B reopens the store again and again (its recoveries must start over when A's commits move the marker, and never delete A's blocks as strays), commits from a stale view (refused) and crashes with that instance open, and recovers in place after injected commit errors; before that, A retries an applied request id while another write is buffered. Every write A was told is durable stays, and no recovery reports a block another commit replaced as corrupt.",
  suites: ['ci'],
  topology: { nodes: [{ id: 'A', device: 'D' }, { id: 'B', device: 'D', startAtMs: 100 }] },
  program: program(),
  seams: STORAGE_SEAMS,
  workload,
  // B's commit at t + 10 of each round (the first kv commit after the arming) fails.
  faults: { events: [345, 405, 465, 525].map((atMs) => ({ kind: 'diskError' as const, atMs, node: 'B', area: 'kv' as const, op: 'commit', code: 'EIO', nth: 1 })) },
  durationMs: 1_000,
  checks: [keepsCommits],
  models: [recoveryModel],
  evidence: [storeEvidence([{ backend: 'kv', root: 'store' }])],
  variantAreas: ['storage'],
  probes: STORAGE_PROBES,
};

export default [sharedOpen].map(withLastCopy);
