/**
 * invariant:queue-bound — a library holds in memory no more work of a job than its bounded queue, its
 * workers and the page it is reading allow, judged on evidence the library does not write.
 *
 * The work a library holds for a running job of provider P is every entry P's listing and change pages
 * delivered to it (`fact.provider.reply`, `entries`; deletions excluded: they go to the conflict
 * resolver, not the queue) that is not settled yet. An entry is settled once the evidence shows the
 * library done with it, or handed to a worker that has sent its download:
 * - a `Download` request of that file from the library delivered to P (`fact.provider.request`): one
 *   outstanding entry of that file, the oldest, is settled per delivered request;
 * - the library's durable track of that file at the entry's revision or later (`fact.library.track`),
 *   when the page is delivered or later (an entry already held, a move, a newer change applied first).
 *
 * The bound, checked at each delivered page: unsettled entries <= queueMax + maxConcurrent + the entries
 * that page added (its deletions and entries already durable add none). Why: a library that waits for room reads the next page only once every entry of the previous
 * ones is in the queue (at most `queueMax`) or taken by one of the job's `maxConcurrent` workers, which
 * holds it until its download is delivered (waiting for a permit, a retry delay, a lost request); the
 * page just delivered is the only work it holds beyond them. A library that reads ahead of its queue
 * (discovery not waiting for room, or the listing kept in an array outside the queue and fed to it one by
 * one) goes above it as soon as the provider delivers pages faster than the downloads settle them.
 *
 * What it does not see: retried downloads of a file settle another outstanding entry of that file (a
 * listing entry and a change entry of one file), so the count may be low, never high. Entries are kept
 * per (library, provider) while a job is durably running in the library's process: a job's end
 * (`fact.library.job`) and the process's end (`node.crash`, `node.stop`, `node.start`) drop them, as the
 * library drops its queue; a page delivered while no job runs is counted for none, and so is a page asked
 * for before the running job's record (the request's `sentUs`): an earlier job's, delivered late.
 * `invariant:queue-records` holds the queue's own push and take records to `queueMax` exactly, as a
 * second line that trusts the implementation's records.
 */
import { devicesOf, type TraceCheck, type TraceContext } from '../check.ts';
import { truthOf } from './provider-truth.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';

/** The work one library holds for its running job of one provider. */
interface Held {
  job: number;
  /** When the job's running record became durable (µs): a page asked for before then is an earlier job's. */
  sinceUs: number;
  /** File id -> revisions of its unsettled entries, oldest first. */
  entries: Map<string, number[]>;
  count: number;
}

/** Unsettled page entries of a running job never exceed queueMax + maxConcurrent + the page delivered. */
export function queueBoundCheck(options: Pick<ProviderCheckOptions, 'libraries' | 'queueMax' | 'maxConcurrent'>): TraceCheck {
  const name = 'invariant:queue-bound';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const devices = devicesOf(ctx);
      const truth = truthOf(ctx);
      const libraries = new Set(options.libraries);
      /** `<library>|<provider>` -> the work held for its running job. */
      const held = new Map<string, Held>();
      const librariesOn = (device: string): string[] => options.libraries.filter((l) => (devices.get(l) ?? l) === device);
      const settle = (h: Held, id: string, upTo: number | null): void => {
        const revs = h.entries.get(id);
        if (revs === undefined) return;
        const kept = upTo === null ? revs.slice(1) : revs.filter((rev) => rev > upTo);
        h.count -= revs.length - kept.length;
        if (kept.length === 0) h.entries.delete(id);
        else h.entries.set(id, kept);
      };
      const dropProcess = (node: string): void => {
        for (const k of [...held.keys()]) if (k.startsWith(`${node}|`)) held.delete(k);
      };
      ctx.trace.on('node.start', (r) => dropProcess(r.node));
      ctx.trace.on('node.crash', (r) => dropProcess(r.node));
      ctx.trace.on('node.stop', (r) => dropProcess(r.node));
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        for (const lib of librariesOn(d.device as string)) {
          const key = `${lib}|${d.provider as string}`;
          const h = held.get(key);
          if (d.state === 'running' && h?.job !== d.job) held.set(key, { job: d.job as number, sinceUs: r.t, entries: new Map(), count: 0 });
          else if (d.state !== 'running' && h?.job === d.job) held.delete(key);
        }
      });
      ctx.trace.on('fact.library.track', (r) => {
        const d = r.data as D;
        for (const lib of librariesOn(d.device as string)) {
          const h = held.get(`${lib}|${d.provider as string}`);
          if (h !== undefined) settle(h, d.id as string, d.rev as number);
        }
      });
      /** `<library>><provider>#<reqId>` -> when the library sent that listing or change request (µs). */
      const asked = new Map<string, number>();
      ctx.trace.on('fact.provider.request', (r) => {
        const d = r.data as D;
        if (!libraries.has(d.from as string)) return;
        if (d.op === 'ListFiles' || d.op === 'GetChanges') asked.set(`${d.from as string}>${d.to as string}#${d.reqId as number}`, d.sentUs as number);
        if (d.op !== 'Download') return;
        const h = held.get(`${d.from as string}|${d.to as string}`);
        if (h !== undefined && typeof d.fileId === 'string') settle(h, d.fileId, null);
      });
      ctx.trace.on('fact.provider.reply', (r) => {
        const d = r.data as D;
        if ((d.op !== 'Files' && d.op !== 'Changes') || !libraries.has(d.to as string)) return;
        const h = held.get(`${d.to as string}|${d.from as string}`);
        if (h === undefined) return;
        // A page an earlier job asked for, delivered late (a stalled connection): the library drops it.
        const sentUs = asked.get(`${d.to as string}>${d.from as string}#${d.reqId as number}`);
        if (sentUs !== undefined && sentUs < h.sinceUs) return;
        if (!Array.isArray(d.entries)) return ctx.fail('correctness', name, `record 'fact.provider.reply' lacks the field 'entries' (trace #${r.i}): the pages' entries are this check's evidence`);
        onPage(ctx, h, r.i, d, d.entries as [string, number, boolean][]);
      });
      const onPage = (c: TraceContext, h: Held, at: number, d: D, entries: [string, number, boolean][]): void => {
        const lib = d.to as string;
        const tracks = truth.tracksOf(devices.get(lib) ?? lib, d.from as string);
        let added = 0;
        for (const [id, rev, deleted] of entries) {
          if (deleted || (tracks.get(id)?.rev ?? -1) >= rev) continue;
          const revs = h.entries.get(id);
          if (revs === undefined) h.entries.set(id, [rev]);
          else revs.push(rev);
          h.count++;
          added++;
        }
        c.exercised(name);
        // The page's own share of the bound is what it added: its deletions and the entries already durable
        // are no work to hold.
        const bound = options.queueMax + options.maxConcurrent + added;
        if (h.count > bound) {
          c.fail('correctness', name, `${lib} holds ${h.count} entries of ${d.from as string}'s pages for job ${h.job} that no delivered Download and no durable track settled, above queueMax ${options.queueMax} + maxConcurrent ${options.maxConcurrent} + the ${added} entries the page just delivered added (trace #${at}): it reads ahead of its queue`);
        }
      };
    },
  };
}
