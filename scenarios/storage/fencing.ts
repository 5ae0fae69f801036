/**
 * Fencing between two tabs of one device sharing one store (the protection leader election relies on):
 * tab A commits with epoch 1; tab B opens the store, commits with epoch 2; A, unaware, writes with epoch
 * 1 again: its commit must be refused with EFENCED and nothing of it may become visible. A then restarts
 * (its view of the store is current again) and still writes with epoch 1: refused again, now by the
 * epoch alone. Then B drains and shuts down, both stop, and a fresh open must see exactly B's data.
 */
import { AutoSync, FencedError } from '../../src/impl/storage/index.ts';
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import { staleEpochNeverAccepted, type FencingResult } from '../../src/model/storage/index.ts';
import { writeEpochFenced, type EpochAttempt } from '../../src/model/storage/write-epoch-fenced.ts';
import { unfencedNotRefused, type UnfencedAttempt } from '../../src/model/storage/unfenced-not-refused.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';
import type { FaultKind } from '../../src/faults/plan.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { openStorage, STORAGE_SEAMS, withLastCopy, type StoreHandle } from './_harness.ts';

const BS = 1024;
const bytes = (v: number): Uint8Array => new Uint8Array(BS).fill(v);
const RESULT = 'storage.fencing.result';

/** Errors a fault in the environment may cause instead of the refusal: not a verdict on fencing. */
const ENV_CODES = new Set(['EIO', 'ENOSPC', 'ECLOSED']);

function result(ctx: ScenarioContext): FencingResult {
  let r = ctx.shared.get(RESULT) as FencingResult | undefined;
  if (r === undefined) ctx.shared.set(RESULT, (r = { epoch2Acked: false, stale: [], finalBlock: undefined, finalEpoch: undefined }));
  return r;
}

/** Records how a stale-epoch attempt ended (only those made after epoch 2 was acknowledged are judged). */
function staleAttempt(ctx: ScenarioContext, step: string, attempt: () => Promise<unknown>): void {
  if (!result(ctx).epoch2Acked) return void ctx.emit('workload.stale-attempt-unjudged', { step });
  const entry: FencingResult['stale'][number] = { step, outcome: 'pending' };
  result(ctx).stale.push(entry);
  let p: Promise<unknown>;
  try {
    p = attempt();
  } catch (e) {
    p = Promise.reject(e);
  }
  p.then(
    () => {
      entry.outcome = 'accepted';
      ctx.emit('workload.stale-commit-accepted', { step });
    },
    (e: unknown) => {
      const code = (e as { code?: string }).code ?? String(e);
      entry.code = code;
      entry.outcome = e instanceof FencedError ? 'refused' : ENV_CODES.has(code) ? 'env-error' : 'other-error';
    },
  );
}

function workload(ctx: ScenarioContext): void {
  // A step whose tab is down (a fault crashed or stopped it) is skipped, and said so in the trace.
  const on = (node: string, step: string, fn: (h: StoreHandle) => void): void => {
    const h = ctx.handle<StoreHandle>(node);
    if (h === null) return void ctx.emit('workload.skipped', { node, step });
    fn(h);
  };
  ctx.at(50, () =>
    on('A', 'epoch-1', (h) => {
      h.store.write(0, bytes(1), { epoch: 1 });
      void h.store.forceSync().catch(() => undefined);
    }),
  );
  ctx.at(100, () => ctx.sim.start('B'));
  ctx.at(200, () =>
    on('B', 'epoch-2', (h) => {
      h.store.write(0, bytes(2), { epoch: 2 });
      h.store.forceSync().then(
        () => void (result(ctx).epoch2Acked = true),
        () => undefined,
      );
    }),
  );
  ctx.at(300, () =>
    on('A', 'stale', (h) => {
      const a = h.store;
      // A still believes epoch 1 is current.
      staleAttempt(ctx, 'stale', () => {
        a.write(0, bytes(3), { epoch: 1 });
        return a.forceSync();
      });
      void a.close().catch(() => undefined);
    }),
  );
  ctx.at(320, () => {
    ctx.sim.stop('A');
    ctx.sim.start('A'); // reopens: recovery loads B's commit, so only the epoch can stop A now
  });
  ctx.at(360, () =>
    on('A', 'stale-reopened', (h) => {
      const a = h.store;
      staleAttempt(ctx, 'stale-reopened', () => {
        a.write(0, bytes(4), { epoch: 1 });
        return a.forceSync({ epoch: 1 });
      });
    }),
  );
  ctx.at(400, () => on('B', 'drain', (h) => void h.auto!.drainAndShutdown().catch(() => undefined)));
  ctx.at(500, () => {
    ctx.sim.stop('A');
    ctx.sim.stop('B');
    ctx.sim.start('B');
  });
  ctx.at(600, () =>
    on('B', 'final-read', (h) => {
      const b = h.store;
      b.read(0).then(
        (d) => {
          result(ctx).finalEpoch = b.highestEpoch();
          result(ctx).finalBlock = d?.[0] ?? null;
        },
        () => undefined,
      );
    }),
  );
}

