/**
 * Provider sync invariants, and `providerChecks`, all of them for a scenario. Each reads the trace's
 * facts (the provider's durable files, the library's durable tracks and jobs, what the network
 * delivered); the progress view and the work queue are judged from their own trace records, counted here.
 * Evidence per check: docs/provider-sync.md (Model and invariants).
 *
 * - invariant:completed-work-durable — when a job becomes durably completed with cursor `e:s`, the
 *   library's durable tracks of that provider equal the provider's files as of revision s: no change lost
 *   (added, modified, moved, deleted), nothing extra; a file changed again after s may lag behind (its
 *   content as of s is gone; the next job, starting at s, brings it: `differences`).
 * - invariant:library-matches-provider — at the end (after liveness), every library equals every
 *   provider's latest durable files.
 * - invariant:track-revisions — a durable track write raises the track's revision (a change applied twice,
 *   or an older one over a newer, fails), except a tombstone replacing the live track of its own revision;
 *   a live track's durable content is whole: its blob is of its revision and hashes to its hash (a
 *   crash or cancellation never leaves half an item).
 * - invariant:one-running-job — at most one job per (library, provider) is durably running.
 * - invariant:queue-bound — a job's work queue never holds more than `queueMax` items (pushes minus takes).
 * - invariant:concurrency-bound — a library never has more than `maxConcurrent` downloads in flight (from
 *   the request's send to its reply's delivery, as the network delivered them).
 * - invariant:progress-view — the progress view never takes a job's progress back, and at the end it shows
 *   every job that ended while it ran in its durable final state, a completed one with items = total =
 *   the durable item count.
 */
import { devicesOf, nodesUp, type TraceCheck, type TraceContext } from '../check.ts';
import type { Check } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { cursorSeq, differences, truthOf } from './truth.ts';

type D = Record<string, unknown>;
/** Where a run's download spans are kept (`ctx.runState`) between the concurrency check's setup and final. */
const SPANS = 'provider.download-spans';

/** Who is who, and the bounds the library was configured with. */
export interface ProviderCheckOptions {
  libraries: readonly string[];
  providers: readonly string[];
  queueMax: number;
  maxConcurrent: number;
}

/** A completed job's tracks equal the provider as of its cursor. */
export function completedWorkCheck(): TraceCheck {
  const name = 'invariant:completed-work-durable';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx);
      const seen = new Set<string>();
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}#${d.job as number}`;
        if (d.state !== 'completed' || seen.has(key)) return;
        seen.add(key);
        const seq = cursorSeq(d.cursor as string | null);
        ctx.exercised(name);
        if (seq === null) return ctx.fail('correctness', name, `job ${d.job as number} of ${d.provider as string} completed on ${d.device as string} without a cursor (trace #${r.i})`);
        const diff = differences(truth, d.device as string, d.provider as string, seq, 3, true);
        if (diff.length > 0) {
          ctx.fail('correctness', name, `job ${d.job as number} of ${d.provider as string} completed on ${d.device as string} with cursor ${d.cursor as string}, but the durable library is not the provider as of rev ${seq}: ${diff.join('; ')} (trace #${r.i})`);
        }
      });
    },
  };
}

/** At the end, every library equals every provider's latest files. */
export function matchesProviderCheck(options: ProviderCheckOptions): TraceCheck {
  const name = 'invariant:library-matches-provider';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup: (ctx) => {
      devicesOf(ctx);
      truthOf(ctx);
    },
    final(ctx) {
      const truth = truthOf(ctx);
      for (const lib of options.libraries) {
        const device = devicesOf(ctx).get(lib) ?? lib;
        for (const p of options.providers) {
          ctx.exercised(name);
          const diff = differences(truth, device, p, truth.head.get(p) ?? 0);
          if (diff.length > 0) return ctx.fail('correctness', name, `at the end ${lib} does not hold ${p}'s files: ${diff.join('; ')}`);
        }
      }
    },
  };
}

/** Track writes raise revisions; live tracks have whole content. */
export function trackRevisionsCheck(): TraceCheck {
  const name = 'invariant:track-revisions';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const last = new Map<string, { rev: number; deleted: boolean }>();
      ctx.trace.on('fact.library.track', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}:${d.provider as string}/${d.id as string}`;
        const rev = d.rev as number;
        const deleted = d.deleted as boolean;
        const before = last.get(key);
        last.set(key, { rev, deleted });
        ctx.exercised(name);
        const where = `${d.provider as string}/${d.id as string} on ${d.device as string} (trace #${r.i})`;
        if (before !== undefined && !(rev > before.rev || (rev === before.rev && deleted && !before.deleted))) {
          return ctx.fail('correctness', name, `${where} was written at rev ${rev}${deleted ? ' (deleted)' : ''} over rev ${before.rev}${before.deleted ? ' (deleted)' : ''}: a change applied twice or out of order`);
        }
        if (!deleted && (d.blob !== d.hash || d.blobRev !== rev)) {
          ctx.fail('correctness', name, `${where} is live at rev ${rev} with hash ${d.hash as string}, but its durable content is ${d.blob === null ? 'missing' : `rev ${String(d.blobRev)} hashing to ${d.blob as string}`}: a half-applied item`);
        }
      });
    },
  };
}

/** At most one durably running job per (library, provider). */
export function oneRunningJobCheck(): TraceCheck {
  const name = 'invariant:one-running-job';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const running = new Map<string, number>();
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        const key = `${d.device as string}|${d.provider as string}`;
        const held = running.get(key);
        if (d.state === 'running') {
          ctx.exercised(name);
          if (held !== undefined && held !== d.job) return ctx.fail('correctness', name, `job ${d.job as number} of ${d.provider as string} is running on ${d.device as string} while job ${held} still is (trace #${r.i})`);
          running.set(key, d.job as number);
        } else if (held === d.job) running.delete(key);
      });
    },
  };
}

/** Pushes minus takes of a job's queue never exceed `queueMax`. */
export function queueBoundCheck(queueMax: number): TraceCheck {
  const name = 'invariant:queue-bound';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const length = new Map<string, number>();
      const key = (r: TraceRecord): string => `${r.node}#${(r.data as D).job as number}`;
      ctx.trace.on('provider.queue.push', (r) => {
        const n = (length.get(key(r)) ?? 0) + 1;
        length.set(key(r), n);
        ctx.exercised(name);
        if (n > queueMax) ctx.fail('correctness', name, `the work queue of job ${(r.data as D).job as number} on ${r.node} holds ${n} items, above queueMax ${queueMax} (trace #${r.i})`);
      });
      ctx.trace.on('provider.queue.take', (r) => void length.set(key(r), (length.get(key(r)) ?? 0) - 1));
    },
  };
}

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
        view.set(d.job as number, { state: d.state as string, items: d.items as number, total: d.total as number });
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

/** Every provider check, for a scenario. */
export function providerChecks(options: ProviderCheckOptions): Check[] {
  return [
    completedWorkCheck(),
    matchesProviderCheck(options),
    trackRevisionsCheck(),
    oneRunningJobCheck(),
    queueBoundCheck(options.queueMax),
    concurrencyCheck(options),
    progressViewCheck(options),
  ];
}
