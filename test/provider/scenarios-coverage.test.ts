/**
 * The provider scenarios reach the paths their descriptions claim, told from the simulator's evidence
 * (the durable job records, the network's deliveries, the crashes), not from the library's own account:
 * crashes inside incremental jobs (mid-page, mid-item, between the cursor write and completion), a 410 in
 * the middle of a feed stream after items were queued, and a library that catches up with no sync
 * requested after its last jobs were lost. The probes the library emits on those paths are counted too,
 * so the coverage report's "never reached" list stays honest.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import faults from '../../scenarios/provider/faults.ts';
import midStream from '../../scenarios/provider/mid-stream.ts';
import resume from '../../scenarios/provider/resume.ts';

const byName = new Map<string, Scenario>([...faults, ...midStream, ...resume].map((s) => [s.name, s]));
const SEEDS = [0, 1, 2, 3, 4];

interface Rec {
  t: number;
  node: string;
  kind: string;
  data: Record<string, unknown>;
}

/** What a library crash interrupted in one of its incremental jobs (a crash may do several at once). */
export type CrashPoint = 'mid-page' | 'mid-item' | 'after-cursor';

interface JobFact {
  job: number;
  provider: string;
  type: string;
  state: string;
  from: string | null;
  cursor: string | null;
}

/**
 * What each crash of `library` interrupted in the incremental jobs it found durably running, from the
 * trace: the durable job and track records (fact.library.*), the requests and replies the network
 * delivered (fact.provider.*) and the crash records. 'after-cursor': the job's cursor is durable;
 * 'mid-page': its feed stream is not consumed (no change page with hasMore false delivered since it
 * started); 'mid-item': a download of it was delivered whose track is not durable yet.
 */
export function crashPoints(records: readonly Rec[], library = 'L'): CrashPoint[] {
  const jobs = new Map<number, JobFact>();
  /** Provider -> its feed stream was read to the end since its running job started. */
  const consumed = new Map<string, boolean>();
  /** `<provider> <reqId>` -> the file of a Download request delivered to the provider. */
  const downloads = new Map<string, string>();
  /** Provider -> files whose content was delivered to the library and whose track is not durable since. */
  const inFlight = new Map<string, Set<string>>();
  const out: CrashPoint[] = [];
  for (const r of records) {
    const d = r.data;
    if (r.kind === 'fact.library.job') {
      const j = d as unknown as JobFact;
      if (j.state === 'running' && jobs.get(j.job)?.state !== 'running') {
        consumed.set(j.provider, false);
        inFlight.set(j.provider, new Set());
      }
      jobs.set(j.job, j);
    } else if (r.kind === 'fact.library.track') {
      inFlight.get(String(d.provider))?.delete(String(d.id));
    } else if (r.kind === 'fact.provider.request' && d.from === library && d.op === 'Download') {
      downloads.set(`${String(d.to)} ${String(d.reqId)}`, String(d.fileId));
    } else if (r.kind === 'fact.provider.reply' && d.to === library) {
      const p = String(d.from);
      if (d.op === 'Changes' && d.hasMore === false) consumed.set(p, true);
      const file = downloads.get(`${p} ${String(d.reqId)}`);
      if (d.op === 'Content' && file !== undefined) inFlight.get(p)?.add(file);
    } else if (r.kind === 'node.crash' && r.node === library) {
      for (const j of jobs.values()) {
        if (j.state !== 'running' || j.type !== 'incremental') continue;
        if (j.cursor !== null) out.push('after-cursor');
        if (consumed.get(j.provider) !== true) out.push('mid-page');
        if ((inFlight.get(j.provider)?.size ?? 0) > 0) out.push('mid-item');
      }
      // The recovery rewrites them failed; until then they are nobody's running job.
      for (const j of jobs.values()) if (j.state === 'running') jobs.set(j.job, { ...j, state: 'interrupted' });
    }
  }
  return out;
}

async function run(name: string, seed: number): Promise<{ verdict: string; replay: string; probes: Record<string, number>; records: Rec[] }> {
  const records: Rec[] = [];
  const r = await runScenario(byName.get(name)!, seed, {
    traceSink: (line) => {
      if (line.includes('"fact.library.') || line.includes('"fact.provider.reply"') || line.includes('"node.crash"') || line.includes('"fact.provider.request"')) records.push(JSON.parse(line) as Rec);
    },
  });
  return { verdict: r.failure?.message ?? r.verdict, replay: r.replay, probes: r.probes, records };
}

