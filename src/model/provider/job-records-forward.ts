/**
 * invariant:job-records-forward — a library's durable job records only move forward. Evidence: the
 * library's durable job records (`fact.library.job`, decoded from its kv commits), per device:
 *
 * - a job id is new only once: a new job's id is above every job id the device recorded before (the
 *   latest job of a provider is the one with the highest id: liveness and the restart rule read it so),
 *   and its first record is `pending`;
 * - its state goes pending -> running -> completed | failed | cancelled, never back, and an ended job is
 *   final: no record of it is written again;
 * - its `provider` and `requested` never change; its `type` changes only as it runs: set when it starts
 *   (pending -> running) and escalated from incremental to full while running.
 *
 * A library that reuses job ids (a counter not kept durably) overwrites old records: a `failed` job
 * becomes `pending` again, which the sync-job model, one instance per provider and blind to the old
 * record, would take for a new job. Which moves are legal within the lifecycle (from which cursor a job
 * starts, when it may complete) is the model's (docs/guides/sync-job.md).
 */
import type { TraceCheck } from '../check.ts';
import type { D } from './check-options.ts';

const RANK: Readonly<Record<string, number>> = { pending: 0, running: 1, completed: 2, failed: 2, cancelled: 2 };

/** The durable record of a job, as last written. */
interface Rec {
  state: string;
  provider: string;
  requested: string;
  type: string;
}

/** Why the record `next` of job `job` may not follow `prev` (undefined: the job is new), or null. */
export function jobRecordStep(prev: Rec | undefined, next: Rec, job: number, highest: number | undefined): string | null {
  if (RANK[next.state] === undefined) return `job ${job} is in an unknown state '${next.state}'`;
  if (prev === undefined) {
    if (highest !== undefined && job <= highest) return `a new job ${job} is not above job ${highest} already recorded: job ids must increase`;
    return next.state === 'pending' ? null : `job ${job} first appears ${next.state}, not pending`;
  }
  if (RANK[prev.state] === 2) return `job ${job} ended ${prev.state} and was written again as ${next.state} (${next.provider}, requested ${next.requested}): an ended job is final, and a job id is never reused`;
  if (RANK[next.state]! < RANK[prev.state]!) return `job ${job} went back from ${prev.state} to ${next.state}`;
  if (next.provider !== prev.provider || next.requested !== prev.requested) return `job ${job} changed from ${prev.provider} requested ${prev.requested} to ${next.provider} requested ${next.requested}`;
  if (next.type === prev.type) return null;
  const starts = prev.state === 'pending' && next.state === 'running';
  const escalates = prev.state === 'running' && next.state === 'running' && prev.type === 'incremental' && next.type === 'full';
  return starts || escalates ? null : `job ${job} changed its type from ${prev.type} to ${next.type} while ${prev.state} -> ${next.state} (only when it starts, or from incremental to full while it runs)`;
}

/** Durable job records move forward only; job ids are never reused. */
export function jobRecordsForwardCheck(): TraceCheck {
  const name = 'invariant:job-records-forward';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      /** Device -> job id -> its last durable record. */
      const jobs = new Map<string, Map<number, Rec>>();
      const highest = new Map<string, number>();
      ctx.trace.on('fact.library.job', (r) => {
        const d = r.data as D;
        const device = d.device as string;
        const job = d.job as number;
        let recs = jobs.get(device);
        if (recs === undefined) jobs.set(device, (recs = new Map()));
        const next: Rec = { state: d.state as string, provider: d.provider as string, requested: d.requested as string, type: d.type as string };
        ctx.exercised(name);
        const why = jobRecordStep(recs.get(job), next, job, highest.get(device));
        if (why !== null) return ctx.fail('correctness', name, `on ${device}: ${why} (trace #${r.i})`);
        recs.set(job, next);
        highest.set(device, Math.max(highest.get(device) ?? job, job));
      });
    },
  };
}
