/**
 * invariant:progress-view — the progress view never takes a job's progress back, and at the end it shows
 * every job that ended while it ran in its durable final state, a completed one with items = total =
 * the durable item count; and it never shows a job ended before its end is durable (a status shown too early:
 * a crash then would leave the job running, or failed, after the user saw it completed). Evidence: the view's
 * own `provider.view` records against provider-truth.ts (`fact.library.job`).
 */
import { devicesOf, nodesUp, type TraceCheck } from '../check.ts';
import { truthOf } from './provider-truth.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';

/** The progress view never goes back, and at the end shows every job that ended while it ran as it ended. */
export function progressViewCheck(options: ProviderCheckOptions): TraceCheck {
  const name = 'invariant:progress-view';
  const VIEW = 'provider.view-state';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      devicesOf(ctx);
      nodesUp(ctx);
      const truth = truthOf(ctx);
      // Node -> job -> what its view shows; node -> trace index of its start (jobs ending before are not shown).
      const shown = new Map<string, Map<number, { state: string; items: number; total: number }>>();
      const started = new Map<string, number>();
      ctx.runState.set(VIEW, { shown, started, truth });
      ctx.trace.on('node.start', (r) => {
        if (!options.libraries.includes(r.node)) return;
        shown.set(r.node, new Map());
        started.set(r.node, r.i);
      });
      ctx.trace.on('provider.view', (r) => {
        const d = r.data as D;
        const view = shown.get(r.node)!;
        const before = view.get(d.job as number);
        ctx.exercised(name);
        if (before !== undefined && (d.items as number) < before.items) {
          ctx.fail('correctness', name, `${r.node}'s progress view took job ${d.job as number} back from ${before.items} to ${d.items as number} items (trace #${r.i})`);
        }
        const state = d.state as string;
        if (state === 'completed' || state === 'failed' || state === 'cancelled') {
          const durable = truth.jobs.get(devicesOf(ctx).get(r.node) ?? r.node)?.get(d.job as number);
          if (durable?.state !== state) {
            ctx.fail('correctness', name, `${r.node}'s progress view shows job ${d.job as number} ${state} (trace #${r.i}), but its durable record is ${durable === undefined ? 'absent' : durable.state}: a status shown before it is durable`);
          }
        }
        view.set(d.job as number, { state, items: d.items as number, total: d.total as number });
      });
    },
    final(ctx) {
      const { shown, started, truth } = ctx.runState.get(VIEW) as { shown: Map<string, Map<number, { state: string; items: number; total: number }>>; started: Map<string, number>; truth: ReturnType<typeof truthOf> };
      for (const lib of options.libraries) {
        const view = shown.get(lib);
        if (view === undefined || !nodesUp(ctx).has(lib)) continue;
        const device = devicesOf(ctx).get(lib) ?? lib;
        for (const j of truth.jobs.get(device)?.values() ?? []) {
          if (j.state === 'pending' || j.state === 'running' || j.at < started.get(lib)!) continue;
          ctx.exercised(name);
          const v = view.get(j.job);
          if (v === undefined || v.state !== j.state) {
            return ctx.fail('correctness', name, `job ${j.job} of ${j.provider} is durably ${j.state}, but ${lib}'s progress view shows it ${v === undefined ? 'not at all' : `${v.state} at ${v.items}/${v.total}`}`);
          }
          if (j.state === 'completed' && (v.items !== v.total || v.items !== j.items)) {
            return ctx.fail('correctness', name, `job ${j.job} of ${j.provider} completed with ${j.items} items, but ${lib}'s progress view ends at ${v.items}/${v.total}`);
          }
        }
      }
    },
  };
}
