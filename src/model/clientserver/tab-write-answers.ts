/**
 * invariant:tab-write-answers: a write made in a tab that the tab reported "not saved" is never saved.
 *
 * A forwarded write can be durable and unanswered: the leader tab wrote it into the device's database
 * and froze or crashed before its answer left (scenario cs-tabs-commit-unanswered places a pause or crash
 * of the leader right after such a commit). The next leader pushes it, so the user must not be told it
 * failed for good: the tab's answer then is an honest "may be saved" (`TabWriteError.saved === 'maybe'`,
 * recorded by the workload as `workload.result {ok: false, saved: 'maybe'}`). A failure recorded with
 * no `saved` (the tab said 'no', or any other error) claims the write was not saved; the check fails when its
 * value is saved anyway.
 *
 * Evidence: the workload's own record (workload.write, workload.result: unique values) against the
 * durable images: the value in a change the server's log made durable (`fact.cs.server` added, any
 * lineage) or in a cell a client device's commit made durable (`fact.cs.client` cells: the leader's local
 * write commits the cell with the change). Judged whichever comes last: the answer or the durable value.
 */
import type { TraceCheck } from '../check.ts';

/** invariant:tab-write-answers over the tabs `tabs` (node ids of the tabs whose writes are judged). */
export function tabWriteAnswersCheck(tabs: readonly string[]): TraceCheck {
  const name = 'invariant:tab-write-answers';
  const all = new Set(tabs);
  return {
    name,
    onTrace: true,
    covers: [name],
    setup(ctx) {
      /** Value -> its tab, for the tab writes made. */
      const made = new Map<string, string>();
      /** Value -> when (µs) the tab reported it not saved. */
      const refused = new Map<string, number>();
      /** Values found durable: value -> what holds it. */
      const saved = new Map<string, string>();
      const judge = (value: string): void => {
        const at = refused.get(value);
        const where = saved.get(value);
        if (at === undefined || where === undefined) return;
        refused.delete(value);
        ctx.fail('correctness', name, `write ${value} made in tab ${made.get(value)} was reported not saved at ${(at / 1000).toFixed(0)} ms, and ${where} holds it: the tab must answer that it may be saved`, { value });
      };
      const durable = (value: unknown, where: string): void => {
        if (typeof value !== 'string' || !made.has(value) || saved.has(value)) return;
        saved.set(value, where);
        judge(value);
      };
      ctx.trace.on('workload.write', (r) => {
        if (all.has(r.data.node as string)) made.set(r.data.value as string, r.data.node as string);
      });
      ctx.trace.on('workload.result', (r) => {
        const value = r.data.value as string;
        if (!made.has(value) || r.data.ok === true) return;
        ctx.exercised(name);
        if (r.data.saved === 'maybe') return;
        refused.set(value, r.t);
        judge(value);
      });
      ctx.trace.on('fact.cs.server', (r) => {
        for (const a of r.data.added as unknown[][]) durable(a[6], `the server's durable log (seq ${String(a[0])})`);
      });
      ctx.trace.on('fact.cs.client', (r) => {
        for (const c of r.data.cells as unknown[][]) durable(c[1], `device ${String(r.data.device)}'s durable database`);
      });
    },
  };
}
