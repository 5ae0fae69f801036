/**
 * Virtual-time helpers the client-server checks share: a periodic judge driven by the trace's own
 * records (a recorded trace has no timers), and durations for messages.
 */
import type { TraceContext, TraceSource } from '../check.ts';

/** A periodic judge: `fn` at the first record at or after `next`, then `periodUs` after that record. */
interface Ticker {
  periodUs: number;
  fn: (nowUs: number) => void;
  next: number;
}

/** The judges of one trace and the earliest `next` among them (records before it call none). */
interface Tickers {
  list: Ticker[];
  due: number;
}

const TICKERS = 'cs.time.tickers';

/**
 * Calls `fn` at most every `periodUs` of virtual time, on any record.
 *
 * The judges of one run on one trace share a single '*' subscription (made by the first): a record costs
 * one call while none is due, instead of one per judge. Each judge keeps its own schedule, and they run
 * in the order they were added, at the records they would run at with a subscription each; the checks
 * add theirs in their setup, one after another with no other '*' subscription between them (`csChecks`),
 * so they also run at the same place among a record's '*' listeners.
 */
export function ticking(ctx: TraceContext, periodUs: number, fn: (nowUs: number) => void): void {
  let byTrace = ctx.runState.get(TICKERS) as Map<TraceSource, Tickers> | undefined;
  if (byTrace === undefined) ctx.runState.set(TICKERS, (byTrace = new Map()));
  let tickers = byTrace.get(ctx.trace);
  if (tickers === undefined) {
    const ts: Tickers = { list: [], due: 0 };
    tickers = ts;
    byTrace.set(ctx.trace, ts);
    ctx.trace.on('*', (r) => {
      if (r.t < ts.due) return;
      let soonest = Infinity;
      for (const t of ts.list) {
        if (r.t >= t.next) {
          t.next = r.t + t.periodUs;
          t.fn(r.t);
        }
        if (t.next < soonest) soonest = t.next;
      }
      ts.due = soonest;
    });
  }
  tickers.list.push({ periodUs, fn, next: 0 });
  tickers.due = 0;
}

/** Virtual µs as whole ms, for messages. */
export const ms = (us: number): string => `${(us / 1000).toFixed(0)} ms`;
