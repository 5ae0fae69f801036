/**
 * Election handover scenarios: a leader that freezes past its lease, crashes in the middle of a forwarded
 * write, loses its lock while still writing, has its wall clock jump back, and rolling restarts.
 */
import { ELECTION_LOCK } from '../../src/impl/election/lock-election.ts';
import type { ElectionTabHandle } from '../../src/impl/election/tab.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import { electionScenario, steadyWrites, writeAt, type ElectionScenarioSpec } from './_common.ts';

const three = ['A', 'B', 'C'];
const two = ['A', 'B'];
/** A starts first so that it deterministically leads first. */
const aFirst = { B: 100, C: 100 };

/**
 * Whoever leads when the fault fires (docs/faults.md, "Targets resolved when the fault fires"): the tab
 * whose announcement on the election's bus channel carries the highest epoch. With the built-in election
 * and `aFirst` that is A; with another election or other timing it is still the leader, never a follower.
 */
const LEADER = { leader: 'election' } as const;
/** The tab holding the lock-mode election's Web Lock when the fault fires, from the simulator's lock table. */
const LOCK_HOLDER = { holder: 'lock', name: ELECTION_LOCK } as const;

/** A write at `tab` every `everyMs` in [fromMs, toMs). */
function writesAt(ctx: ScenarioContext, tab: string, fromMs: number, toMs: number, everyMs: number): void {
  for (let t = fromMs; t < toMs; t += everyMs) ctx.at(t, () => writeAt(ctx, tab));
}

/** Tells `tab` to take the lock now, recorded as a workload handover (invariant:takeover-honoured reads it). */
function stealNow(ctx: ScenarioContext, tab: string): void {
  ctx.emit('workload.handover', { node: tab, how: 'takeOver' });
  ctx.handle<ElectionTabHandle>(tab)?.takeOver();
}

/** `count` writes at `tab` at once, then `thief` takes the lock a few hundred µs later (mid-flush). */
function burstThenSteal(ctx: ScenarioContext, atMs: number, tab: string, thief: string, count: number): void {
  ctx.at(atMs, () => {
    for (let k = 0; k < count; k++) writeAt(ctx, tab);
  });
  ctx.at(atMs + 0.3, () => stealNow(ctx, thief));
}

/**
 * Steady writes at every tab except around 1.4-1.7 s, where the tab that says it leads (A with the built-in
 * election) gets a burst of 24 writes at 1.6 s, so that its own flush is what a pause at 1,600.2 interrupts,
 * whichever tab another election or other timing made leader (no other write around it: the batch in
 * flight at the pause is the burst itself). `then` runs right after the burst is issued, with its tab.
 */
function burstAtLeader(ctx: ScenarioContext, then?: (leader: string) => void): void {
  steadyWrites(ctx, three, 200, 1_400, 20);
  steadyWrites(ctx, three, 1_700, 6_000, 20);
  ctx.at(1_600, () => {
    const leader = three.find((t) => ctx.handle<ElectionTabHandle>(t)?.role() === 'leader') ?? 'A';
    for (let k = 0; k < 24; k++) writeAt(ctx, leader);
    then?.(leader);
  });
}

/** The user closes `tab` at `atMs` (cleanly: its lease is handed over); it stays closed (healing restarts only crashed tabs). */
function closeTabAt(ctx: ScenarioContext, tab: string, atMs: number): void {
  ctx.at(atMs, () => {
    const h = ctx.handle<ElectionTabHandle>(tab);
    if (h === null) return;
    ctx.emit('workload.handover', { node: tab, how: 'close' });
    void h.close().then(() => ctx.sim.stop(tab));
  });
}

/** Restarts every tab in turn: even steps close the tab cleanly (handover by release), odd steps crash it. */
function rollingRestarts(ctx: ScenarioContext, tabs: readonly string[], fromMs: number, everyMs: number, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const tab = tabs[i % tabs.length]!;
    const at = fromMs + i * everyMs;
    ctx.at(at, () => {
      const h = ctx.handle<ElectionTabHandle>(tab);
      if (h === null) return;
      if (i % 2 === 1) {
        ctx.sim.crash(tab);
        ctx.at(ctx.nowMs() + 300, () => ctx.sim.start(tab));
        return;
      }
      ctx.emit('workload.handover', { node: tab, how: 'close' });
      void h.close().then(() => {
        ctx.sim.stop(tab);
        ctx.at(ctx.nowMs() + 300, () => ctx.sim.start(tab));
      });
    });
  }
}

