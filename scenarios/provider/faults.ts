/**
 * Faults: crashes at the library's awaits (mid-page, mid-item, between the cursor write and completion),
 * provider crashes, cancellations, partitions and slow links, kv errors, and a swarm.
 */
import type { Scenario } from '../../src/scenario/types.ts';
import type { LibraryHandle } from '../../src/impl/provider/index.ts';
import type { FaultEvent, FaultKind } from '../../src/faults/plan.ts';
import type { TriggerOp } from '../../src/faults/swarm.ts';
import { PROVIDER_SEAMS, LIBRARY, caughtUp, finalSync, providerChecking, providerIds, providerProgram, providerTopology, randomChanges, syncRequests, type ProviderSetup } from './_common.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 8, seedFiles: id === 'P1' ? 80 : 50, errors: { rate5xx: 0.03 } }),
  library: { maxConcurrent: 3, queueMax: 16, requestTimeoutMs: 500 },
};
const common = { topology: providerTopology(setup), program: providerProgram(setup), seams: PROVIDER_SEAMS, liveness: caughtUp(two, 30_000), ...providerChecking(setup) };

/** The workload of most fault scenarios: `changes` random changes every `everyMs`, syncs requested every `syncEveryMs`, then `finalSync`. */
function churn(changes: number, everyMs: number, syncEveryMs: number): NonNullable<Scenario['workload']> {
  return (ctx) => {
    randomChanges(ctx, two, changes, 100, everyMs);
    syncRequests(ctx, two, 50, syncEveryMs, 4_200);
    finalSync(ctx, two, 4_600);
  };
}

/** A power loss of the library at its `nth` kv commit (on `target`, if given), restarting `restartAfterMs` later. */
function crashAtCommit(nth: number, restartAfterMs: number, target?: string, when?: 'after'): FaultEvent {
  return { kind: 'crash', node: LIBRARY, powerLoss: true, restartAfterMs, ...(when === undefined ? {} : { when }), trigger: { node: LIBRARY, area: 'kv', op: 'commit', nth, ...(target === undefined ? {} : { target }) } };
}

/** The library's kv commits at which the crash scenario's crashes fire (job records, items, the cursor). */
const CRASH_AT = [6, 19, 41, 77, 120];

const crashes: Scenario = {
  name: 'provider-crash-at-awaits',
  description:
    'The library crashes (power loss) at its 6th, 19th, 41st, 77th and 120th kv commits — job starts, items mid-job, cursor writes and completions of its first, full syncs (provider-crash-incremental crashes incremental ones) — right after its 12th job creation, and once idle, restarting each time; P2 crashes once too. Interrupted jobs are marked failed, syncs resume from the last completed cursor, no change is lost or applied twice.',
  suites: ['ci', 'default'],
  ...common,
  workload: churn(150, 25, 200),
  faults: {
    events: [
      ...CRASH_AT.map((nth) => crashAtCommit(nth, 300)),
      { kind: 'crash', node: 'P2', atMs: 2_200, restartAfterMs: 400 },
      // Right after a sync request is durably pending (its job created, not started), and while idle.
      crashAtCommit(12, 200, 'jobs,meta', 'after'),
      { kind: 'crash', node: LIBRARY, powerLoss: true, restartAfterMs: 200, atMs: 4_450 },
    ],
  },
  durationMs: 5_000,
};

/**
 * Crashes inside incremental jobs. The providers start small (20 and 15 files: the first full syncs are
 * over within about 50 of the library's track commits), their files change every 15 ms and a sync of each
 * is requested every 200 ms, so the feed read by a job spans several pages of 3. The crashes are counted
 * in the library's commits since the run began: item commits (a track and its content) well past the
 * first syncs fall inside incremental jobs (mid-page or mid-item); a crash right after a job-record commit
 * lands, for one in three or so, right after a cursor write, before the job completes.
 */
const incSetup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 3, seedFiles: id === 'P1' ? 20 : 15 }),
  library: { maxConcurrent: 2, queueMax: 8, requestTimeoutMs: 500 },
};
/** The library's item commits (tracks and blobs) before which it crashes. */
const ITEM_CRASHES = [70, 120, 165, 210];
/** The library's job-record commits (running, cursor, escalation, end) right after which it crashes. */
const JOB_CRASHES = [24, 37, 50, 66];
/**
 * The library's duplicate-mark commits (the conflict phase's: `tracks` alone) before (the first) and right
 * after (the second) which it crashes: a job's marks are lost or durable without its completion, and the
 * next job's conflict phase must redo them (invariant:duplicates-resolved at its completion).
 */
const MARK_CRASHES = [2, 4];

