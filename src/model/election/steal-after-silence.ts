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
 * (`node.start`); its true clock rate (`fact.clock`); and the workload's own record of the steals it asked
 * for (`workload.handover {node, how: 'takeOver'}`, right before its `takeOver()` call, at the same instant:
 * `takeOver()` requests the lock in the same task): those are the user's, not the watchdog's, and they do not
 * restart the tab's silence either (the watchdog counts from what it heard, not from the user's request).
 * The protocol also restarts a tab's silence at its own step-down (a tab that just led counts from there,
 * not from the last announcement it heard before it led) and at its own watchdog steal; the check follows
 * the tab's `election.stepdown` record for the first: the reference election restarts its count when its
 * step-down ends, later than the record, so the check is never stricter than it.
 *
 * Bound: the silence, in true time, is at least the takeover time over the fastest rate the tab's monotonic
 * clock ran at since the silence began (the rates its true clock samples `fact.clock` showed; the
 * scenario's `clockDriftMaxPpm` for a tab with no sample), less 1 ms for the clock samples' rounding.
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
      /** Tab -> true µs its silence counts from (start, last announcement handled, step-down, own watchdog steal). */
      const since = new Map<string, number>();
      /** Tab -> its clock's drift now (ppm), from its latest true clock sample. */
      const rate = new Map<string, number>();
      /** Tab -> the fastest drift (ppm) its clock ran at since its silence began (absent: no sample yet). */
      const fastest = new Map<string, number>();
      /** Tab -> true µs of the workload's latest take-over request at it. */
      const asked = new Map<string, number>();
      const heard = (node: string, t: number): void => {
        since.set(node, t);
        const now = rate.get(node);
        if (now === undefined) fastest.delete(node);
        else fastest.set(node, now);
      };
      // A new process: its clock's rate is known from its first sample (`fact.clock` follows `node.start`).
      ctx.trace.on('node.start', (r) => {
        rate.delete(r.node);
        heard(r.node, r.t);
      });
      ctx.trace.on('election.stepdown', (r) => heard(r.node, r.t));
      ctx.trace.on('fact.bus.leader', (r) => {
        if (typeof r.data.node === 'string') heard(r.data.node, r.t);
      });
      ctx.trace.on('fact.clock', (r) => {
        const node = typeof r.data.node === 'string' ? r.data.node : r.node;
        const ppm = typeof r.data.driftPpm === 'number' ? r.data.driftPpm : 0;
        rate.set(node, ppm);
        if (ppm > (fastest.get(node) ?? -Infinity)) fastest.set(node, ppm);
      });
      ctx.trace.on('workload.handover', (r) => {
        if (r.data.how === 'takeOver' && typeof r.data.node === 'string') asked.set(r.data.node, r.t);
      });
      ctx.trace.on('lock.request', (r) => {
        if (r.data.steal !== true) return;
        if (asked.get(r.node) === r.t) return; // the user's steal: neither judged nor a restart of the count
        const from = since.get(r.node);
        const ppm = fastest.get(r.node) ?? terms.clockDriftMaxPpm;
        heard(r.node, r.t);
        if (from === undefined) return; // a tab never seen starting (a hand-fed trace)
        ctx.exercised(name);
        const boundMs = terms.takeoverMs / (1 + ppm / 1e6) - SLACK_MS;
        const silentMs = (r.t - from) / 1000;
        if (silentMs >= boundMs) return;
        ctx.fail(
          'correctness',
          name,
          `${r.node} stole the lock (trace #${r.i}) ${silentMs.toFixed(1)} ms after it last heard a leader, started, stepped down or stole: a follower steals only after ` +
            `${terms.takeoverMs.toFixed(0)} ms of silence on its clock (${boundMs.toFixed(1)} ms in true time at ${ppm} ppm): a healthy leader was deposed`,
          { traceIndex: r.i, node: r.node, silentMs, boundMs },
        );
      });
    },
  };
}