/** The leader freezes past its lease under load (exported: the pluggability test runs it with other implementations). */
export const leaderPaused: ElectionScenarioSpec = {
  name: 'election-leader-paused',
  description: 'The leader freezes for three leases while the others take over, then resumes under load: it must find out it is no longer leader before it writes.',
  suites: ['smoke', 'ci', 'default'],
  tabs: three,
  mode: 'lease',
  startAtMs: aFirst,
  workload: (ctx) => {
    steadyWrites(ctx, three, 200, 7_000, 20);
    writesAt(ctx, 'A', 200, 7_000, 10);
  },
  // The leader, whoever it is at 1,500 ms (A with the built-in election): a plugged-in election with other
  // timing must not see a follower frozen instead.
  faults: { events: [{ kind: 'pause', atMs: 1_500, node: LEADER, durationMs: 3_000 }] },
  durationMs: 8_000,
};

/** The leader freezes mid-flush (exported: test/election/selectors.test.ts runs it with other timing). */
export const leaderPausedMidFlush: ElectionScenarioSpec = {
  name: 'election-leader-paused-mid-flush',
  description:
    'The leader freezes in the middle of a 24-write flush (between renewals); a follower takes over, and on resume the rest of the batch, already past its leadership check, is fenced by the store.',
  suites: ['smoke', 'ci'],
  tabs: three,
  mode: 'lease',
  startAtMs: aFirst,
  workload: (ctx) => burstAtLeader(ctx),
  // 1,600 is between the leader's renewals (every 250 ms from its start): the pause catches a block store
  // commit, not a lease transaction (a frozen lease transaction would keep every follower from reading the
  // lease). The leader is frozen, whoever it is then, by the store's fence (docs/faults.md).
  faults: { events: [{ kind: 'pause', atMs: 1_600.2, node: LEADER, durationMs: 3_000 }] },
  durationMs: 7_000,
};

/** The lock holder freezes while flushing (exported: test/election/selectors.test.ts runs it with other timing). */
export const lockLeaderPaused: ElectionScenarioSpec = {
  name: 'election-lock-leader-paused',
  description: 'Lock mode: the lock holder freezes (keeping its lock) while flushing; a follower hears no heartbeat and steals the lock; on resume the old holder is fenced and steps down.',
  suites: ['smoke', 'ci', 'default'],
  tabs: three,
  mode: 'lock',
  startAtMs: aFirst,
  workload: (ctx) => {
    steadyWrites(ctx, three, 200, 6_000, 20);
    ctx.at(1_500, () => {
      for (let k = 0; k < 24; k++) writeAt(ctx, 'A');
    });
  },
  // The lock holder, whoever it is then (A here), from the simulator's lock table.
  faults: { events: [{ kind: 'pause', atMs: 1_500.2, node: LOCK_HOLDER, durationMs: 3_000 }] },
  durationMs: 7_000,
};

