import { describe, expect, it } from 'vitest';
import { PROVIDER_VARIANTS } from '../../src/impl/provider/variants.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Check, Scenario } from '../../src/scenario/types.ts';
import errors from '../../scenarios/provider/provider-errors.ts';
import incremental from '../../scenarios/provider/incremental.ts';
import progress from '../../scenarios/provider/progress.ts';

const byName = new Map<string, Scenario>([...incremental, ...errors, ...progress].map((s) => [s.name, s]));

/** Each weakened variant, the scenario that must catch it, and the failure it must produce. */
const CASES: { variant: string; scenario: string; kind: string; check: string; says: RegExp }[] = [
  { variant: 'provider-cursor-early', scenario: 'provider-incremental', kind: 'correctness', check: 'model:sync-job', says: /persisted before the stream was consumed/ },
  { variant: 'provider-no-escalation', scenario: 'provider-cursor-expired', kind: 'correctness', check: 'model:sync-job', says: /must escalate to a full listing/ },
  { variant: 'provider-ignore-deletions', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:completed-work-durable', says: /was deleted at rev \d+ but the library holds it live/ },
  { variant: 'provider-complete-early', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:completed-work-durable', says: /completed on L with cursor/ },
  // The queue's own records show the 17th item first; the bound on evidence follows (SECOND).
  { variant: 'provider-unbounded-queue', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:queue-records', says: /holds 17 items by its own push and take records, above queueMax 16/ },
  // Leaked permits stall processing: the job never ends (a hot state at the deadline).
  { variant: 'provider-permit-leak', scenario: 'provider-errors', kind: 'liveness', check: 'liveness', says: /still in hot state 'running'/ },
  // The second sync request of the final pair comes while the first runs: its wake-up is lost.
  { variant: 'provider-lost-wakeup', scenario: 'provider-incremental', kind: 'liveness', check: 'liveness', says: /still in hot state 'pending'/ },
  { variant: 'provider-silent-lag', scenario: 'provider-two-providers', kind: 'correctness', check: 'invariant:progress-view', says: /is durably completed, but L's progress view shows it running/ },
];

/** Variants caught twice, each time on its own evidence: with the first catcher removed, the second still fails the run. */
const SECOND: { variant: string; scenario: string; without: string; check: string; says?: RegExp }[] = [
  // The skipped changes: the next completed job does not hold them.
  { variant: 'provider-no-escalation', scenario: 'provider-cursor-expired', without: 'model:sync-job', check: 'invariant:completed-work-durable' },
  // Kept deleted tracks, at the end.
  { variant: 'provider-ignore-deletions', scenario: 'provider-incremental', without: 'invariant:completed-work-durable', check: 'invariant:library-matches-provider' },
  // Without the queue's own records: the pages delivered ahead of the downloads and durable tracks.
  { variant: 'provider-unbounded-queue', scenario: 'provider-incremental', without: 'invariant:queue-records', check: 'invariant:queue-bound', says: /L holds \d+ entries of P\d's pages for job \d+ that no delivered Download and no durable track settled, above queueMax 16 \+ maxConcurrent 3 \+ the 5 entries/ },
  { variant: 'provider-unbounded-queue', scenario: 'provider-two-providers', without: 'invariant:queue-records', check: 'invariant:queue-bound', says: /above queueMax 32 \+ maxConcurrent 6 \+ the 25 entries/ },
  // Completed before its items were processed: its durable item count is below the entries delivered for it.
  { variant: 'provider-complete-early', scenario: 'provider-incremental', without: 'invariant:completed-work-durable', check: 'invariant:job-progress', says: /^job \d+ of P\d on L completed with (\d+) items, but the pages delivered for it hold (?!\1 )\d+ entries/ },
];

/**
 * A check switched off: it reads the provider.queue.* records and decides nothing (a check removed outright
 * would leave its kinds unread, and the closed vocabulary would fail the run instead).
 */
function off(name: string): Check {
  return {
    name: `${name} (off)`,
    onTrace: true,
    covers: [],
    setup(ctx) {
      for (const kind of ['provider.queue.push', 'provider.queue.take']) ctx.trace.on(kind, () => undefined);
    },
  };
}

describe('weakened provider variants are caught', () => {
  it('every declared variant has a case', () => {
    expect(CASES.map((c) => c.variant).sort()).toEqual(PROVIDER_VARIANTS.map((v) => v.name).sort());
  });

  for (const c of CASES) {
    it(`${c.variant} fails ${c.scenario} with ${c.check} (seed 1)`, async () => {
      const s = byName.get(c.scenario)!;
      const bad = await runScenario(s, 1, { variant: c.variant });
      expect(bad.verdict).toBe(c.kind);
      expect(bad.failure?.check).toBe(c.check);
      expect(bad.failure?.message).toMatch(c.says);
      expect(bad.replay).toContain(`--variant ${c.variant}`);
    });
  }

  for (const c of SECOND) {
    it(`${c.variant} fails ${c.scenario} with ${c.check} when ${c.without} is off`, async () => {
      const s = byName.get(c.scenario)!;
      const without: Scenario = c.without.startsWith('model:') ? { ...s, models: [] } : { ...s, checks: s.checks!.map((k) => (k.name === c.without ? off(k.name) : k)) };
      const bad = await runScenario(without, 1, { variant: c.variant });
      expect(bad.verdict).toBe('correctness');
      expect(bad.failure?.check).toBe(c.check);
      if (c.says !== undefined) expect(bad.failure?.message).toMatch(c.says);
    });
  }
});

// Self-resume (provider-self-resume: no sync is requested after the last jobs are lost to a crash and a
// partition). Pushed before the suite above collects its cases, so "every declared variant has a case" sees them.
for (const s of (await import('../../scenarios/provider/resume.ts')).default) byName.set(s.name, s);
CASES.push(
  // The restart leaves both providers' interrupted jobs failed and requests nothing.
  { variant: 'provider-no-resume-at-start', scenario: 'provider-self-resume', kind: 'liveness', check: 'liveness', says: /the last job of P\d \(\d+\) is failed/ },
  // P2's jobs fail while it is cut off, and none is requested again.
  { variant: 'provider-no-job-retry', scenario: 'provider-self-resume', kind: 'liveness', check: 'liveness', says: /the last job of P2 \(\d+\) is failed/ },
  // A pending job (requested while the last ran) found at the restart is never run: nobody asks again.
  { variant: 'provider-pending-not-resumed', scenario: 'provider-resume-pending', kind: 'liveness', check: 'liveness', says: /the last job of P\d \(\d+\) is pending/ },
);

// Duplicates (provider-incremental uploads some songs twice): the conflict phase skipped, a job completes
// with a copy unmarked.
CASES.push({
  variant: 'provider-no-dedup', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:duplicates-resolved',
  says: /^job \d+ of P\d completed on L, but its durable duplicate marks are not resolved: f\d+ is unmarked, not dupOf f\d+ \(the live tracks with hash [0-9a-f]{8} are f\d+, f\d+/,
});

// The phase regroups only what its own job wrote: marks owed by a job a crash stopped are never redone.
for (const s of (await import('../../scenarios/provider/faults.ts')).default) byName.set(s.name, s);
CASES.push({
  variant: 'provider-dedup-volatile', scenario: 'provider-crash-incremental', kind: 'correctness', check: 'invariant:duplicates-resolved',
  says: /^job \d+ of P\d completed on L, but its durable duplicate marks are not resolved: f\d+ is (marked dupOf f\d+|unmarked), not /,
});

// A deletion leaves the song's content on the device: the tracks match the provider, only the durable
// blob beside the tombstone shows it (hunt, 2026-12).
CASES.push({
  variant: 'provider-tombstone-keeps-content', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:track-revisions',
  says: /is a tombstone at rev \d+, but its content \(rev \d+\) is still stored beside it/,
});

// Skipped as held only below a newer revision: full listings fetch again what earlier jobs made durable
// (the library stays right; the downloads show it). provider-cursor-expired escalates to full listings.
CASES.push({
  variant: 'provider-redownload-held', scenario: 'provider-cursor-expired', kind: 'correctness', check: 'invariant:downloads-once',
  says: /downloaded f\d+@\d+ \(trace #\d+\), but L durably held that file at rev \d+ before the job began/,
});

// A cancellation stays until the user asks again: retrying a cancelled job undoes it.
for (const s of (await import('../../scenarios/provider/cancel-stays.ts')).default) byName.set(s.name, s);
CASES.push({
  variant: 'provider-retry-cancelled', scenario: 'provider-cancel-stays', kind: 'correctness', check: 'invariant:cancel-is-final',
  says: /^job \d+ of P1 on L was created .* after the user cancelled the last one .*: the cancellation was undone/,
});

// The end shown before it is durable: the view's record precedes the job's durable end.
CASES.push({
  variant: 'provider-status-before-durable', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:progress-view',
  says: /^L's progress view shows job \d+ (completed|failed|cancelled) \(trace #\d+\), but its durable record is running: a status shown before it is durable/,
});

// Closing bug classes the 2026-12-07 hunt found escaping (moves, titles, a reply timer): each passed
// every check before; each is now judged on the simulator's evidence.
CASES.push(
  // A move of held content downloaded again: the provider's history shows the revision is a move, the
  // library's durable track held its content when the change page came, and a Download of it was delivered.
  {
    variant: 'provider-move-downloads', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:moves-local',
    says: /^L downloaded P\d's f\d+@\d+ \(request delivered at trace #\d+\), a move of content it durably held \(rev \d+, the same hash\)/,
  },
  // The title read from the wrong line: the durable track's title against the provider's stored content.
  {
    variant: 'provider-title-last-line', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:track-titles',
    says: /^P\d\/f\d+ on L is live at rev \d+ titled "by \d+" \(trace #\d+\), but the provider's content at that revision is titled "track P\d-\d+"/,
  },
  // A reply leaves its timer running: the connection is closed 2 s after an answered request.
  {
    variant: 'provider-timer-not-cleared', scenario: 'provider-incremental', kind: 'correctness', check: 'invariant:closes-when-overdue',
    says: /^L closed its connection c\d+ to P\d at \d+\.\d+ ms \(trace #\d+\) with \d+ request\(s\) in flight, though no request on it had waited requestTimeoutMs \(2000 ms\) unanswered/,
  },
);

// Fifth hunt (2026-12-07, evening): a request joining the running job (its call resolves with a job that
// read the feed before it), and an off-by-one at the duplicate marks' commit batch of 64, which no scenario
// reached before provider-many-duplicates.
for (const s of (await import('../../scenarios/provider/many-duplicates.ts')).default) byName.set(s.name, s);
CASES.push(
  {
    variant: 'provider-request-joins-running', scenario: 'provider-partition', kind: 'correctness', check: 'invariant:request-covered',
    says: /^a sync of P\d requested at \d+\.\d ms, when the provider's durable head was \d+, resolved with job \d+ on L, which completed at cursor \d+:\d+ \(trace #\d+\): the request was answered by a job that did not read the changes made before it/,
  },
  {
    variant: 'provider-marks-batch-short', scenario: 'provider-many-duplicates', kind: 'correctness', check: 'invariant:duplicates-resolved',
    says: /^job \d+ of P\d completed on L, but its durable duplicate marks are not resolved: f\d+ is unmarked, not dupOf f\d+/,
  },
);

// Seventh hunt: the reply timer armed for requestTimeoutMs seconds; a partition leaves requests unanswered
// on open connections for longer than the timeout (500 ms), and their replies come late.
CASES.push({
  variant: 'provider-timeout-seconds', scenario: 'provider-partition', kind: 'correctness', check: 'invariant:gives-up-when-overdue',
  says: /^L received the reply to request \d+ on connection c\d+ to P\d \d+\.\d+ ms after sending it \(trace #\d+\), past requestTimeoutMs \(500 ms\)/,
});

// Sixth hunt (2026-12-07, night): a transient reply to a download taken as permanent fails the job at once;
// the job's retry repairs the library, so nothing but the job's failure without a cause shows it.
CASES.push({
  variant: 'provider-transient-download-final', scenario: 'provider-errors', kind: 'correctness', check: 'invariant:fails-after-retries',
  says: /^job \d+ of P\d on L ended failed \(trace #\d+\) although no request of it was asked 9 times without a successful reply \(at most \d+\)/,
});
