/**
 * invariant:backfill-progress — the progress the implementation reports (`received / expected = ratio`
 * in peer.backfill.begin/batch/complete) is bounded by the evidence: received ≤ per resource what the
 * network delivered to the device in full-scan responses during this backfill (across restarts), or the
 * largest count a responder announced for a resource its durable checkpoint says is done (docs: a
 * complete resource counts as its expected total); expected = the sum of the record counts (`totals`)
 * of a full-scan response delivered in this backfill; the ratio
 * within [0, 1], never decreasing during a backfill (a resumed one included), below 1 while the durable
 * checkpoint has a resource not done, and 1 at completion. A backfill is new (may start over from 0)
 * only when the device started with neither a durable checkpoint nor a complete library.
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { durableHistories, type Checkpoint } from './durable-checkpoints.ts';
import type { D } from './record-fields.ts';

/** The reported backfill progress agrees with what the network delivered and the durable checkpoint. */
export function backfillProgressCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:backfill-progress';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const members = new Set(nodes);
      const durable = durableHistories(ctx, members);
      // Per device, the backfill under way (from a start with nothing durable, across restarts).
      interface Run {
        /** Resource -> records delivered in full-scan responses; the largest count a responder announced. */
        delivered: Map<string, number>;
        announced: Map<string, number>;
        /** Sums of the `totals` of each full-scan response delivered. */
        sums: Set<number>;
        ratio: number;
        at: number;
      }
      const runs = new Map<string, Run>();
      const fresh = (): Run => ({ delivered: new Map(), announced: new Map(), sums: new Set(), ratio: 0, at: -1 });
      ctx.trace.on('node.start', (r) => {
        if (!members.has(r.node)) return;
        const h = durable.get(r.node);
        if (h === undefined || (h.now === null && !h.init)) runs.set(r.node, fresh());
      });
      ctx.trace.on('fact.peer.response', (r) => {
        const d = r.data as D;
        const run = runs.get(d.to as string);
        if (run === undefined || d.writer !== null || !members.has(d.from as string)) return;
        const resource = d.resource as string;
        run.delivered.set(resource, (run.delivered.get(resource) ?? 0) + (d.n as number));
        const totals = d.totals as Record<string, number> | null;
        if (totals === null) return;
        let sum = 0;
        for (const [r, n] of Object.entries(totals)) {
          sum += n;
          if (n > (run.announced.get(r) ?? -1)) run.announced.set(r, n);
        }
        run.sums.add(sum);
      });
      /** The most the device can have synced: per resource what arrived, or all announced once durably done. */
      const bound = (run: Run, cp: Checkpoint): number => {
        let n = 0;
        for (const r of new Set([...run.delivered.keys(), ...run.announced.keys()])) {
          const got = run.delivered.get(r) ?? 0;
          n += cp?.[r]?.done === true ? Math.max(got, run.announced.get(r) ?? 0) : got;
        }
        return n;
      };
      const bad = (r: TraceRecord, what: string): false => {
        ctx.fail('correctness', name, `${r.node}: ${what} (trace #${r.i})`);
        return false;
      };
      const step = (r: TraceRecord): boolean => {
        const run = runs.get(r.node);
        if (run === undefined || !members.has(r.node)) return false;
        const d = r.data as D;
        const ratio = d.ratio;
        const received = d.received as number;
        const expected = d.expected as number;
        ctx.exercised(name);
        if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1) || received > expected) return bad(r, `progress ${received}/${expected} = ${String(ratio)} is outside [0, 1]`);
        if (ratio < run.ratio) return bad(r, `backfill progress went back from ${run.ratio.toFixed(4)} (trace #${run.at}) to ${ratio.toFixed(4)} (${received}/${expected})`);
        const cp = durable.get(r.node)?.now ?? null;
        const most = bound(run, cp);
        if (received > most) return bad(r, `reports ${received} records synced, but the network delivered ${most} in its backfill (counting resources durably done as announced)`);
        if (expected > 0 && !run.sums.has(expected)) {
          return bad(r, `expects ${expected} records, but the full-scan responses delivered counted ${[...run.sums].join(', ') || 'nothing'}`);
        }
        const open = Object.entries(cp ?? {}).find(([, e]) => !e.done);
        if (ratio === 1 && r.kind !== 'peer.backfill.complete' && open !== undefined) return bad(r, `reports progress 1 while its durable checkpoint says '${open[0]}' is not done`);
        run.ratio = ratio;
        run.at = r.i;
        return true;
      };
      ctx.trace.on('peer.backfill.begin', step);
      ctx.trace.on('peer.backfill.batch', step);
      ctx.trace.on('peer.backfill.complete', (r) => {
        if (step(r) && (r.data as D).ratio !== 1) bad(r, `backfill complete with progress ${String((r.data as D).ratio)}, not 1`);
      });
    },
  };
}
