/**
 * invariant:downloads-once — a job downloads each file revision it was given once (job-ledger.ts): a
 * content delivered for a running job's `Download` of `<fileId>@<rev>` (`fact.provider.reply` Content,
 * attributed to the job by its request's `sentUs`) is allowed once per entry naming that revision in the
 * pages delivered for the job (`fact.provider.reply` entries; a full job after an escalation may be given
 * one file revision twice, by the feed and the listing). Beyond that, a download is allowed only while
 * fewer downloads of that revision are live than it was given entries: a download is live when it was
 * still in flight as this one was sent, or delivered and not followed by a failed kv operation of the
 * library before this one was sent (the simulator's records: `kv.fault`, an injected fault; `kv.abort`
 * other than by a crash, e.g. a full disk): a content that could not be written may be fetched again. A download of a revision no page delivered for the job is not work of that job.
 *
 * Nor does a job download a revision its library already held when the job began running: a durable
 * track of the file (`fact.library.track`, live or a tombstone) at that revision or a newer one, written
 * before the job's running record. Such an entry is skipped as held (a full listing names every file the
 * library holds: a job that downloads them anew re-fetches the whole library).
 *
 * What it catches: items queued twice (two downloads of one entry at once), a retry after a download
 * that succeeded, the workers of an ended job still downloading inside the next one, and downloads of
 * revisions an earlier job already made durable.
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
    /** `<device>|<provider>/<fileId>` -> its durable track writes: [when (µs), revision], in order. */
    const held = new Map<string, [number, number][]>();
    ctx.trace.on('fact.library.track', (r) => {
      const key = `${r.data.device as string}|${r.data.provider as string}/${r.data.id as string}`;
      let list = held.get(key);
      if (list === undefined) held.set(key, (list = []));
      list.push([r.t, r.data.rev as number]);
    });
    /** The revision of the last durable track write of the file before `us`, or -1. */
    const heldAt = (device: string, provider: string, fileId: string, us: number): number => {
      let rev = -1;
      for (const [t, v] of held.get(`${device}|${provider}/${fileId}`) ?? []) if (t < us) rev = v;
      return rev;
    };
    ledgers.onContent((l, c, r) => {
      const given = l.entries.get(c.key) ?? 0;
      const job = `job ${l.job} of ${l.provider} on ${l.device}`;
      ctx.exercised(name);
      if (given === 0) return ctx.fail('correctness', name, `${job} downloaded ${c.key}, which no page delivered for it named (trace #${r.i}): not work of this job`);
      const at = c.key.lastIndexOf('@');
      const had = heldAt(l.device, l.provider, c.key.slice(0, at), l.sinceUs);
      if (had >= Number(c.key.slice(at + 1))) {
        return ctx.fail('correctness', name, `${job} downloaded ${c.key} (trace #${r.i}), but ${l.device} durably held that file at rev ${had} before the job began: an item the library holds is skipped, not fetched again`);
      }
      if (c.before.length < given) return;
      // Downloads still live when this one was sent: in flight then, or delivered and not followed by a failed
      // write before it. Each entry allows one live download (two entries of one file may be fetched at once:
      // provider-swarm-long seed 13010, a listing entry and a feed entry, each retried after failed writes).
      const fs = faults.get(l.device) ?? [];
      let live = 0;
      for (const t of c.before) if (t > c.sentUs || !fs.some((f) => f >= t && f <= c.sentUs)) live++;
      if (live < given) return;
      const prev = c.before.at(-1)!;
      ctx.fail('correctness', name, `${job} downloaded ${c.key} ${c.before.length + 1} times, given it by ${given} page entr${given === 1 ? 'y' : 'ies'}: the request delivered at trace #${r.i} was sent at ${(c.sentUs / 1000).toFixed(3)} ms, ${c.sentUs < prev ? 'while the previous download was in flight' : `after the previous content arrived (${(prev / 1000).toFixed(3)} ms)`} and no disk fault came between (the first attempt had not failed)`);
    });
  });
}