export default [
  electionScenario(leaderPaused),
  electionScenario(leaderPausedMidFlush),
  electionScenario({
    name: 'election-leader-crash-mid-forward',
    description: 'The leader crashes after applying a forwarded write and before replying; the follower retries and the write is applied exactly once.',
    suites: ['smoke', 'ci', 'default'],
    tabs: two,
    mode: 'lease',
    startAtMs: { B: 300 },
    workload: (ctx) => writesAt(ctx, 'B', 1_000, 6_000, 100),
    // The leader's first reply post (A's with the built-in election), whichever tab leads.
    faults: {
      events: [
        {
          kind: 'crash',
          node: LEADER,
          trigger: { node: LEADER, area: 'bus', op: 'post', nth: 1, target: 'election.reply' },
          when: 'before',
          restartAfterMs: 2_000,
        },
      ],
    },
    durationMs: 7_000,
  }),
  electionScenario({
    name: 'election-lookup-fails',
    description:
      "The leader crashes after applying a forwarded write and before replying, and every kv read of the follower fails for 1.2 s meanwhile: its lookups of the unanswered writes fail, and a failed lookup must count as 'not known', never as 'applied': it re-sends, and each write is answered with the commit that applied it.",
    suites: ['smoke', 'ci'],
    tabs: two,
    mode: 'lease',
    startAtMs: { B: 300 },
    workload: (ctx) => writesAt(ctx, 'B', 1_000, 4_000, 100),
    faults: {
      events: [
        // The leader's first reply post (A's with the built-in election), whichever tab leads.
        { kind: 'crash', node: LEADER, trigger: { node: LEADER, area: 'bus', op: 'post', nth: 1, target: 'election.reply' }, when: 'before', restartAfterMs: 2_000 },
        { kind: 'diskError', atMs: 900, node: 'B', area: 'kv', op: 'get', code: 'EIO', probability: 1, durationMs: 1_200 },
      ],
    },
    durationMs: 5_000,
  }),
  electionScenario({
    name: 'election-forward-applied-unconfirmed',
    description:
      "The leader applies a forwarded write and crashes before replying, and the follower freezes past the write's deadline: on resume the deadline has passed before it could look the write up, so it must tell its caller 'maybe applied' (ETIMEDOUT, not definite).",
    suites: ['smoke', 'ci'],
    tabs: two,
    mode: 'lease',
    startAtMs: { B: 300 },
    workload: (ctx) => writesAt(ctx, 'B', 1_000, 1_050, 100),
    faults: {
      events: [
        { kind: 'crash', node: LEADER, trigger: { node: LEADER, area: 'bus', op: 'post', nth: 1, target: 'election.reply' }, when: 'before', restartAfterMs: 2_000 },
        { kind: 'pause', atMs: 1_000.5, node: 'B', durationMs: 11_000 },
      ],
    },
    durationMs: 13_000,
  }),
  electionScenario({
    name: 'election-lock-stolen-mid-write',
    description: 'Lock mode: a tab steals the lock while the holder is flushing a batch; the rest of the batch must be fenced, and retried through the new leader.',
    suites: ['smoke', 'ci', 'default'],
    tabs: two,
    mode: 'lock',
    startAtMs: { B: 100 },
    workload: (ctx) => {
      burstThenSteal(ctx, 1_000, 'A', 'B', 24);
      burstThenSteal(ctx, 2_000, 'B', 'A', 24);
      burstThenSteal(ctx, 3_000, 'A', 'B', 24);
      burstThenSteal(ctx, 4_000, 'B', 'A', 24);
    },
    durationMs: 5_000,
  }),
  electionScenario({
    name: 'election-lock-stolen-notice-late',
    description:
      "Lock mode: a tab steals the lock while the holder flushes a burst longer than one batch, and the holder's browser runs its lock and BroadcastChannel tasks late (taskDelay): the store's refusal (EFENCED) is the first the holder hears of the steal, and it must step down on it before its next batch, not keep writing at its old epoch until the steal's notice arrives.",
    suites: ['smoke', 'ci'],
    tabs: two,
    mode: 'lock',
    startAtMs: { B: 100 },
    workload: (ctx) => {
      burstThenSteal(ctx, 1_000, 'A', 'B', 80);
      burstThenSteal(ctx, 2_500, 'B', 'A', 80);
    },
    // Each holder's steal notice and the thief's heartbeats reach it 600 ms late.
    faults: {
      events: [
        { kind: 'taskDelay', atMs: 900, node: 'A', delayMs: 600, durationMs: 1_000 },
        { kind: 'taskDelay', atMs: 2_400, node: 'B', delayMs: 600, durationMs: 1_000 },
      ],
    },
    durationMs: 4_500,
  }),
  electionScenario({
    name: 'election-crash-while-fencing',
    description: 'The first leader crashes right after its fence commits, before it starts leading; a follower takes over when the lease runs out, and the restarted tab follows.',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => steadyWrites(ctx, three, 200, 4_000, 20),
    faults: {
      events: [
        { kind: 'crash', node: 'A', trigger: { node: 'A', area: 'kv', op: 'commit', nth: 1, target: 'store:meta' }, when: 'after', restartAfterMs: 500 },
      ],
    },
    durationMs: 4_500,
  }),
  electionScenario({
    name: 'election-paused-before-fence',
    description:
      'The first leader freezes right after it won the lease, before its fence: a follower takes over when the lease runs out and fences a higher epoch; on resume the frozen tab fences its old epoch, the store refuses it (EFENCED), and it follows.',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => steadyWrites(ctx, three, 200, 4_000, 20),
    // A's first commit in the 'election' store is its lease compare-and-set; it freezes once it took effect.
    faults: { events: [{ kind: 'pause', node: 'A', trigger: { node: 'A', area: 'kv', op: 'commit', nth: 1, target: 'election' }, when: 'after', durationMs: 2_000 }] },
    durationMs: 4_500,
  }),
  electionScenario({
    name: 'election-paused-after-campaign',
    description:
      "The first leader freezes for 1 s right after its lease compare-and-set committed, before it read the reply: longer than it may trust the lease, shorter than a follower waits. On resume its fence still succeeds, but its trust, counted from before the campaign, is over: it must not lead on a lease it would count from the reply.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => steadyWrites(ctx, three, 200, 4_000, 20),
    // A's first commit in the 'election' store is its lease compare-and-set; it freezes once it took effect.
    faults: { events: [{ kind: 'pause', node: 'A', trigger: { node: 'A', area: 'kv', op: 'commit', nth: 1, target: 'election' }, when: 'after', durationMs: 1_000 }] },
    durationMs: 4_500,
  }),
  electionScenario({
    name: 'election-paused-mid-renew',
    description:
      'The leader freezes for 1.5 s right after one of its lease renewals committed, before it has read the reply: its lease runs out meanwhile and a follower takes over. On resume its trust must count from before the renewal was sent (already over), not from the reply: it steps down without writing again with its old epoch.',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => steadyWrites(ctx, three, 200, 4_000, 20),
    // A's commits in the 'election' store: 1 its lease compare-and-set, 2 and 3 its first renewals.
    faults: { events: [{ kind: 'pause', node: 'A', trigger: { node: 'A', area: 'kv', op: 'commit', nth: 3, target: 'election' }, when: 'after', durationMs: 1_500 }] },
    durationMs: 4_500,
  }),
  electionScenario({
    name: 'election-lock-paused-before-fence',
    description:
      'Lock mode: the first holder freezes right after drawing its epoch, before its fence: a follower hears no heartbeat, steals the lock and fences a higher epoch; on resume the frozen tab learns of the steal and queues for the lock again, and its fence, already under way, is refused (EFENCED).',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lock',
    startAtMs: aFirst,
    workload: (ctx) => steadyWrites(ctx, three, 200, 4_000, 20),
    // A's first commit in the 'election' store draws its epoch; it freezes once it took effect.
    faults: { events: [{ kind: 'pause', node: 'A', trigger: { node: 'A', area: 'kv', op: 'commit', nth: 1, target: 'election' }, when: 'after', durationMs: 2_000 }] },
    durationMs: 4_500,
  }),
  electionScenario({
    name: 'election-reader-frozen-mid-read',
    description:
      "B freezes for 12 s in the middle of reading the store back (its read's transaction open: a frozen tab keeps it), so the leader A's commits wait behind it, longer than the write deadline: A's own writes reach their deadline while they are being applied, and must fail as 'maybe applied' (ETIMEDOUT, not definite), since each commits once B resumes; later ones are refused at once (EBUSY) while the queue is full.",
    suites: ['smoke', 'ci'],
    tabs: two,
    mode: 'lease',
    startAtMs: { B: 100 },
    workload: (ctx) => writesAt(ctx, 'A', 200, 3_000, 50),
    faults: {
      events: [
        // B's first read in the store's metadata is a read-back of one of A's writes (B forwards nothing: A writes alone).
        { kind: 'pause', node: 'B', trigger: { node: 'B', area: 'kv', op: 'get', nth: 1, target: 'store:meta' }, when: 'after', durationMs: 12_000 },
      ],
    },
    durationMs: 16_000,
  }),
  electionScenario({
    name: 'election-forward-busy-at-deadline',
    description:
      "The shared store's strict commits take 150 ms, so the leader A applies about six writes a second while B and C forward bursts over its queue bound (4): a forwarded write waits in A's queue past the forward timeout, its lookup finds nothing yet, and every re-send is answered EBUSY until the write's deadline (1.5 s). A write that may still be applied from its queue must fail as 'maybe applied' (ETIMEDOUT, not definite), even when the last answer was a refusal: the first attempt commits later.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    kv: { strictCommitUs: 150_000 },
    options: { pendingWritesMax: 4, writeDeadlineMs: 1_500 },
    workload: (ctx) => {
      for (let t = 600; t <= 3_000; t += 400) {
        ctx.at(t, () => {
          for (let k = 0; k < 4; k++) {
            writeAt(ctx, 'B');
            writeAt(ctx, 'C');
          }
        });
      }
    },
    durationMs: 6_000,
  }),
  electionScenario({
    name: 'election-lock-paused-mid-draw',
    description:
      "Lock mode, two tabs: the first holder freezes right after reading the epoch counter, with its draw's transaction open, and its browser runs its lock tasks late: the other tab hears no heartbeat and steals the lock. The thief's draw must wait for the frozen one and draw the next epoch, never the same (a draw read and written in two transactions lets both read the same counter); on resume the old holder, not yet told of the steal, finishes its draw first and the thief draws the next epoch; the old holder's fence is then refused (EFENCED), or it leads until the thief fences its higher epoch and announces; either way it follows.",
    suites: ['smoke', 'ci'],
    tabs: two,
    mode: 'lock',
    startAtMs: { B: 100 },
    workload: (ctx) => steadyWrites(ctx, two, 200, 4_000, 20),
    faults: {
      events: [
        // A's first read in the 'election' store is its draw's read of the counter; it freezes once the read took effect.
        { kind: 'pause', node: 'A', trigger: { node: 'A', area: 'kv', op: 'get', nth: 1, target: 'election' }, when: 'after', durationMs: 2_000 },
        // The steal's notice (a lock task) reaches A 1.5 s late: A finishes its draw before it hears of the steal.
        { kind: 'taskDelay', atMs: 1, node: 'A', source: 'lock', delayMs: 1_500, durationMs: 3_000 },
      ],
    },
    durationMs: 5_000,
  }),
  electionScenario({
    name: 'election-lock-thief-frozen',
    description:
      "Lock mode: the user makes B steal the lock, C steals it from B a hundredth of a millisecond later and freezes for 3 s right after reading the epoch counter, holding the lock and announcing nothing: B, who lost, and A, deposed, hear no leader and one of them steals again once the takeover time has passed since the last announcement it heard (not since the user's steal), and every write lands once.",
    suites: ['ci', 'nightly'],
    tabs: three,
    mode: 'lock',
    startAtMs: { B: 150, C: 100 },
    workload: (ctx) => {
      steadyWrites(ctx, three, 200, 4_000, 100);
      ctx.at(1_000, () => stealNow(ctx, 'B'));
      ctx.at(1_000.01, () => stealNow(ctx, 'C'));
    },
    // C's first read in the 'election' store is its draw's read of the counter (found by the review of
    // invariant:steal-after-silence, which counted B's silence from the user's steal).
    faults: { events: [{ kind: 'pause', node: 'C', trigger: { node: 'C', area: 'kv', op: 'get', nth: 1, target: 'election' }, when: 'after', durationMs: 3_000 }] },
    durationMs: 4_500,
  }),
  electionScenario({
    name: 'election-lock-double-steal',
    description: "Lock mode: two tabs steal the lock within a fraction of a millisecond, so the first thief loses it while its request is being granted, while it draws its epoch or while it fences: it must give up cleanly, and every write must land once through whoever leads.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lock',
    startAtMs: aFirst,
    workload: (ctx) => {
      steadyWrites(ctx, three, 200, 4_000, 25);
      const steal = (tab: string): void => stealNow(ctx, tab);
      // C steals right after B, at growing gaps and once from the same task: B loses the lock while its request
      // is still being granted, while it draws its epoch or while it fences.
      [0.01, 0.15, 0.4, 0.8, 0].forEach((gapMs, k) => {
        const at = 1_000 + k * 550;
        if (gapMs === 0) {
          ctx.at(at, () => {
            steal('B');
            steal('C');
          });
        } else {
          ctx.at(at, () => steal('B'));
          ctx.at(at + gapMs, () => steal('C'));
        }
        // Back to A, so that B and C are followers again for the next round.
        ctx.at(at + 350, () => steal('A'));
      });
    },
    durationMs: 4_200,
  }),
  electionScenario({
    name: 'election-crash-during-handover',
    description: 'Lock mode: the holder crashes while it steps down with half a batch still flushing after its lock was stolen; later a tab queued for the lock crashes.',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lock',
    startAtMs: aFirst,
    workload: (ctx) => {
      steadyWrites(ctx, three, 200, 3_500, 20);
      burstThenSteal(ctx, 1_000, 'A', 'B', 24);
      ctx.at(1_000.6, () => ctx.sim.crash('A'));
      ctx.at(1_500, () => ctx.sim.start('A'));
      ctx.at(2_000, () => ctx.sim.crash('C')); // a candidate queued for the lock
      ctx.at(2_300, () => ctx.sim.start('C'));
    },
    durationMs: 4_000,
  }),
  electionScenario(lockLeaderPaused),
  electionScenario({
    name: 'election-store-down',
    description: 'The shared store fails every commit for 12 s, longer than the write deadline: no lease can be renewed or taken, writes end with an error (never hang), and a leader is back once the store heals.',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => steadyWrites(ctx, three, 200, 16_000, 100),
    faults: {
      events: three.map((node) => ({ kind: 'diskError' as const, atMs: 2_000, node, area: 'kv' as const, op: 'commit', code: 'EIO' as const, probability: 1, durationMs: 12_000 })),
    },
    durationMs: 17_000,
  }),
  electionScenario({
    name: 'election-store-errors-then-alone',
    description:
      "Every tab's kv reads and commits fail half the time for 3 s, so each tab's election loop meets errors (failed polls, renewals, campaigns); then the user closes B and C: A, alone, must lead again and take writes. A tab whose loop stops for good after one store error passes every scenario where another tab is left to lead.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => {
      steadyWrites(ctx, ['A'], 200, 9_000, 100);
      for (const tab of ['B', 'C']) closeTabAt(ctx, tab, 5_000);
    },
    faults: {
      events: three.flatMap((node) =>
        (['get', 'commit'] as const).map((op) => ({ kind: 'diskError' as const, atMs: 1_000, node, area: 'kv' as const, op, code: 'EIO' as const, probability: 0.5, durationMs: 3_000 })),
      ),
    },
    durationMs: 9_000,
  }),
  electionScenario({
    name: 'election-clock-drift',
    description: "Clocks drift within the assumed bound (leader 4% slow, followers up to 4% fast) and the leader freezes; the lease's drift margin keeps its trust ending before a follower takes over.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    clocks: { A: { driftPpm: -40_000 }, B: { driftPpm: 40_000 }, C: { driftPpm: 25_000 } },
    workload: (ctx) => steadyWrites(ctx, three, 200, 5_000, 20),
    faults: { events: [{ kind: 'pause', atMs: 1_500, node: 'A', durationMs: 2_000 }] },
    durationMs: 6_000,
  }),
  electionScenario({
    name: 'election-opposite-drifts',
    description:
      "Clocks drift at the largest rates the lease assumes, in opposite directions (the leader 5% slow, the followers 5% fast, set by clock-rate faults), with renewals and polls every 10 ms so that a follower reads each renewal within a few ms and takes over right at its takeover time; the leader freezes: its trust, on the true clock, must end before a follower acquires.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    options: { renewEveryMs: 10 },
    workload: (ctx) => steadyWrites(ctx, three, 200, 5_000, 20),
    faults: {
      events: [
        { kind: 'clockDrift', atMs: 300, node: LEADER, driftPpm: -50_000 },
        { kind: 'clockDrift', atMs: 300, node: 'B', driftPpm: 50_000 },
        { kind: 'clockDrift', atMs: 300, node: 'C', driftPpm: 50_000 },
        { kind: 'pause', atMs: 1_500, node: LEADER, durationMs: 2_000 },
      ],
    },
    durationMs: 6_000,
  }),
  electionScenario({
    name: 'election-clock-jump-back',
    description: "The leader's wall clock jumps back 5 s while tabs run with skewed and drifting clocks; leases on the monotonic clock are unaffected.",
    suites: ['smoke', 'ci', 'default'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    clocks: { B: { offsetMs: 300 }, C: { driftPpm: 2_000, offsetMs: -700 } },
    workload: (ctx) => {
      writesAt(ctx, 'A', 200, 5_000, 10);
      steadyWrites(ctx, three, 200, 5_000, 50);
    },
    faults: { events: [{ kind: 'clockJump', atMs: 2_000, node: 'A', deltaMs: -5_000 }] },
    durationMs: 6_000,
  }),
  electionScenario({
    name: 'election-leader-paused-clock-jump',
    description:
      "The leader freezes for 1 s (longer than its lease, shorter than a takeover) under load, and its wall clock steps back 5 s meanwhile: on resume it must find its lease ran out on its monotonic clock before it writes again.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => {
      writesAt(ctx, 'A', 200, 4_000, 10);
      steadyWrites(ctx, three, 200, 4_000, 50);
    },
    faults: {
      events: [
        // The leader (A) freezes between two of its writes (every 10 ms) and after a renewal (every 250 ms
        // from 0); its wall clock steps back while it is frozen (it still leads by the store's fence).
        { kind: 'pause', atMs: 1_505, node: LEADER, durationMs: 1_000 },
        { kind: 'clockJump', atMs: 1_600, node: LEADER, deltaMs: -5_000 },
      ],
    },
    durationMs: 5_000,
  }),
  electionScenario({
    name: 'election-follower-clock-jumps',
    description:
      "The followers' wall clocks are set while the leader is healthy (C's 30 s back at 1.2 s; B's 60 s ahead at 1.75 s, while the leader stalls for 400 ms from 1.6 s: less than its lease's validity, so one or two renewals are late and the followers read the same lease record twice): a follower must count the lease's silence on its monotonic clock, so none takes over a lease its holder still trusts; then the leader crashes and a follower takes over within the takeover time.",
    suites: ['ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    workload: (ctx) => {
      writesAt(ctx, 'A', 200, 5_000, 10);
      steadyWrites(ctx, three, 200, 5_000, 50);
    },
    faults: {
      events: [
        { kind: 'clockJump', atMs: 1_200, node: 'C', deltaMs: -30_000 },
        // Between two renewals of the leader (every 250 ms from its start), as in election-leader-paused-mid-flush.
        { kind: 'pause', atMs: 1_600.2, node: LEADER, durationMs: 400 },
        // While the followers read the same lease record: a clock set ahead then must not make it look old.
        { kind: 'clockJump', atMs: 1_750, node: 'B', deltaMs: 60_000 },
        { kind: 'crash', atMs: 3_000, node: LEADER },
      ],
    },
    durationMs: 6_000,
  }),
  electionScenario({
    name: 'election-closed-while-frozen',
    description:
      "The user closes the leader in the middle of a 24-write flush and the tab freezes for 3 s before the flush ends: a follower takes the lapsed lease meanwhile. On resume the old leader's close finishes (its writes fenced) and must give up only its own lease: a release that clears whatever record it finds hands the new leader's lease to the third tab while the new leader still trusts it.",
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    startAtMs: aFirst,
    // The close goes to the burst's tab too: it then waits for the flush the pause interrupts.
    workload: (ctx) => burstAtLeader(ctx, (leader) => closeTabAt(ctx, leader, 1_600.1)),
    // As in election-leader-paused-mid-flush: 1,600 is between the leader's renewals, so the pause catches a
    // block store commit of the burst, not a lease transaction.
    faults: { events: [{ kind: 'pause', atMs: 1_600.2, node: LEADER, durationMs: 3_000 }] },
    durationMs: 7_000,
  }),
  electionScenario({
    name: 'election-rolling-restarts',
    description: 'Every tab is restarted in turn (clean close, then crash) under a steady write load; leadership hands over each time and no write is lost or applied twice.',
    suites: ['smoke', 'ci', 'default'],
    tabs: three,
    mode: 'lease',
    workload: (ctx) => {
      steadyWrites(ctx, three, 100, 12_000, 20);
      rollingRestarts(ctx, three, 1_500, 1_800, 6);
    },
    durationMs: 13_000,
  }),
  electionScenario({
    name: 'election-rolling-restarts-lock',
    description: 'Rolling restarts (clean close, then crash) of three tabs in lock mode under a steady write load.',
    suites: ['ci'],
    tabs: three,
    mode: 'lock',
    workload: (ctx) => {
      steadyWrites(ctx, three, 100, 12_000, 20);
      rollingRestarts(ctx, three, 1_500, 1_800, 6);
    },
    durationMs: 13_000,
  }),
];
