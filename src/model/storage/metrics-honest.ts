/**
 * invariant:metrics-honest — what a store's `metrics()` says about its commits agrees with what happened:
 * after each acknowledged forceSync of a run without faults, `commits` is the number of forceSyncs that
 * had something to commit, `bytesCommitted` the blocks they committed (each block written between two
 * forceSyncs once, whatever the number of writes to it) times the block size, `failedCommits` 0, and
 * `throughputBytesPerSec` those bytes per second of the node's time since the store was opened (docs/
 * storage.md, API). A rate computed per millisecond instead of per second (a time unit confused), commits
 * or bytes counted twice or not at all pass every durability check: only the user reading the metrics
 * is misled.
 *
 * Evidence (never the store's word about itself): the workload's own record of its writes and of the
 * forceSyncs acknowledged, and the simulator's clock at the node's start, at the end of its open (the
 * store was constructed in between) and at each acknowledgement; the node runs an undisturbed clock.
 * Judged only for a store whose `metrics()` has these fields (a plugged-in store may report `dirtyCount`
 * alone).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

/** The invariant's name. */
export const METRICS_HONEST = 'invariant:metrics-honest';

/** What the workload saw at one acknowledged forceSync. */
export interface MetricsSample {
  /** Simulated time of the acknowledgement, ms. */
  atMs: number;
  /** The workload's count of forceSyncs with something to commit, and of the distinct blocks they committed. */
  commits: number;
  bytes: number;
  /** What `metrics()` returned then (null: the store reports no such figures). */
  reported: { commits: number; failedCommits: number; bytesCommitted: number; throughputBytesPerSec: number } | null;
}

/** When the store was opened: it was constructed between the node's start and the end of its open, ms. */
export interface OpenWindow {
  startMs: number;
  openedMs: number;
}

/** Relative slack of the rate (the node's clock and the division's rounding). */
const RATE_SLACK = 0.01;

/** The check over the record `samplesOf(ctx)` and the open window `openOf(ctx)` return. */
export function metricsHonest(samplesOf: (ctx: ScenarioContext) => readonly MetricsSample[], openOf: (ctx: ScenarioContext) => OpenWindow | null): Check {
  return {
    name: METRICS_HONEST,
    covers: [METRICS_HONEST],
    final(ctx) {
      const open = openOf(ctx);
      for (const s of samplesOf(ctx)) {
        const m = s.reported;
        if (m === null || open === null) continue;
        ctx.exercised(METRICS_HONEST);
        const at = `at ${s.atMs.toFixed(3)} ms`;
        if (m.commits !== s.commits || m.failedCommits !== 0) {
          return ctx.fail('correctness', METRICS_HONEST, `${at}: metrics() reports ${m.commits} commits and ${m.failedCommits} failed, but the workload's ${s.commits} acknowledged forceSyncs with something to commit are all that ran (no fault)`);
        }
        if (m.bytesCommitted !== s.bytes) {
          return ctx.fail('correctness', METRICS_HONEST, `${at}: metrics() reports ${m.bytesCommitted} bytes committed, but the workload's acknowledged forceSyncs committed ${s.bytes} (distinct blocks per commit x block size)`);
        }
        // The store's clock started between the node's start and the end of its open.
        const lo = s.bytes / Math.max((s.atMs - open.startMs) / 1000, 1e-3);
        const hi = s.bytes / Math.max((s.atMs - open.openedMs) / 1000, 1e-3);
        const rate = m.throughputBytesPerSec;
        if (!(rate >= lo * (1 - RATE_SLACK) && rate <= hi * (1 + RATE_SLACK))) {
          return ctx.fail(
            'correctness',
            METRICS_HONEST,
            `${at}: metrics() reports a throughput of ${rate.toFixed(3)} bytes/s, but ${s.bytes} bytes committed since the store opened (between ${open.startMs.toFixed(3)} and ${open.openedMs.toFixed(3)} ms) make ${lo.toFixed(3)} to ${hi.toFixed(3)} bytes/s`,
          );
        }
      }
    },
  };
}
