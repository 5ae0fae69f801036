/**
 * invariant:concurrency-bound — a library never has more than `maxConcurrent` downloads in flight (from
 * the request's send to its reply's delivery, as the network delivered them).
 */
import type { TraceCheck, TraceContext } from '../check.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';

/** Where a run's download spans are kept (`ctx.runState`) between the concurrency check's setup and final. */
const SPANS = 'provider.download-spans';

/** Downloads in flight per library, from the wire, never exceed `maxConcurrent`. */
export function concurrencyCheck(options: ProviderCheckOptions): TraceCheck {
  const name = 'invariant:concurrency-bound';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const libraries = new Set(options.libraries);
      const sent = new Map<string, number>();
      const spans = new Map<string, [number, number][]>();
      ctx.runState.set(SPANS, spans);
      ctx.trace.on('fact.provider.request', (r) => {
        const d = r.data as D;
        if (!libraries.has(d.from as string)) return;
        // A request id is reused by the library's next process: a new request replaces an unanswered one.
        const key = `${d.from as string}>${d.to as string}#${d.reqId as number}`;
        if (d.op === 'Download') sent.set(key, d.sentUs as number);
        else sent.delete(key);
      });
      ctx.trace.on('fact.provider.reply', (r) => {
        const d = r.data as D;
        const key = `${d.to as string}>${d.from as string}#${d.reqId as number}`;
        const start = sent.get(key);
        if (start === undefined) return;
        sent.delete(key);
        let list = spans.get(d.to as string);
        if (list === undefined) spans.set(d.to as string, (list = []));
        list.push([start, r.t]);
      });
    },
    final: (ctx) => checkSpans(ctx, name, options.maxConcurrent, ctx.runState.get(SPANS) as Map<string, [number, number][]>),
  };
}

function checkSpans(ctx: TraceContext, name: string, max: number, spans: Map<string, [number, number][]>): void {
  for (const [lib, list] of spans) {
    // Ends sort before starts at the same time: a permit released and taken again in one instant.
    const points = list.flatMap(([s, e]) => [[s, 1], [e, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    for (const [t, step] of points) {
      now += step;
      ctx.exercised(name);
      if (now > max) return ctx.fail('correctness', name, `${lib} had ${now} downloads in flight at ${(t / 1000).toFixed(3)} ms, above maxConcurrent ${max}`);
    }
  }
}
