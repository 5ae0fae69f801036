/**
 * invariant:fails-after-retries — a sync job fails only for a cause the library cannot retry away: a
 * transient reply (`Error` 429 or 5xx) is retried with backoff (docs/provider-sync.md, "Errors": up to
 * `retriesMax` times per request, a rate limit longer), so a job whose provider only answered some requests
 * with transient errors, each followed by a success, must not fail. A library that gives up on the first
 * 503 of a download (a transient error taken as permanent) ends the job `failed`, shows it failed, and the
 * next job (its retry) repairs the library: every other check passes it.
 *
 * Evidence (never the library's word about why it failed): the job's durable records (`fact.library.job`:
 * when it ran, how it ended, and whether its process went down meanwhile: job-ledger.ts), what the
 * network delivered between the library and the provider (`fact.provider.request` / `fact.provider.reply`,
 * a request's subject by `askedKey`), and the simulator's records of everything else a job may fail on:
 * a kv fault on the library's node (`kv.fault`: a store error), and network trouble (`net.refused`,
 * `net.timeout`, `net.close`, `net.reset`, `net.drop` on the library's node or the simulator's, and the
 * simulator's `net.resetConnections`, `net.partition`, `net.isolate`, `net.clog`, `net.stall`).
 *
 * Fails when a job durably ends `failed` and, while it ran: its process did not go down; no request subject
 * (a page token, a cursor, a file revision) was asked `retriesMax + 1` times or more since its last
 * successful reply; no reply was a non-transient error other than a Download's 404 (a superseded file is
 * skipped); the library's node had no kv fault; and no network trouble touched the library.
 */
import type { TraceRecord } from '../../sim/trace.ts';
import type { D } from './check-options.ts';
import { askedKey, ledgerCheck, type Ledger } from './job-ledger.ts';

/** The invariant's name. */
export const FAILS_AFTER_RETRIES = 'invariant:fails-after-retries';

/** Network records that excuse a failure when they concern the library (a connection it lost or could not open). */
const NET_TROUBLE = ['net.refused', 'net.timeout', 'net.close', 'net.reset', 'net.drop'];
/** Simulator-wide network faults that excuse any failure meanwhile. */
const NET_FAULTS = ['net.resetConnections', 'net.partition', 'net.isolate', 'net.clog', 'net.stall'];

/** What the check needs of the scenario. */
export interface FailsAfterRetriesOptions {
  libraries: readonly string[];
  /** The library's `retriesMax` (its configured or default value). */
  retriesMax: number;
}

interface JobWatch {
  /** Request subject -> requests delivered since its last successful reply. */
  streak: Map<string, number>;
  /** The longest such streak. */
  longest: number;
  /** Why a failure would be excused (null: none seen yet). */
  excuse: string | null;
}

/** A job fails only after a request was retried `retriesMax` times, or for a cause retries cannot fix. */
export function failsAfterRetriesCheck(options: FailsAfterRetriesOptions): ReturnType<typeof ledgerCheck> {
  const name = FAILS_AFTER_RETRIES;
  return ledgerCheck(name, options.libraries, (ctx, ledgers, libraries) => {
    /** `<device>|<provider>` -> the running job's watch (the ledger's `open` names the job). */
    const watches = new Map<string, { job: number; w: JobWatch }>();
    const watchOf = (device: string, provider: string): JobWatch | null => {
      const l = ledgers.open.get(`${device}|${provider}`);
      if (l === undefined) return null;
      const key = `${device}|${provider}`;
      const cur = watches.get(key);
      if (cur !== undefined && cur.job === l.job) return cur.w;
      const w: JobWatch = { streak: new Map(), longest: 0, excuse: null };
      watches.set(key, { job: l.job, w });
      return w;
    };
    /** Excuses every running job of `device` (or of every device when null). */
    const excuseAll = (device: string | null, why: string): void => {
      for (const l of ledgers.open.values()) {
        if (device !== null && l.device !== device) continue;
        const w = watchOf(l.device, l.provider);
        if (w !== null) w.excuse ??= why;
      }
    };
    const libDevice = (node: string): string | null => (libraries.has(node) ? ledgers.deviceOf(node) : null);
    ctx.trace.on('kv.fault', (r) => {
      const device = libDevice(r.node);
      if (device !== null) excuseAll(device, `a kv fault on ${r.node} (trace #${r.i})`);
    });
    for (const kind of NET_TROUBLE) {
      ctx.trace.on(kind, (r: TraceRecord) => {
        if (r.node === 'sim') excuseAll(null, `${kind} (trace #${r.i})`);
        const device = libDevice(r.node);
        if (device !== null) excuseAll(device, `${kind} at ${r.node} (trace #${r.i})`);
      });
    }
    for (const kind of NET_FAULTS) ctx.trace.on(kind, (r: TraceRecord) => excuseAll(null, `${kind} (trace #${r.i})`));
    ctx.trace.on('fact.provider.request', (r) => {
      const d = r.data as D;
      if (!libraries.has(d.from as string)) return;
      const w = watchOf(ledgers.deviceOf(d.from as string), d.to as string);
      if (w === null) return;
      const key = askedKey(d);
      const n = (w.streak.get(key) ?? 0) + 1;
      w.streak.set(key, n);
      if (n > w.longest) w.longest = n;
    });
    ctx.trace.on('fact.provider.reply', (r) => {
      const d = r.data as D;
      if (!libraries.has(d.to as string)) return;
      const q = ledgers.asked(d.to as string, d.from as string, d.reqId as number);
      const w = watchOf(ledgers.deviceOf(d.to as string), d.from as string);
      if (q === undefined || w === null) return;
      const status = typeof d.status === 'number' ? d.status : 200;
      const transient = d.op === 'Error' && (status === 429 || status >= 500);
      if (!transient) w.streak.set(q.key, 0);
      if (d.op === 'Error' && !transient && !(q.op === 'Download' && status === 404)) w.excuse ??= `a ${status} answering ${q.op} (trace #${r.i})`;
    });
    ledgers.onEnd((l: Ledger, state: string, rec: TraceRecord) => {
      const key = `${l.device}|${l.provider}`;
      const entry = watches.get(key);
      watches.delete(key);
      if (state !== 'failed') return;
      const w = entry !== undefined && entry.job === l.job ? entry.w : { streak: new Map(), longest: 0, excuse: null };
      ctx.exercised(name);
      if (l.interrupted || w.excuse !== null || w.longest >= options.retriesMax + 1) return;
      ctx.fail(
        'correctness',
        name,
        `job ${l.job} of ${l.provider} on ${l.device} ended failed (trace #${rec.i}) although no request of it was asked ${options.retriesMax + 1} times without a successful reply ` +
          `(at most ${w.longest}), no reply was a permanent error, and neither a store fault nor network trouble touched the library while it ran: a transient error was taken as permanent (the wire facts, fact.library.job)`,
        { job: l.job, provider: l.provider, device: l.device, longestStreak: w.longest, retriesMax: options.retriesMax, traceIndex: rec.i },
      );
    });
  });
}
