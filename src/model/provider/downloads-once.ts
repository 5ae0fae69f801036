/**
 * invariant:downloads-once — a job downloads each file revision it was given once (job-ledger.ts): a
 * content delivered for a running job's `Download` of `<fileId>@<rev>` (`fact.provider.reply` Content,
 * attributed to the job by its request's `sentUs`) is allowed once per entry naming that revision in the
 * pages delivered for the job (`fact.provider.reply` entries; a full job after an escalation may be given
 * one file revision twice, by the feed and the listing). Beyond that, a download is allowed only after
 * the previous content of that revision could not be written: the request was sent after a failed kv
 * operation of the library (the simulator's records: `kv.fault`, an injected fault; `kv.abort` other than
 * by a crash, e.g. a full disk) that followed that content's delivery. A download of a revision no page delivered for the job is not work of that job.
 *
 * What it catches: items queued twice (two downloads of one entry at once), a retry after a download
 * that succeeded, and the workers of an ended job still downloading inside the next one.
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { ledgerCheck } from './job-ledger.ts';
import type { ProviderCheckOptions } from './check-options.ts';

/** Each file revision delivered for a job is downloaded once per entry, unless writing it failed. */
export function downloadsOnceCheck(options: Pick<ProviderCheckOptions, 'libraries'>): TraceCheck {
  const name = 'invariant:downloads-once';
  return ledgerCheck(name, options.libraries, (ctx, ledgers, libraries) => {
    /** Device -> when its library's kv operations failed (µs), in order. */
    const faults = new Map<string, number[]>();
    const failed = (r: TraceRecord): void => {
      if (!libraries.has(r.node) || r.data.reason === 'crash') return;
      const device = ledgers.deviceOf(r.node);
      let list = faults.get(device);
      if (list === undefined) faults.set(device, (list = []));
      list.push(r.t);
    };
    ctx.trace.on('kv.fault', failed);
    ctx.trace.on('kv.abort', failed);
    ledgers.onContent((l, c, r) => {
      const given = l.entries.get(c.key) ?? 0;
      const job = `job ${l.job} of ${l.provider} on ${l.device}`;
      ctx.exercised(name);
      if (given === 0) return ctx.fail('correctness', name, `${job} downloaded ${c.key}, which no page delivered for it named (trace #${r.i}): not work of this job`);
      if (c.before.length < given) return;
      const prev = c.before.at(-1)!;
      if ((faults.get(l.device) ?? []).some((t) => t >= prev && t <= c.sentUs)) return;
      ctx.fail('correctness', name, `${job} downloaded ${c.key} ${c.before.length + 1} times, given it by ${given} page entr${given === 1 ? 'y' : 'ies'}: the request delivered at trace #${r.i} was sent at ${(c.sentUs / 1000).toFixed(3)} ms, ${c.sentUs < prev ? 'while the previous download was in flight' : `after the previous content arrived (${(prev / 1000).toFixed(3)} ms)`} and no disk fault came between (the first attempt had not failed)`);
    });
  });
}
