/**
 * The checks that judge a job's work on the evidence (src/model/provider/job-ledger.ts and its users):
 * invariant:writes-inside-job, invariant:job-progress, invariant:downloads-once and
 * invariant:respects-retry-after. First on hand-made facts (what each allows and refuses), then on runs of
 * the stock scenarios with a flawed library plugged in (test/provider/flawed-libraries.ts), each caught, and
 * the built-in library passing the same scenarios.
 */
import { describe, expect, it } from 'vitest';
import { downloadsOnceCheck, jobProgressCheck, respectsRetryAfterCheck, writesInsideJobCheck } from '../../src/model/provider/index.ts';
import type { TraceCheck } from '../../src/model/check.ts';
import { stockScenarios } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { checkHarness, type CheckHarness } from '../check-harness.ts';
import { plugged } from '../scenario/seam-testing.ts';
import { bytesReceivedLibrary, noRetryAfterLibrary, nonJoiningLibrary, stalePageBufferLibrary, writeBehindLibrary } from './flawed-libraries.ts';

/** A check on a hand-made trace of library L (on device L) syncing from provider P1; `at(ms)` sets the clock. */
function facts(check: TraceCheck): CheckHarness & { at(ms: number): void; job(job: number, state: string, extra?: Record<string, unknown>): void; ask(reqId: number, op: string, sentMs: number, what?: Record<string, unknown>): void; reply(reqId: number, op: string, what?: Record<string, unknown>): void } {
  let now = 0;
  const h = checkHarness(check, { now: () => now });
  h.emit('L', 'node.start', { device: 'L' });
  return {
    ...h,
    at: (ms) => void (now = ms * 1000),
    job: (job, state, extra = {}) => void h.emit('sim', 'fact.library.job', { device: 'L', job, provider: 'P1', requested: 'incremental', type: 'full', state, from: null, cursor: null, items: 0, bytes: 0, ...extra }),
    ask: (reqId, op, sentMs, what = {}) => void h.emit('sim', 'fact.provider.request', { from: 'L', to: 'P1', sentUs: sentMs * 1000, reqId, op, cursor: null, pageToken: null, fileId: null, rev: null, ...what }),
    reply: (reqId, op, what = {}) => void h.emit('sim', 'fact.provider.reply', { from: 'P1', to: 'L', sentUs: 0, reqId, op, status: 200, n: 0, entries: [], fileId: null, rev: null, size: null, retryAfterMs: null, ...what }),
  };
}

const opts = { libraries: ['L'] };

