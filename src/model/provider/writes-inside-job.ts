/**
 * invariant:writes-inside-job — a library works for a provider only inside a job of that provider: every
 * durable track write of provider P on a library's device (`fact.library.track`) comes while a job of P is
 * durably running there (`fact.library.job`, from its running record to its end record), and every
 * `Download` the library sends P (`fact.provider.request`, judged at its `sentUs`, so one sent before the
 * end record and delivered after it is inside) is sent while one is.
 *
 * What it catches: a job marked failed or cancelled (or completed) while its workers still download and
 * commit items (the coordinator not awaiting them; items written behind the store's back), so the durable
 * record says the job is over while its work goes on, and the next job may start beside it. Jobs of
 * several libraries on one device are not told apart (the stock scenarios have one library).
 */
import type { TraceCheck } from '../check.ts';
import { ledgerCheck } from './job-ledger.ts';
import type { ProviderCheckOptions, D } from './check-options.ts';

/** Track writes and downloads of a provider happen only while a job of it is durably running. */
export function writesInsideJobCheck(options: Pick<ProviderCheckOptions, 'libraries'>): TraceCheck {
  const name = 'invariant:writes-inside-job';
  return ledgerCheck(name, options.libraries, (ctx, ledgers, libraries) => {
    ctx.trace.on('fact.library.track', (r) => {
      const d = r.data as D;
      ctx.exercised(name);
      if (ledgers.open.has(`${d.device as string}|${d.provider as string}`)) return;
      ctx.fail('correctness', name, `${d.device as string} durably wrote ${d.provider as string}'s ${d.id as string} at rev ${d.rev as number}${d.deleted === true ? ' (a tombstone)' : ''} while no job of ${d.provider as string} was durably running there (trace #${r.i}): work went on outside a job, after its end record`);
    });
    ctx.trace.on('fact.provider.request', (r) => {
      const d = r.data as D;
      if (d.op !== 'Download' || !libraries.has(d.from as string)) return;
      ctx.exercised(name);
      const sentUs = d.sentUs as number;
      if (ledgers.runningAt(ledgers.deviceOf(d.from as string), d.to as string, sentUs)) return;
      ctx.fail('correctness', name, `${d.from as string} sent a Download of ${d.fileId as string} to ${d.to as string} at ${(sentUs / 1000).toFixed(3)} ms, when no job of ${d.to as string} was durably running (trace #${r.i}): work went on outside a job, after its end record`);
    });
  });
}