/** invariant:stale-epoch-never-accepted over what this workload saw happen (src/model/storage/). */
const outcome = staleEpochNeverAccepted(result);

const fencing = (backend: 'file' | 'kv'): Scenario => ({
  name: `storage-fencing-two-tabs-${backend}`,
  description: `Two tabs of one device share a store (${backend} backend): a commit from a stale epoch is refused with EFENCED and never becomes visible, also after the stale tab reopens the store; drain-and-shutdown and reopen keep the newer epoch and its data.`,
  suites: backend === 'file' ? ['smoke', 'ci', 'default'] : ['smoke', 'ci'],
  topology: { nodes: [{ id: 'A', device: 'D' }, { id: 'B', device: 'D', startAtMs: null }], devices: { D: { disk: { profile: 'weak' } } } },
  program: (_node, ctx) => async (env) => {
    const store = await openStorage(ctx, env, { backend, blockSize: BS, maxBlocks: 16, variant: ctx.variant });
    const handle: StoreHandle = { store, auto: new AutoSync(env, store, { intervalMs: 0 }) };
    return handle;
  },
  seams: STORAGE_SEAMS,
  workload,
  ...(backend === 'file'
    ? { explore: { kinds: ['crash'] as FaultKind[], why: 'no added pauses: the file backend takes one writer at a time, and a paused commit overlapping the other tab\'s open is two concurrent writers (docs/storage.md)' } }
    : {}),
  durationMs: 1_000,
  checks: [outcome],
  models: [recoveryModel],
  evidence: [storeEvidence([backend === 'kv' ? { backend: 'kv', root: 'store' } : { backend: 'file', root: '/store' }])],
  variantAreas: ['storage'],
  probes: STORAGE_PROBES,
});

const ATTEMPTS = 'storage.fencing.buffered-epochs';

function attempts(ctx: ScenarioContext): EpochAttempt[] {
  let a = ctx.shared.get(ATTEMPTS) as EpochAttempt[] | undefined;
  if (a === undefined) ctx.shared.set(ATTEMPTS, (a = []));
  return a;
}

/**
 * One tab, one store instance: it commits at epoch 1, then buffers a write of a new term (epoch 3) and,
 * before that commits, gets a late write of the term before (epoch 2): the instance knows epoch 3 from the
 * buffered write, so the late write must throw FencedError (docs/storage.md, Fencing). Then the same once
 * epoch 3 is committed. Found by the sixth bug hunt: an epoch check of the committed metadata alone
 * accepted the late write (it committed at epoch 3, inside the new term's batch) in every scenario, since
 * none gave one instance a lower epoch after a higher one before a commit.
 */
function bufferedEpochs(ctx: ScenarioContext): void {
  const attempt = (h: StoreHandle, step: string, id: number, fill: number, epoch: number, known: number): void => {
    const entry: EpochAttempt = { step, epoch, known, outcome: 'accepted' };
    try {
      h.store.write(id, bytes(fill), { epoch });
      ctx.emit('workload.stale-commit-accepted', { step });
    } catch (e) {
      entry.outcome = e instanceof FencedError ? 'refused' : 'other-error';
      if (!(e instanceof FencedError)) entry.code = (e as { code?: string }).code ?? String(e);
    }
    attempts(ctx).push(entry);
  };
  const on = (step: string, fn: (h: StoreHandle) => void): void => {
    const h = ctx.handle<StoreHandle>('A');
    if (h === null) return void ctx.emit('workload.skipped', { node: 'A', step });
    fn(h);
  };
  ctx.at(50, () =>
    on('epoch-1', (h) => {
      h.store.write(0, bytes(1), { epoch: 1 });
      void h.store.forceSync().catch(() => undefined);
    }),
  );
  ctx.at(200, () =>
    on('epoch-3-buffered', (h) => {
      h.store.write(1, bytes(3), { epoch: 3 });
      attempt(h, 'epoch-2-while-3-buffered', 0, 2, 2, 3);
      void h.store.forceSync().catch(() => undefined);
    }),
  );
  ctx.at(400, () => on('epoch-2-after-3-committed', (h) => attempt(h, 'epoch-2-after-3-committed', 0, 4, 2, 3)));
}

const bufferedEpochsScenario: Scenario = {
  name: 'storage-fencing-buffered-epochs-kv',
  description:
    "One tab's store instance commits at epoch 1, buffers a write of epoch 3 and, before that commits, gets a late write of epoch 2: it must throw FencedError (the instance knows epoch 3 from the write it accepted), and again once epoch 3 is committed.",
  suites: ['ci'],
  topology: { nodes: [{ id: 'A', device: 'D' }] },
  program: (_node, ctx) => async (env) => {
    const store = await openStorage(ctx, env, { backend: 'kv', blockSize: BS, maxBlocks: 16, variant: ctx.variant });
    const handle: StoreHandle = { store, auto: null };
    return handle;
  },
  seams: STORAGE_SEAMS,
  workload: bufferedEpochs,
  durationMs: 1_000,
  checks: [writeEpochFenced(attempts)],
  models: [recoveryModel],
  evidence: [storeEvidence([{ backend: 'kv', root: 'store' }])],
  variantAreas: ['storage'],
  probes: STORAGE_PROBES,
};