describe('the work checks on hand-made facts', () => {
  it('writes-inside-job: a Download sent inside the job passes even when delivered after its end; one sent after, and a track written after, fail', () => {
    const f = facts(writesInsideJobCheck(opts));
    f.at(10);
    f.job(1, 'running');
    f.at(20);
    f.ask(1, 'Download', 20, { fileId: 'f1', rev: 1 });
    f.at(30);
    f.job(1, 'completed', { cursor: '0:1' });
    f.at(40);
    f.ask(2, 'Download', 25, { fileId: 'f2', rev: 2 });
    expect(f.failures).toEqual([]);
    f.ask(3, 'Download', 35, { fileId: 'f3', rev: 3 });
    expect(f.failures).toEqual([expect.stringMatching(/^invariant:writes-inside-job: L sent a Download of f3 to P1 at 35\.000 ms, when no job of P1 was durably running/)]);
    f.emit('sim', 'fact.library.track', { device: 'L', provider: 'P1', id: 'f3', rev: 3, deleted: false, path: '/a', hash: 'h', blob: 'h', blobRev: 3 });
    expect(f.failures[1]).toMatch(/^invariant:writes-inside-job: L durably wrote P1's f3 at rev 3 while no job of P1 was durably running there/);
  });

  /** Job 1 running at 10 ms, given f1@1 and f2@2 (and a deletion) by one listing page. */
  const given = (check: TraceCheck): ReturnType<typeof facts> => {
    const f = facts(check);
    f.at(10);
    f.job(1, 'running');
    f.ask(1, 'ListFiles', 11);
    f.at(12);
    f.reply(1, 'Files', { entries: [['f1', 1, false], ['f2', 2, false], ['f3', 3, true]] });
    return f;
  };
  const download = (f: ReturnType<typeof facts>, reqId: number, id: string, rev: number, sentMs: number, atMs: number, size = 5): void => {
    f.at(sentMs);
    f.ask(reqId, 'Download', sentMs, { fileId: id, rev });
    f.at(atMs);
    f.reply(reqId, 'Content', { fileId: id, rev, size });
  };

  it('downloads-once: once per entry; again only after a disk fault; concurrent twice, twice in sequence, or not given: fails', () => {
    const once = given(downloadsOnceCheck(opts));
    download(once, 2, 'f1', 1, 13, 14);
    once.emit('L', 'kv.fault', { tx: 1, op: 'commit', action: 'EIO' });
    download(once, 3, 'f1', 1, 15, 16);
    expect(once.failures).toEqual([]);
    download(once, 4, 'f1', 1, 17, 18);
    expect(once.failures).toEqual([expect.stringMatching(/^invariant:downloads-once: job 1 of P1 on L downloaded f1@1 3 times, given it by 1 page entry: .* after the previous content arrived \(16\.000 ms\)/)]);

    const concurrent = given(downloadsOnceCheck(opts));
    concurrent.ask(2, 'Download', 13, { fileId: 'f2', rev: 2 });
    concurrent.ask(3, 'Download', 13, { fileId: 'f2', rev: 2 });
    concurrent.at(14);
    concurrent.reply(2, 'Content', { fileId: 'f2', rev: 2, size: 4 });
    concurrent.reply(3, 'Content', { fileId: 'f2', rev: 2, size: 4 });
    expect(concurrent.failures).toEqual([expect.stringMatching(/downloaded f2@2 2 times, .*while the previous download was in flight/)]);

    // Two entries of one revision (a listing and a feed page): two downloads may be live at once, and each
    // may be fetched again after a failed write (provider-swarm-long seed 13010 failed on that before).
    const two = given(downloadsOnceCheck(opts));
    two.ask(5, 'GetChanges', 12.5);
    two.at(12.6);
    two.reply(5, 'Changes', { entries: [['f1', 1, false]] });
    two.ask(6, 'Download', 13, { fileId: 'f1', rev: 1 });
    two.at(14);
    two.reply(6, 'Content', { fileId: 'f1', rev: 1, size: 5 });
    two.emit('L', 'kv.fault', { tx: 1, op: 'commit', action: 'EIO' });
    two.ask(7, 'Download', 15, { fileId: 'f1', rev: 1 }); // the first entry's retry
    two.ask(8, 'Download', 15.5, { fileId: 'f1', rev: 1 }); // the second entry, while 7 is in flight
    two.at(16);
    two.reply(7, 'Content', { fileId: 'f1', rev: 1, size: 5 });
    two.reply(8, 'Content', { fileId: 'f1', rev: 1, size: 5 });
    expect(two.failures).toEqual([]);
    // A third live download (nothing failed since those two arrived) is one too many.
    two.ask(9, 'Download', 17, { fileId: 'f1', rev: 1 });
    two.at(18);
    two.reply(9, 'Content', { fileId: 'f1', rev: 1, size: 5 });
    expect(two.failures).toEqual([expect.stringMatching(/downloaded f1@1 4 times, given it by 2 page entries/)]);

    const stray = given(downloadsOnceCheck(opts));
    download(stray, 2, 'f3', 3, 13, 14);
    expect(stray.failures).toEqual([expect.stringMatching(/downloaded f3@3, which no page delivered for it named/)]);
  });

  it('job-progress: bytes of the contents written, items = entries given; an interrupted job is not judged', () => {
    const run = (items: number, bytes: number, crash = false): string[] => {
      const f = given(jobProgressCheck(opts));
      download(f, 2, 'f1', 1, 13, 14, 7);
      f.emit('sim', 'fact.library.track', { device: 'L', provider: 'P1', id: 'f1', rev: 1, deleted: false, path: '/a', hash: 'h', blob: 'h', blobRev: 1 });
      download(f, 3, 'f2', 2, 15, 16, 9); // refused or never written: no bytes
      if (crash) f.emit('L', 'node.crash', {});
      f.job(1, 'completed', { cursor: '0:3', items, bytes });
      return f.failures;
    };
    expect(run(2, 7)).toEqual([]);
    expect(run(2, 16)).toEqual([expect.stringMatching(/^invariant:job-progress: job 1 of P1 on L ended completed with 16 bytes, but the contents delivered for it that it durably wrote \(1 file revisions\) hold 7 bytes/)]);
    expect(run(4, 7)).toEqual([expect.stringMatching(/completed with 4 items, but the pages delivered for it hold 2 entries/)]);
    expect(run(0, 0, true)).toEqual([]);
  });

  it('job-progress: a page asked for before the job\'s running record (an earlier job\'s, delivered late) is not the job\'s work', () => {
    const f = facts(jobProgressCheck(opts));
    f.ask(1, 'GetChanges', 5, { cursor: '0:0' });
    f.at(10);
    f.job(1, 'running');
    f.at(12);
    f.reply(1, 'Changes', { entries: [['f9', 9, false]] });
    f.job(1, 'completed', { cursor: '0:9', items: 1 });
    expect(f.failures).toEqual([expect.stringMatching(/completed with 1 items, but the pages delivered for it hold 0 entries/)]);
  });

  it('respects-retry-after: the same request before the retry-after fails; other requests, a later one, or the next job pass', () => {
    const f = given(respectsRetryAfterCheck(opts));
    f.ask(2, 'GetChanges', 13, { cursor: '0:3' });
    f.at(20);
    f.reply(2, 'Error', { status: 429, retryAfterMs: 80 });
    f.ask(3, 'Download', 30, { fileId: 'f1', rev: 1 });
    f.ask(4, 'GetChanges', 100, { cursor: '0:3' });
    expect(f.failures).toEqual([]);
    expect(f.exercised).toEqual(['invariant:respects-retry-after']);
    f.ask(5, 'GetChanges', 60, { cursor: '0:3' });
    expect(f.failures).toEqual([expect.stringMatching(/^invariant:respects-retry-after: L asked P1 again for c:0:3 at 60\.000 ms, 40\.000 ms after a 429 with retry-after 80 ms/)]);

    const next = given(respectsRetryAfterCheck(opts));
    next.ask(2, 'GetChanges', 13, { cursor: '0:3' });
    next.at(20);
    next.reply(2, 'Error', { status: 429, retryAfterMs: 80 });
    next.job(1, 'failed');
    next.job(2, 'pending');
    next.job(2, 'running');
    next.ask(3, 'GetChanges', 30, { cursor: '0:3' });
    expect(next.failures).toEqual([]);
  });
});

const stock = await stockScenarios('provider');
/** `s` without the check `name`. */
const without = (s: Scenario, name: string): Scenario => ({ ...s, checks: s.checks!.filter((k) => k.name !== name) });

describe('flawed libraries are caught by the work checks', () => {
  it('the built-in library passes the scenarios below (seeds 0, 1)', async () => {
    for (const name of ['provider-incremental', 'provider-errors', 'provider-cancel', 'provider-disk-errors']) {
      for (const seed of [0, 1]) expect(`${name}#${seed} ${(await runScenario(stock.find((s) => s.name === name)!, seed)).verdict}`).toBe(`${name}#${seed} pass`);
    }
  });

  it('items written behind the coordinator: the cancelled job\'s bytes, and without that check its writes after its end', async () => {
    const s = plugged(stock, 'provider-cancel', 'write-behind', { providerLibrary: writeBehindLibrary });
    for (const seed of [0, 1]) {
      const r = await runScenario(s, seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:job-progress');
      expect(r.failure?.message).toMatch(/^job \d+ of P\d on L ended cancelled with \d+ bytes, but the contents delivered for it that it durably wrote/);
      const w = await runScenario(without(s, 'invariant:job-progress'), seed);
      expect(`${w.verdict} ${w.failure?.check}`).toBe('correctness invariant:writes-inside-job');
      expect(w.failure?.message).toMatch(/^L durably wrote P\d's f\d+ at rev \d+ while no job of P\d was durably running there/);
    }
  });

  it('bytes counted as received (a failed commit\'s download counted twice) fail invariant:job-progress', async () => {
    const s = plugged(stock, 'provider-disk-errors', 'bytes-received', { providerLibrary: bytesReceivedLibrary });
    for (const seed of [0, 1]) {
      const r = await runScenario(s, seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:job-progress');
      expect(r.failure?.message).toMatch(/ended completed with (\d+) bytes, but the contents delivered for it that it durably wrote \(\d+ file revisions\) hold (?!\1 )\d+ bytes/);
    }
  });

  it('page entries handed over twice: invariant:downloads-once, and without it invariant:job-progress (items above the entries given)', async () => {
    const s = plugged(stock, 'provider-incremental', 'stale-buffer', { providerLibrary: stalePageBufferLibrary });
    for (const seed of [0, 1]) {
      const r = await runScenario(s, seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:downloads-once');
      expect(r.failure?.message).toMatch(/^job \d+ of P\d on L downloaded f\d+@\d+ 2 times, given it by 1 page entry/);
      const w = await runScenario(without(s, 'invariant:downloads-once'), seed);
      expect(`${w.verdict} ${w.failure?.check}`).toBe('correctness invariant:job-progress');
      expect(w.failure?.message).toMatch(/^job \d+ of P\d on L completed with (\d+) items, but the pages delivered for it hold (?!\1 )\d+ entries/);
    }
  });

  it('a 429\'s retry-after ignored (the library\'s own backoff instead) fails invariant:respects-retry-after', async () => {
    const s = plugged(stock, 'provider-errors', 'no-retry-after', { providerLibrary: noRetryAfterLibrary });
    for (const seed of [0, 1]) {
      const r = await runScenario(s, seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:respects-retry-after');
      expect(r.failure?.message).toMatch(/^L asked P\d again for [dct]:\S+ at [\d.]+ ms, [\d.]+ ms after a 429 with retry-after 80 ms was delivered/);
    }
  });

  it('sync requests that do not join a job being created: the burst in provider-incremental gives two pending jobs (model:sync-job)', async () => {
    const s = plugged(stock, 'provider-incremental', 'non-joining', { providerLibrary: nonJoiningLibrary });
    for (const seed of [0, 1]) {
      const r = await runScenario(s, seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness model:sync-job');
      expect(r.failure?.message).toMatch(/in state 'pending' refused JOB \{"job":\d+,"requested":"incremental","sync":"incremental","state":"pending"/);
    }
  });
});
