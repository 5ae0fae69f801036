/**
 * Fencing between two tabs of one device sharing one store (the protection leader election relies on):
 * tab A commits with epoch 1; tab B opens the store, commits with epoch 2; A, unaware, writes with epoch
 * 1 again: its commit must be refused with EFENCED and nothing of it may become visible. A then restarts
 * (its view of the store is current again) and still writes with epoch 1: refused again, now by the
 * epoch alone. Then B drains and shuts down, both stop, and a fresh open must see exactly B's data.
 */
import { AutoSync, BlockStore, FencedError } from '../../src/impl/storage/index.ts';
import { recoveryModel } from '../../src/model/recovery/spec.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';
import type { Check, Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { withLastCopy, type StoreHandle } from './_harness.ts';

const BS = 1024;
const bytes = (v: number): Uint8Array => new Uint8Array(BS).fill(v);
const RESULT = 'storage.fencing.result';

interface FencingResult {
  staleRefused: boolean;
  reopenedRefused: boolean;
  finalBlock: number | null;
  finalEpoch: number;
}

function result(ctx: ScenarioContext): FencingResult {
  let r = ctx.shared.get(RESULT) as FencingResult | undefined;
  if (r === undefined) ctx.shared.set(RESULT, (r = { staleRefused: false, reopenedRefused: false, finalBlock: null, finalEpoch: -1 }));
  return r;
}

function workload(ctx: ScenarioContext): void {
  const h = (node: string): StoreHandle => {
    const x = ctx.handle<StoreHandle>(node);
    if (x === null) throw new Error(`${node} is not up`);
    return x;
  };
  ctx.at(50, () => {
    h('A').store.write(0, bytes(1), { epoch: 1 });
    void h('A').store.forceSync();
  });
  ctx.at(100, () => ctx.sim.start('B'));
  ctx.at(200, () => {
    h('B').store.write(0, bytes(2), { epoch: 2 });
    void h('B').store.forceSync();
  });
  ctx.at(300, () => {
    const a = h('A').store;
    a.write(0, bytes(3), { epoch: 1 }); // A still believes epoch 1 is current
    a.forceSync().then(
      () => ctx.emit('workload.stale-commit-accepted', {}),
      (e: unknown) => {
        result(ctx).staleRefused = e instanceof FencedError && e.code === 'EFENCED';
        void a.close();
      },
    );
  });
  ctx.at(320, () => {
    ctx.sim.stop('A');
    ctx.sim.start('A'); // reopens: recovery loads B's commit, so only the epoch can stop A now
  });
  ctx.at(360, () => {
    const a = h('A').store;
    try {
      a.write(0, bytes(4), { epoch: 1 });
    } catch (e) {
      result(ctx).reopenedRefused = e instanceof FencedError;
      return;
    }
    a.forceSync({ epoch: 1 }).then(
      () => ctx.emit('workload.stale-commit-accepted', { reopened: true }),
      (e: unknown) => void (result(ctx).reopenedRefused = e instanceof FencedError),
    );
  });
  ctx.at(400, () => void h('B').auto!.drainAndShutdown());
  ctx.at(500, () => {
    ctx.sim.stop('A');
    ctx.sim.stop('B');
    ctx.sim.start('B');
  });
  ctx.at(600, () => {
    const b = h('B').store;
    result(ctx).finalEpoch = b.highestEpoch();
    b.read(0).then((d) => (result(ctx).finalBlock = d?.[0] ?? null));
  });
}

const outcome: Check = {
  name: 'invariant:stale-epoch-never-accepted',
  final(ctx) {
    const r = result(ctx);
    if (!r.reopenedRefused) ctx.fail('correctness', this.name, 'after reopening the store, tab A could still write with stale epoch 1');
    else if (!r.staleRefused) ctx.fail('correctness', this.name, 'the commit of stale epoch 1 was not refused with EFENCED');
    else if (r.finalBlock !== 2) ctx.fail('correctness', this.name, `after reopening, block 0 holds ${String(r.finalBlock)}, expected epoch 2's write (2)`);
    else if (r.finalEpoch !== 2) ctx.fail('correctness', this.name, `after reopening, the recorded epoch is ${r.finalEpoch}, expected 2`);
  },
};

const fencing = (backend: 'file' | 'kv'): Scenario => ({
  name: `storage-fencing-two-tabs-${backend}`,
  description: `Two tabs of one device share a store (${backend} backend): a commit from a stale epoch is refused with EFENCED and never becomes visible, also after the stale tab reopens the store; drain-and-shutdown and reopen keep the newer epoch and its data.`,
  suites: backend === 'file' ? ['smoke', 'ci', 'default'] : ['smoke', 'ci'],
  topology: { nodes: [{ id: 'A', device: 'D' }, { id: 'B', device: 'D', startAtMs: null }], devices: { D: { disk: { profile: 'weak' } } } },
  program: (_node, ctx) => async (env) => {
    const store = await BlockStore.open(env, { backend, blockSize: BS, maxBlocks: 16, variant: ctx.variant });
    const handle: StoreHandle = { store, auto: new AutoSync(env, store, { intervalMs: 0 }) };
    return handle;
  },
  workload,
  durationMs: 1_000,
  checks: [outcome],
  models: [recoveryModel],
  evidence: [storeEvidence([backend === 'kv' ? { backend: 'kv', root: 'store' } : { backend: 'file', root: '/store' }])],
  variantAreas: ['storage'],
  probes: STORAGE_PROBES,
});

export default [fencing('file'), fencing('kv')].map(withLastCopy);