const incrementalCrashes: Scenario = {
  name: 'provider-crash-incremental',
  description: `The library crashes (power loss) inside incremental jobs: before its ${ITEM_CRASHES.join(', ')}th item commits (mid-page, mid-item) and right after its ${JOB_CRASHES.join(', ')}th job-record commits (some right after a cursor write, before completion), before its ${MARK_CRASHES[0]!}nd and right after its ${MARK_CRASHES[1]!}th duplicate-mark commits (before completion), restarting each time. Interrupted incremental jobs are marked failed and the next job reads again from the last completed cursor: no change is lost or applied twice.`,
  suites: ['ci', 'default'],
  topology: providerTopology(incSetup),
  program: providerProgram(incSetup),
  seams: PROVIDER_SEAMS,
  liveness: caughtUp(two, 30_000),
  ...providerChecking(incSetup),
  workload: churn(250, 15, 100),
  faults: {
    events: [
      ...ITEM_CRASHES.map((nth) => crashAtCommit(nth, 150, 'tracks,blobs')),
      ...JOB_CRASHES.map((nth) => crashAtCommit(nth, 150, 'jobs', 'after')),
      crashAtCommit(MARK_CRASHES[0]!, 150, 'tracks'),
      crashAtCommit(MARK_CRASHES[1]!, 150, 'tracks', 'after'),
    ],
  },
  durationMs: 5_000,
};

const cancels: Scenario = {
  name: 'provider-cancel',
  description:
    'The user cancels running jobs every 130 ms while files change: each cancelled job stops between items (every item whole or untouched), its cursor is never used, and later syncs catch up.',
  suites: ['ci', 'default'],
  ...common,
  workload: (ctx) => {
    randomChanges(ctx, two, 150, 100, 25);
    syncRequests(ctx, two, 50, 150, 4_200);
    for (let t = 90; t < 4_200; t += 130) ctx.at(t, () => void ctx.handle<LibraryHandle>(LIBRARY)?.cancel(ctx.rng.pick(two)));
    finalSync(ctx, two, 4_600);
  },
  durationMs: 5_000,
};

const partitions: Scenario = {
  name: 'provider-partition',
  description:
    'The library is cut off from P1 twice (requests time out, jobs fail and are requested again), the link to P2 is slow and lossy with a long tail: jobs retry, fail and resume from the last completed cursor; the library catches up after healing.',
  suites: ['ci', 'default'],
  ...common,
  workload: churn(150, 25, 250),
  faults: {
    events: [
      { kind: 'partition', atMs: 600, a: [LIBRARY], b: ['P1'], durationMs: 900 },
      { kind: 'partition', atMs: 2_800, a: [LIBRARY], b: ['P1'], durationMs: 600 },
      { kind: 'linkFaults', atMs: 300, from: 'P2', to: LIBRARY, latencyMs: 20, jitterMs: 30, tailProbability: 0.05, tailMs: 700, lossRate: 0.02, durationMs: 3_500 },
    ],
  },
  durationMs: 5_000,
};

const diskErrors: Scenario = {
  name: 'provider-disk-errors',
  description:
    "The library's kv commits fail with EIO (8%) or ENOSPC (3%) for 3.5 s: an item whose commit fails is not applied (a retry or the next job brings it), a job whose record cannot be written fails; the library catches up.",
  suites: ['ci', 'default'],
  ...common,
  workload: churn(150, 25, 250),
  faults: {
    events: [
      { kind: 'diskError', atMs: 400, node: LIBRARY, area: 'kv', op: 'commit', code: 'EIO', probability: 0.08, durationMs: 3_500 },
      { kind: 'diskError', atMs: 400, node: LIBRARY, area: 'kv', op: 'commit', code: 'ENOSPC', probability: 0.03, durationMs: 3_500 },
    ],
  },
  durationMs: 5_000,
};

/** The swarm's fault kinds: all the defaults but disk-file faults (everything lives in kv stores) and clocks (no protocol time). */
const SWARM_KINDS: FaultKind[] = ['crash', 'pause', 'partition', 'isolate', 'clog', 'stall', 'resetConnections', 'linkFaults', 'diskError'];
const SWARM_TRIGGER_OPS: readonly TriggerOp[] = [
  { area: 'kv', op: 'commit', perSec: 40 },
  { area: 'net', op: 'send', perSec: 60 },
  { area: 'net', op: 'connect', perSec: 0.5 },
];

const swarm: Scenario = {
  name: 'provider-swarm',
  description: 'A library and two providers under a swarm of faults drawn from the seed (crashes, pauses, partitions, clogs, stalls, resets, lossy links, kv errors); after healing the library equals both providers and every invariant held.',
  suites: ['smoke', 'ci', 'default'],
  ...common,
  workload: churn(150, 25, 250),
  faults: { swarm: { kinds: SWARM_KINDS, errorOps: [{ area: 'kv', op: 'commit' }], triggerOps: SWARM_TRIGGER_OPS } },
  durationMs: 5_000,
};

const longSwarm: Scenario = { ...swarm, name: 'provider-swarm-long', description: 'provider-swarm with 30 s of chaos and 600 changes.', suites: ['nightly'], durationMs: 30_000,
  workload: (ctx) => {
    randomChanges(ctx, two, 600, 100, 45);
    syncRequests(ctx, two, 50, 300, 29_000);
    finalSync(ctx, two, 29_600);
  },
  liveness: caughtUp(two, 40_000),
};

export default [crashes, incrementalCrashes, cancels, partitions, diskErrors, swarm, longSwarm];
