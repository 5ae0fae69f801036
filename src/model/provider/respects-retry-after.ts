/**
 * invariant:respects-retry-after — a library waits out a 429's retry-after before it asks again: once the
 * network delivered to library L an `Error` 429 from provider P with `retryAfterMs` R at time t, answering
 * L's request for a page token, a cursor or a file revision (`fact.provider.reply`, the request it answers
 * from `fact.provider.request`), no request of L to P for the same thing is sent (`sentUs`) in [t, t + R).
 *
 * Scope: the wait binds the job it was given to and the process that got it: the durable end of P's job
 * on L's device (`fact.library.job`) or the process going down ends it (a later job's first read of the
 * same cursor is no retry). Requests for other things go on meanwhile (other workers, other pages): a 429
 * answers one request; so may a download of a file revision the job was given by two entries (a listing
 * page served after the listing's snapshot, and the feed): the other work item is no retry. Evidence: the
 * wire facts only (the provider's retry-after as delivered), and the entries delivered for the job.
 */
import type { TraceCheck } from '../check.ts';
import { askedKey, ledgerCheck } from './job-ledger.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';

/** A request answered 429 is not sent again before its retry-after has elapsed. */
export function respectsRetryAfterCheck(options: Pick<ProviderCheckOptions, 'libraries'>): TraceCheck {
  const name = 'invariant:respects-retry-after';
  return ledgerCheck(name, options.libraries, (ctx, ledgers, libraries) => {
    /** `<library>><provider>` -> what it asked -> the 429's delivery (µs), retry-after (ms) and trace index. */
    const waits = new Map<string, Map<string, { fromUs: number; ms: number; i: number }>>();
    const forget = (library: string, provider?: string): void => {
      for (const k of [...waits.keys()]) if (k === `${library}>${provider}` || (provider === undefined && k.startsWith(`${library}>`))) waits.delete(k);
    };
    ctx.trace.on('node.crash', (r) => forget(r.node));
    ctx.trace.on('node.stop', (r) => forget(r.node));
    ledgers.onEnd((l) => {
      for (const lib of options.libraries) if (ledgers.deviceOf(lib) === l.device) forget(lib, l.provider);
    });
    ctx.trace.on('fact.provider.reply', (r) => {
      const d = r.data as D;
      if (d.op !== 'Error' || d.status !== 429 || !libraries.has(d.to as string)) return;
      const q = ledgers.asked(d.to as string, d.from as string, d.reqId as number);
      if (q === undefined) return;
      if (typeof d.retryAfterMs !== 'number') {
        if (d.retryAfterMs === undefined) ctx.fail('correctness', name, `record 'fact.provider.reply' lacks the field 'retryAfterMs' (trace #${r.i}): the delivered retry-after is this check's evidence`);
        return;
      }
      const k = `${d.to as string}>${d.from as string}`;
      let m = waits.get(k);
      if (m === undefined) waits.set(k, (m = new Map()));
      m.set(q.key, { fromUs: r.t, ms: d.retryAfterMs, i: r.i });
    });
    ctx.trace.on('fact.provider.request', (r) => {
      const d = r.data as D;
      if (!libraries.has(d.from as string)) return;
      const key = askedKey(d);
      const w = waits.get(`${d.from as string}>${d.to as string}`)?.get(key);
      const sentUs = d.sentUs as number;
      if (w === undefined || sentUs < w.fromUs) return;
      // A revision the job was given twice (a listing page served after its snapshot, and the feed): the
      // other work item may download it on its own; that is no retry of the request answered 429.
      if (key.startsWith('d:') && (ledgers.open.get(`${ledgers.deviceOf(d.from as string)}|${d.to as string}`)?.entries.get(key.slice(2)) ?? 0) > 1) return;
      ctx.exercised(name);
      if (sentUs >= w.fromUs + w.ms * 1000) return;
      ctx.fail('correctness', name, `${d.from as string} asked ${d.to as string} again for ${key} at ${(sentUs / 1000).toFixed(3)} ms, ${((sentUs - w.fromUs) / 1000).toFixed(3)} ms after a 429 with retry-after ${w.ms} ms was delivered (trace #${w.i}; the request at trace #${r.i})`);
    });
  });
}
