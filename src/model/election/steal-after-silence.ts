/**
 * invariant:steal-after-silence (lock mode): a follower steals the lock only after it heard no leader for
 * the takeover time. The lock-mode protocol (docs/election.md) has a follower that hears no `leader` or
 * `heartbeat` announcement for `leaseTakeoverMs` (plus a random jitter) steal the lock; nothing else stops
 * a steal: Web Locks grant `steal: true` at once. A watchdog that counts the wrong way, or too short, deposes
 * healthy leaders whenever their announcements arrive a little late (a busy tab, a late task): every safety
 * check passes it, since the store's fencing keeps the data right, and only the needless failovers and the
 * writes they delay show it (`invariant:no-spurious-failover` looks only at the calm before the first
 * fault, when announcements are on time).
 *
 * Evidence (never the tab's word about what it heard or when): the lock manager's `lock.request {steal:
 * true}`; the simulator's delivery log of announcements (`fact.bus.leader {node, from, epoch}`: a `leader`
 * or `heartbeat` message handed to `node`'s handler, when it ran, late tasks included); the tab's lifecycle
 * (`node.start`); and the workload's own record of the steals it asked for (`workload.handover {node, how:
 * 'takeOver'}`, right before its `takeOver()` call, at the same instant): those are the user's, not the
 * watchdog's. The tab's own `election.stepdown` also restarts its silence (a tab that just led counts from
 * its step-down): the tab's word, used only to excuse.
 *
 * Bound: the silence, in true time, is at least the takeover time over the fastest rate the tab's monotonic
 * clock may run at (the scenario's `clockDriftMaxPpm`, or the drift its true clock samples `fact.clock`
 * showed, whichever is larger), less 1 ms for the clock samples' rounding.
 */
import type { TraceCheck } from '../check.ts';

/** The invariant's name. */
export const STEAL_AFTER_SILENCE = 'invariant:steal-after-silence';

/** What the check needs of the scenario's election settings. */
export interface SilenceTerms {
  /** The takeover time on the tab's own clock, ms (`leaseTakeoverMs`). */
  takeoverMs: number;
  /** The largest clock drift the election assumes, ppm. */
  clockDriftMaxPpm: number;
}

/** Room for the clock samples' rounding, ms. */
const SLACK_MS = 1;

/** invariant:steal-after-silence for lock mode with `terms` (see the file comment). */
export function stealAfterSilence(terms: SilenceTerms): TraceCheck {
  const name = STEAL_AFTER_SILENCE;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      /** Tab -> true µs its silence counts from (start, last announcement handled, step-down, own steal). */
      const since = new Map<string, number>();
      /** Tab -> the largest drift (ppm) its true clock showed. */
      const drift = new Map<string, number>();
      /** Tab -> true µs of the workload's latest take-over request at it. */
      const asked = new Map<string, number>();
      const heard = (node: string, t: number): void => void since.set(node, t);
      ctx.trace.on('node.start', (r) => heard(r.node, r.t));
      ctx.trace.on('election.stepdown', (r) => heard(r.node, r.t));
      ctx.trace.on('fact.bus.leader', (r) => {
        if (typeof r.data.node === 'string') heard(r.data.node, r.t);
      });
      ctx.trace.on('fact.clock', (r) => {
        const node = typeof r.data.node === 'string' ? r.data.node : r.node;
        const ppm = Math.abs(typeof r.data.driftPpm === 'number' ? r.data.driftPpm : 0);
        if (ppm > (drift.get(node) ?? 0)) drift.set(node, ppm);
      });
      ctx.trace.on('workload.handover', (r) => {
        if (r.data.how === 'takeOver' && typeof r.data.node === 'string') asked.set(r.data.node, r.t);
      });
      ctx.trace.on('lock.request', (r) => {
        if (r.data.steal !== true) return;
        const from = since.get(r.node);
        since.set(r.node, r.t);
        if (asked.get(r.node) === r.t || from === undefined) return; // the user's steal (or a tab never started)
        ctx.exercised(name);
        const ppm = Math.max(terms.clockDriftMaxPpm, drift.get(r.node) ?? 0);
        const boundMs = terms.takeoverMs / (1 + ppm / 1e6) - SLACK_MS;
        const silentMs = (r.t - from) / 1000;
        if (silentMs >= boundMs) return;
        ctx.fail(
          'correctness',
          name,
          `${r.node} stole the lock (trace #${r.i}) ${silentMs.toFixed(1)} ms after it last heard a leader or started: a follower steals only after ` +
            `${terms.takeoverMs.toFixed(0)} ms of silence on its clock (${boundMs.toFixed(1)} ms in true time at ${ppm} ppm): a healthy leader was deposed`,
          { traceIndex: r.i, node: r.node, silentMs, boundMs },
        );
      });
    },
  };
}
