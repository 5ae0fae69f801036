/**
 * The election scenarios that freeze "the leader" aim at whoever leads when the fault fires (docs/faults.md,
 * "Targets resolved when the fault fires"), not at tab A: run with other election timing (every tab starting
 * at the same instant, so the seed decides who wins; B starting first; a plugged-in third-party-style
 * election that announces nothing on the bus), the paused tab
 * is the one that led at that moment, by the election's own reports (lease mode) or by the simulator's lock
 * records (lock mode) — where the plan's old fixed id 'A' would have frozen a follower on some seeds.
 */
import { describe, expect, it } from 'vitest';
import { ELECTION_LOCK } from '../../src/impl/election/lock-election.ts';
import type { ElectionFactory } from '../../src/impl/election/types.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { RunResult } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { electionScenario, steadyWrites, type ElectionScenarioSpec } from '../../scenarios/election/_common.ts';
import { leaderPaused, leaderPausedMidFlush, lockLeaderPaused } from '../../scenarios/election/handover.ts';
import { StickyLeaseElection } from './sticky-lease-election.ts';

type Rec = TraceRecord;

const KINDS = ['election.leader', 'election.stepdown', 'fault.pause', 'fault.miss', 'lock.grant', 'lock.release', 'node.crash'];

async function run(spec: ElectionScenarioSpec, seed: number): Promise<{ r: RunResult; recs: Rec[] }> {
  const recs: Rec[] = [];
  const wanted = KINDS.map((k) => `"kind":"${k}"`);
  const r = await runScenario(electionScenario(spec), seed, {
    traceSink: (l) => {
      if (wanted.some((w) => l.includes(w))) recs.push(JSON.parse(l) as Rec);
    },
  });
  return { r, recs };
}

/** The tab leading just before record `i`, by the election's own reports (its latest leader, not stepped down since). */
function reportedLeaderBefore(recs: readonly Rec[], i: number): string | null {
  let leader: string | null = null;
  for (const rec of recs) {
    if (rec.i >= i) break;
    if (rec.kind === 'election.leader') leader = rec.node;
    if ((rec.kind === 'election.stepdown' || rec.kind === 'node.crash') && rec.node === leader) leader = null;
  }
  return leader;
}

/** The tab holding the election's lock just before record `i`, by the lock manager's records. */
function lockHolderBefore(recs: readonly Rec[], i: number): string | null {
  let holder: string | null = null;
  for (const rec of recs) {
    if (rec.i >= i) break;
    if (rec.kind === 'lock.grant' && rec.data.name === ELECTION_LOCK) holder = rec.node;
    if (rec.kind === 'lock.release' && rec.data.name === ELECTION_LOCK && rec.node === holder) holder = null;
  }
  return holder;
}

/** Seeds on which, with every tab starting together, A (seed 1) and B (seed 2) win the first lease. */
const SEEDS = [1, 2];
/** Every tab starting at the same instant: the seed decides who wins the first election. */
const together = { startAtMs: {} };
/** A lighter load than the stock scenarios' (a write per tab every 100 ms): the target is what is checked here. */
const light = { workload: (ctx: Parameters<ElectionScenarioSpec['workload']>[0]) => steadyWrites(ctx, leaderPaused.tabs, 200, 6_000, 100) };
/** B starts first (lock requests queue in order: B holds the election lock first). */
const bFirst = { startAtMs: { A: 100, C: 100 } };

describe('"pause the leader" hits the leader whatever the election timing', () => {
  it('election-leader-paused, tabs starting together: the paused tab led then; a fixed id would have missed', async () => {
    const paused = new Set<string>();
    for (const seed of SEEDS) {
      const { r, recs } = await run({ ...leaderPaused, ...together, ...light, name: 'election-leader-paused-together', suites: [] }, seed);
      expect(r.failure, `seed ${seed}: ${r.failure?.message ?? ''}`).toBeNull();
      const fault = recs.find((x) => x.kind === 'fault.pause');
      expect(fault, `seed ${seed}: ${JSON.stringify(recs.find((x) => x.kind === 'fault.miss'))}`).toBeDefined();
      expect(fault!.data.selectors).toEqual({ node: { leader: 'election' } });
      expect(fault!.data.node, `seed ${seed}`).toBe(reportedLeaderBefore(recs, fault!.i));
      paused.add(String(fault!.data.node));
    }
    // The old plan froze 'A' at 1,500 ms: on seed 2 B led then, so it would have frozen a follower.
    expect([...paused].sort()).toEqual(['A', 'B']);
  });

  it('a plugged-in third-party-style election (no bus announcements, other timing): the store\'s fence says who leads', async () => {
    const spec = { ...leaderPaused, ...together, ...light, name: 'election-leader-paused-sticky-together', suites: [], factory: ((deps) => new StickyLeaseElection(deps)) satisfies ElectionFactory };
    for (const seed of SEEDS) {
      const { recs } = await run(spec, seed); // its flaw fails the run (lease-exclusive); the target is what is checked here
      const fault = recs.find((x) => x.kind === 'fault.pause')!;
      expect(fault, `seed ${seed}`).toBeDefined();
      expect(fault.data.node, `seed ${seed}`).toBe(reportedLeaderBefore(recs, fault.i));
      expect(String((fault.data.evidence as Record<string, string>).node)).toMatch(/raised the durable fencing epoch of store 'store' to \d+/);
    }
  });

  it('election-leader-paused-mid-flush, B starting first: the burst goes to B and B is frozen in the middle of flushing it', async () => {
    const { r, recs } = await run({ ...leaderPausedMidFlush, ...bFirst, name: 'election-leader-paused-mid-flush-b-first', suites: [] }, 1);
    expect(r.failure, r.failure?.message).toBeNull();
    const fault = recs.find((x) => x.kind === 'fault.pause')!;
    expect(fault.data.node).toBe('B');
    expect(reportedLeaderBefore(recs, fault.i)).toBe('B');
    // Its batch, past its leadership check when it froze, was fenced on resume: it was mid-flush.
    expect(r.probes['election.flush-fenced'] ?? 0).toBeGreaterThan(0);
  });

  it('election-lock-leader-paused, B starting first: the paused tab held the election lock then (B, not the old plan\'s A)', async () => {
    const holders = new Set<string>();
    for (const seed of SEEDS) {
      const { r, recs } = await run({ ...lockLeaderPaused, ...bFirst, ...light, name: 'election-lock-leader-paused-b-first', suites: [] }, seed);
      expect(r.failure, `seed ${seed}: ${r.failure?.message ?? ''}`).toBeNull();
      const fault = recs.find((x) => x.kind === 'fault.pause')!;
      expect(fault.data.selectors).toEqual({ node: { holder: 'lock', name: ELECTION_LOCK } });
      expect(fault.data.node, `seed ${seed}`).toBe(lockHolderBefore(recs, fault.i));
      holders.add(String(fault.data.node));
    }
    expect([...holders]).toEqual(['B']);
  });
});