describe('provider scenarios reach what they claim', () => {
  it('provider-crash-incremental crashes incremental jobs mid-page, mid-item and between the cursor write and completion', async () => {
    const seen = new Map<CrashPoint, number>();
    let probed = 0;
    let probedCursor = 0;
    for (const seed of SEEDS) {
      const r = await run('provider-crash-incremental', seed);
      expect(r.verdict, r.replay).toBe('pass');
      for (const p of crashPoints(r.records)) seen.set(p, (seen.get(p) ?? 0) + 1);
      probed += r.probes['provider.job-interrupted-incremental'] ?? 0;
      probedCursor += r.probes['provider.job-interrupted-with-cursor'] ?? 0;
    }
    expect(Object.fromEntries(seen)).toEqual({ 'mid-page': expect.any(Number), 'mid-item': expect.any(Number), 'after-cursor': expect.any(Number) });
    for (const n of seen.values()) expect(n).toBeGreaterThan(0);
    // The library saw them too: incremental jobs found interrupted, some with their cursor durable.
    expect(probed).toBeGreaterThan(0);
    expect(probedCursor).toBeGreaterThan(0);
  }, 120_000);

  it('provider-expired-mid-stream: a 410 answers a feed page of an incremental job after earlier pages delivered work, and the job escalates', async () => {
    let midStream = 0;
    let probed = 0;
    for (const seed of SEEDS) {
      const r = await run('provider-expired-mid-stream', seed);
      expect(r.verdict, r.replay).toBe('pass');
      midStream += expiredMidStream(r.records).length;
      probed += r.probes['provider.escalated-mid-stream'] ?? 0;
    }
    expect(midStream).toBeGreaterThanOrEqual(SEEDS.length * 5);
    expect(probed).toBe(midStream);
  }, 120_000);

  it('provider-self-resume: after the last user request, the library requests its syncs itself, through a crash and failed jobs', async () => {
    for (const seed of SEEDS) {
      const r = await run('provider-self-resume', seed);
      expect(r.verdict, r.replay).toBe('pass');
      const late = r.records.filter((x) => x.kind === 'fact.library.job' && x.t > 2_700_000).map((x) => x.data as unknown as JobFact);
      // Jobs created after the crash that followed the last request (by the restart and by the retry timer).
      for (const p of ['P1', 'P2']) expect(late.some((j) => j.provider === p && j.state === 'pending'), `seed ${seed} ${p}`).toBe(true);
      // P2's jobs failed during its partition; the run passing means one requested again completed.
      expect(late.some((j) => j.provider === 'P2' && j.state === 'failed')).toBe(true);
      expect(r.probes['provider.job-interrupted'] ?? 0).toBeGreaterThanOrEqual(2);
    }
  }, 120_000);
});

/**
 * Each delivered 410 that answers a change page of an incremental job (durably running) after earlier
 * pages of that job delivered added, modified or moved entries, and after which the job is durably
 * escalated to `full`: the job ids, from the facts.
 */
export function expiredMidStream(records: readonly Rec[], library = 'L'): number[] {
  const running = new Map<string, JobFact>();
  /** Provider -> live entries the running job's delivered change pages carried. */
  const work = new Map<string, number>();
  /** Jobs answered 410 mid-stream, waiting for their durable escalation. */
  const expired = new Set<number>();
  const out: number[] = [];
  for (const r of records) {
    if (r.kind === 'fact.library.job') {
      const j = r.data as unknown as JobFact;
      if (j.state === 'running' && running.get(j.provider)?.job !== j.job) work.set(j.provider, 0);
      if (j.state === 'running') running.set(j.provider, j);
      else if (running.get(j.provider)?.job === j.job) running.delete(j.provider);
      if (expired.has(j.job) && j.type === 'full') {
        expired.delete(j.job);
        out.push(j.job);
      }
    } else if (r.kind === 'fact.provider.reply' && r.data.to === library) {
      const p = String(r.data.from);
      const job = running.get(p);
      if (job?.type !== 'incremental') continue;
      if (r.data.op === 'Changes') work.set(p, (work.get(p) ?? 0) + (r.data.entries as [string, number, boolean][]).filter((e) => !e[2]).length);
      else if (r.data.op === 'Error' && r.data.status === 410 && r.data.askedCursor !== job.from && (work.get(p) ?? 0) > 0) expired.add(job.job);
    } else if (r.kind === 'node.crash' && r.node === library) running.clear();
  }
  return out;
}