const UNFENCED = 'storage.fencing.unfenced';

function unfencedAttempts(ctx: ScenarioContext): UnfencedAttempt[] {
  let a = ctx.shared.get(UNFENCED) as UnfencedAttempt[] | undefined;
  if (a === undefined) ctx.shared.set(UNFENCED, (a = []));
  return a;
}

/**
 * One tab, the store's only writer: it commits at epoch 2 (a leader's term), then, its term over, writes and
 * commits without an epoch (not fenced: docs/storage.md, Fencing), then a late write of epoch 1 must still
 * be refused (the unfenced commit kept epoch 2), and after a reopen another unfenced commit. Found by the
 * seventh bug hunt: a commit's epoch drawn from its batch alone (0) made every unfenced commit after a
 * fenced one look like a deposed writer's, refused in every storage scenario that could have noticed (none
 * made an unfenced commit to a store with an epoch).
 */
function unfencedAfterFenced(ctx: ScenarioContext): void {
  const on = (step: string, fn: (h: StoreHandle) => void): void => {
    const h = ctx.handle<StoreHandle>('A');
    if (h === null) return void ctx.emit('workload.skipped', { node: 'A', step });
    fn(h);
  };
  const unfenced = (step: string, id: number, fill: number): void =>
    on(step, (h) => {
      const entry: UnfencedAttempt = { step, durableEpoch: 2, outcome: 'pending' };
      unfencedAttempts(ctx).push(entry);
      const settle = (e: unknown): void => {
        const code = (e as { code?: string }).code ?? String(e);
        entry.code = code;
        entry.outcome = code === 'EFENCED' ? 'refused' : ENV_CODES.has(code) ? 'env-error' : 'other-error';
      };
      try {
        h.store.write(id, bytes(fill));
        h.store.forceSync().then(() => void (entry.outcome = 'committed'), settle);
      } catch (e) {
        settle(e);
      }
    });
  ctx.at(50, () =>
    on('epoch-2', (h) => {
      h.store.write(0, bytes(2), { epoch: 2 });
      void h.store.forceSync({ epoch: 2 }).catch(() => undefined);
    }),
  );
  ctx.at(200, () => unfenced('unfenced-after-epoch-2', 1, 5));
  ctx.at(300, () =>
    on('epoch-1-after-unfenced', (h) => {
      const entry: EpochAttempt = { step: 'epoch-1-after-unfenced', epoch: 1, known: 2, outcome: 'accepted' };
      try {
        h.store.write(2, bytes(1), { epoch: 1 });
        ctx.emit('workload.stale-commit-accepted', { step: entry.step });
      } catch (e) {
        entry.outcome = e instanceof FencedError || (e as { code?: string }).code === 'EFENCED' ? 'refused' : 'other-error';
        if (entry.outcome === 'other-error') entry.code = (e as { code?: string }).code ?? String(e);
      }
      attempts(ctx).push(entry);
    }),
  );
  ctx.at(400, () => {
    ctx.sim.stop('A');
    ctx.sim.start('A'); // reopens: recovery loads epoch 2 from the medium
  });
  ctx.at(500, () => unfenced('unfenced-after-reopen', 3, 6));
}

const unfencedScenario = (backend: 'file' | 'kv'): Scenario => ({
  name: `storage-fencing-unfenced-commit-${backend}`,
  description: `One tab, the store's only writer (${backend} backend), commits at epoch 2, then writes and commits without an epoch (not fenced): the commit must succeed and keep epoch 2, so a late write of epoch 1 is still refused; after a reopen, another unfenced commit succeeds too.`,
  suites: ['smoke', 'ci'],
  topology: { nodes: [{ id: 'A', device: 'D' }], devices: { D: { disk: { profile: 'weak' } } } },
  program: (_node, ctx) => async (env) => {
    const store = await openStorage(ctx, env, { backend, blockSize: BS, maxBlocks: 16, variant: ctx.variant });
    const handle: StoreHandle = { store, auto: null };
    return handle;
  },
  seams: STORAGE_SEAMS,
  workload: unfencedAfterFenced,
  durationMs: 1_000,
  checks: [unfencedNotRefused(unfencedAttempts), writeEpochFenced(attempts)],
  models: [recoveryModel],
  evidence: [storeEvidence([backend === 'kv' ? { backend: 'kv', root: 'store' } : { backend: 'file', root: '/store' }])],
  variantAreas: ['storage'],
  probes: STORAGE_PROBES,
});

export default [fencing('file'), fencing('kv'), bufferedEpochsScenario, unfencedScenario('kv'), unfencedScenario('file')].map(withLastCopy);
