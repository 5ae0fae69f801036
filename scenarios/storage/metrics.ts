/**
 * The store's metrics against what the workload did (invariant:metrics-honest): one tab, no faults, a
 * forceSync after each group of writes (some blocks written twice in a group, one group empty), and the
 * store's `metrics()` read at each acknowledgement. Found by the seventh bug hunt: a throughput computed
 * per millisecond instead of per second passed every storage scenario (nothing read the metrics).
 */
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import { metricsHonest, type MetricsSample, type OpenWindow } from '../../src/model/storage/metrics-honest.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { openStorage, STORAGE_SEAMS, withLastCopy, type StoreHandle } from './_harness.ts';

const BS = 1024;
const SAMPLES = 'storage.metrics.samples';
const OPEN = 'storage.metrics.open';
const COUNTS = 'storage.metrics.counts';

function samples(ctx: ScenarioContext): MetricsSample[] {
  let s = ctx.shared.get(SAMPLES) as MetricsSample[] | undefined;
  if (s === undefined) ctx.shared.set(SAMPLES, (s = []));
  return s;
}

/** The figures a metrics() result reports, or null when it has none of them (a plugged-in store). */
function reported(m: unknown): MetricsSample['reported'] {
  const r = m as Partial<Record<'commits' | 'failedCommits' | 'bytesCommitted' | 'throughputBytesPerSec', unknown>>;
  if (typeof r.commits !== 'number' || typeof r.failedCommits !== 'number' || typeof r.bytesCommitted !== 'number' || typeof r.throughputBytesPerSec !== 'number') return null;
  return { commits: r.commits, failedCommits: r.failedCommits, bytesCommitted: r.bytesCommitted, throughputBytesPerSec: r.throughputBytesPerSec };
}

function workload(ctx: ScenarioContext): void {
  const counts = { commits: 0, bytes: 0 };
  ctx.shared.set(COUNTS, counts);
  // Group g at 100 + 150 g ms: 1 + (g mod 4) writes of random blocks (repeats allowed); group 3 writes nothing.
  for (let g = 0; g < 8; g++) {
    ctx.at(100 + g * 150, () => {
      const h = ctx.handle<StoreHandle>('A');
      if (h === null) return void ctx.emit('workload.skipped', { node: 'A', step: `group-${g}` });
      const ids = new Set<number>();
      const n = g === 3 ? 0 : 1 + (g % 4);
      for (let k = 0; k < n; k++) {
        const id = ctx.rng.int(8);
        ids.add(id);
        h.store.write(id, new Uint8Array(BS).fill(g + 1));
      }
      h.store.forceSync().then(
        () => {
          if (ids.size > 0) {
            counts.commits++;
            counts.bytes += ids.size * BS;
          }
          samples(ctx).push({ atMs: ctx.nowMs(), commits: counts.commits, bytes: counts.bytes, reported: reported((h.store.metrics as () => unknown).call(h.store)) });
        },
        () => undefined,
      );
    });
  }
}

const metricsScenario = (backend: 'file' | 'kv'): Scenario => ({
  name: `storage-metrics-${backend}`,
  description: `One tab (${backend} backend), no faults: a forceSync after each group of writes (blocks written twice in a group, an empty group); the store's metrics() at each acknowledgement must count the commits and their distinct blocks' bytes, and give the rate per second of the node's time since the store opened.`,
  suites: ['smoke', 'ci'],
  topology: { nodes: [{ id: 'A', device: 'D' }] },
  program: (_node, ctx) => async (env) => {
    const startMs = ctx.nowMs();
    const store = await openStorage(ctx, env, { backend, blockSize: BS, maxBlocks: 16, variant: ctx.variant });
    const open: OpenWindow = { startMs, openedMs: ctx.nowMs() };
    ctx.shared.set(OPEN, open);
    const handle: StoreHandle = { store, auto: null };
    return handle;
  },
  seams: STORAGE_SEAMS,
  workload,
  durationMs: 1_500,
  checks: [metricsHonest(samples, (ctx) => (ctx.shared.get(OPEN) as OpenWindow | undefined) ?? null)],
  models: [recoveryModel],
  evidence: [storeEvidence([backend === 'kv' ? { backend: 'kv', root: 'store' } : { backend: 'file', root: '/store' }])],
  variantAreas: ['storage'],
  probes: STORAGE_PROBES,
});

export default [metricsScenario('kv'), metricsScenario('file')].map(withLastCopy);
