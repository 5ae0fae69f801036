/**
 * Handover paths the invariants alone do not show were taken:
 * - a clean close hands leadership over at once (the leader releases; lease mode also posts `resign`),
 *   far sooner than a takeover after lease expiry;
 * - in lease mode, a deposed leader that writes anyway is fenced: every one of its writes after the new
 *   leader's fence is rejected by the store, none accepted — both the correct leader frozen in the middle
 *   of a flush (the batch was past its leadership check) and a leader that never steps down.
 */
import { describe, expect, it } from 'vitest';
import { leaseTakeoverMs, resolveTabOptions } from '../../src/impl/election/options.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { RunOptions, RunResult, Scenario } from '../../src/scenario/types.ts';
import { expectNoWriteThroughA } from './expect-liveness.ts';
import { electionScenario, steadyWrites } from '../../scenarios/election/_common.ts';
import { electionInvariants } from '../../src/model/election/index.ts';
import { leaderPaused } from '../../scenarios/election/handover.ts';

const all = await loadScenarios();

function scenario(name: string): Scenario {
  const s = all.find((l) => l.scenario.name === name)?.scenario;
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
}

interface Rec {
  t: number;
  node: string;
  kind: string;
  data: Record<string, unknown>;
}

/** Runs with the records of `kinds` collected. */
async function runCollecting(s: Scenario, seed: number, kinds: readonly string[], options: RunOptions = {}): Promise<{ r: RunResult; recs: Rec[] }> {
  const recs: Rec[] = [];
  const wanted = kinds.map((k) => `"kind":"${k}"`);
  const r = await runScenario(s, seed, {
    ...options,
    traceSink: (l) => {
      if (wanted.some((w) => l.includes(w))) recs.push(JSON.parse(l) as Rec);
    },
  });
  return { r, recs };
}

const SEEDS = [1, 2, 3];
const settings = resolveTabOptions();
/** Well before the lease could have expired: a tenth of the lease (a takeover after expiry needs leaseTakeoverMs). */
const HANDOVER_BOUND_MS = settings.leaseMs / 10;

describe('clean close: the next leader is elected at once, not after lease expiry', () => {
  it.each(['election-rolling-restarts', 'election-rolling-restarts-lock'])('%s', async (name) => {
    expect(HANDOVER_BOUND_MS).toBeLessThan(leaseTakeoverMs(settings) / 10);
    for (const seed of SEEDS) {
      const { r, recs } = await runCollecting(scenario(name), seed, ['election.stepdown', 'election.leader']);
      expect(r.failure, `${name} seed ${seed}: ${r.failure?.message ?? ''}`).toBeNull();
      const gapsMs: number[] = [];
      let closed: Rec | null = null;
      for (const rec of recs) {
        if (rec.kind === 'election.stepdown' && rec.data.reason === 'closing') {
          expect(closed, `two leaders closed with no leader in between (seed ${seed})`).toBeNull();
          closed = rec;
        } else if (rec.kind === 'election.leader' && closed !== null) {
          expect(rec.node).not.toBe(closed.node);
          gapsMs.push((rec.t - closed.t) / 1000);
          closed = null;
        }
      }
      expect(closed, `the close at ${(closed?.t ?? 0) / 1000} ms was never followed by a leader (seed ${seed})`).toBeNull();
      expect(gapsMs.length, `seed ${seed}: some restart closes the leader`).toBeGreaterThan(0);
      for (const g of gapsMs) expect(g, `seed ${seed}: close to next leader, ms`).toBeLessThan(HANDOVER_BOUND_MS);
      // Lease mode: each of those handovers took the released lease (the probe), not an expired one.
      if (name === 'election-rolling-restarts') expect(r.probes['election.handover-on-close']).toBe(gapsMs.length);
    }
  });
});

/**
 * A's writes and the store's view of them: each fenced.write and fenced.reject of A, and the store
 * position of the first fence by a newer epoch than `staleEpoch`.
 */
function fencingOf(recs: Rec[], staleEpoch: number) {
  const newerFences = recs.filter((x) => x.kind === 'fenced.fence' && (x.data.epoch as number) > staleEpoch);
  const firstNewerFence = Math.min(...newerFences.map((x) => x.data.pos as number));
  const stale = (x: Rec) => x.node === 'A' && x.data.epoch === staleEpoch;
  return {
    firstNewerFence,
    rejected: recs.filter((x) => x.kind === 'fenced.reject' && stale(x)),
    acceptedAfterFence: recs.filter((x) => x.kind === 'fenced.write' && stale(x) && (x.data.pos as number) > firstNewerFence),
    /** Batches A began with the stale epoch after another tab acquired a newer one. */
    staleBegins: recs.filter((x) => x.kind === 'writer.begin' && stale(x) && recs.some((y) => y.kind === 'election.acquired' && y.t < x.t && (y.data.epoch as number) > staleEpoch)),
  };
}

const FENCING_KINDS = ['fenced.fence', 'fenced.write', 'fenced.reject', 'writer.begin', 'election.acquired'] as const;

describe('lease mode: a deposed leader that writes anyway is fenced', () => {
  it('the correct leader frozen mid-flush: the rest of its batch is rejected, none of it accepted (all checks on)', async () => {
    for (const seed of SEEDS) {
      const { r, recs } = await runCollecting(scenario('election-leader-paused-mid-flush'), seed, FENCING_KINDS);
      expect(r.failure, `seed ${seed}: ${r.failure?.message ?? ''}`).toBeNull();
      const f = fencingOf(recs, 1);
      expect(Number.isFinite(f.firstNewerFence), `seed ${seed}: a newer leader fenced the store`).toBe(true);
      expect(f.rejected.length, `seed ${seed}: A's stale writes rejected`).toBeGreaterThan(0);
      expect(f.acceptedAfterFence).toEqual([]);
      expect(r.probes['election.flush-fenced'] ?? 0).toBeGreaterThan(0);
    }
  });

  it('a leader that never steps down (election-no-stepdown, lease-exclusive and the election model off): it keeps writing, every write is rejected, none accepted, and liveness fails', async () => {
    // invariant:lease-exclusive and the election model (mayWrite: past its own lease) would stop the run
    // at A's first stale batch; without them the run goes on, with no-stale-write, one-writer-per-epoch,
    // exactly-once and the request model watching the store.
    // A lighter load than the scenario's: every write through A retries until its deadline.
    const base = electionScenario({ ...leaderPaused, workload: (ctx) => steadyWrites(ctx, leaderPaused.tabs, 200, 7_000, 100) });
    const s: Scenario = { ...base, checks: [electionInvariants(false)], models: base.models?.filter((m) => m.name !== 'election') };
    for (const seed of SEEDS) {
      const { r, recs } = await runCollecting(s, seed, FENCING_KINDS, { variant: 'election-no-stepdown' });
      expect(r.verdict, `seed ${seed}: ${r.failure?.message ?? ''}`).not.toBe('correctness');
      const f = fencingOf(recs, 1);
      expect(f.staleBegins.length, `seed ${seed}: A wrote with its old epoch after being deposed`).toBeGreaterThan(0);
      expect(f.rejected.length, `seed ${seed}: A's stale writes rejected`).toBeGreaterThanOrEqual(f.staleBegins.length);
      expect(f.acceptedAfterFence).toEqual([]);
      // After healing no write through A succeeds: liveness catches it — as the request model's hot state
      // when a write through A is still unanswered at the deadline (hot states hold convergence back).
      expectNoWriteThroughA(r.verdict, r.failure?.check, r.failure?.message);
    }
  });
});
