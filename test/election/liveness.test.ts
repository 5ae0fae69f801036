/**
 * The liveness checks can fail: no leader after healing, a write that never settles, and no write
 * succeeding after healing (a leader that fails every write).
 */
import { describe, expect, it } from 'vitest';
import type { ElectionTabHandle } from '../../src/impl/election/tab.ts';
import type { Election, ElectionEvent, Role } from '../../src/impl/election/types.ts';
import { WriteError } from '../../src/impl/election/writer.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { electionScenario, steadyWrites } from '../../scenarios/election/_common.ts';
import { electionInvariants } from '../../src/model/election/index.ts';
import { leaderPaused } from '../../scenarios/election/handover.ts';
import { expectNoWriteThroughA } from './expect-liveness.ts';
import { StickyLeaseElection } from './sticky-lease-election.ts';

const tabs = ['A', 'B'];

/** An election that never elects anyone. */
class NeverLeader implements Election {
  start(): void {}
  role(): Role {
    return 'follower';
  }
  epoch(): number {
    return 0;
  }
  canWrite(): boolean {
    return false;
  }
  fenced(): void {}
  subscribe(_l: (e: ElectionEvent) => void): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

function base(factory?: () => Election): Scenario {
  return electionScenario({
    name: 'election-liveness-probe',
    description: 'Two tabs and a few writes, for probing the liveness checks.',
    suites: [],
    tabs,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, tabs, 100, 500, 100),
    durationMs: 1_000,
    factory: factory === undefined ? undefined : () => factory(),
  });
}

/**
 * `base()` for the fake handles below, without invariant:api-agrees: they answer role() and epoch() with no
 * election behind them (that check would fail them first; these tests are about the liveness checks), and
 * without invariant:fails-for-cause (a write failing at once is a correctness failure first: tested below).
 */
function fakeTabs(handle: ElectionTabHandle, extra: Partial<Scenario> = {}, keep: readonly string[] = []): Scenario {
  const s = base();
  const off = ['invariant:api-agrees', 'fails-for-cause'].filter((n) => !keep.includes(n));
  return { ...s, ...extra, program: () => () => handle, checks: (s.checks ?? []).filter((c) => !off.includes(c.name)) };
}

/** A tab whose election says it leads and whose writes go through `write`. */
function leaderHandle(write: () => Promise<never>): ElectionTabHandle {
  return { write, read: async () => undefined, role: () => 'leader', epoch: () => 1, pendingWrites: () => 0, takeOver: () => {}, close: async () => {} };
}

describe('election liveness checks', () => {
  it('no leader within the bound after healing is a liveness failure', async () => {
    const r = await runScenario(base(() => new NeverLeader()), 1);
    expect(r.verdict).toBe('liveness');
    expect(r.failure?.check).toBe('liveness:leader-bound');
  });

  it('a write that never settles is a liveness failure even during chaos', async () => {
    const hanging = leaderHandle(() => new Promise(() => {}));
    const s = fakeTabs(hanging, { durationMs: 20_000 });
    const r = await runScenario(s, 1);
    expect(r.verdict).toBe('liveness');
    expect(r.failure?.check).toBe('liveness:write-hang');
    expect(r.failure!.timeUs).toBeLessThan(20_000_000); // caught during chaos, not after healing
  });
});

describe('after healing, a write must succeed (writes ending in errors is not enough)', () => {
  it('a leader that fails every write is a liveness failure', async () => {
    const failing = leaderHandle(() => Promise.reject(new WriteError('EFENCED', true, 'stuck leader')));
    const r = await runScenario(fakeTabs(failing), 1);
    expect(r.verdict).toBe('liveness');
    expect(r.failure?.check).toBe('liveness:write-after-heal');
    expect(r.failure?.message).toContain('last EFENCED');
  });

  it('with invariant:fails-for-cause on, the same leader fails correctness first: its writes fail at once, not at their deadline', async () => {
    const failing = leaderHandle(() => Promise.reject(new WriteError('EFENCED', true, 'stuck leader')));
    const r = await runScenario(fakeTabs(failing, {}, ['fails-for-cause']), 1);
    expect(r.verdict).toBe('correctness');
    expect(r.failure?.check).toBe('invariant:fails-for-cause');
    expect(r.failure?.message).toContain('failed with EFENCED');
  });

  // The built-in election-no-stepdown variant, run the same way, fails the same way: handover.test.ts.
  it('a plugged-in lease election that never steps down, with lease-exclusive and the election model off: every write through the deposed leader fails', async () => {
    // election-leader-paused with a lighter load (every write through the deposed leader retries until
    // its deadline), and with invariant:lease-exclusive and the election model (mayWrite: it heard the
    // new leader's announcement) off: only fencing and liveness stand in the way.
    const base = electionScenario({ ...leaderPaused, name: 'election-leader-paused-sticky', workload: (ctx) => steadyWrites(ctx, leaderPaused.tabs, 200, 7_000, 100), factory: (deps) => new StickyLeaseElection(deps) });
    const s: Scenario = { ...base, checks: [electionInvariants(false)], models: base.models?.filter((m) => m.name !== 'election') };
    for (const seed of [1, 2, 3]) {
      const r = await runScenario(s, seed);
      expectNoWriteThroughA(r.verdict, r.failure?.check, r.failure?.message);
    }
  });

  it('the correct implementation gets a probe write through every tab after healing', async () => {
    const results: { node: string; ok: boolean; t: number }[] = [];
    const r = await runScenario(electionScenario(leaderPaused), 1, {
      traceSink: (l) => {
        if (!l.includes('"workload.result"')) return;
        const rec = JSON.parse(l) as { t: number; data: { node: string; ok: boolean } };
        results.push({ node: rec.data.node, ok: rec.data.ok, t: rec.t });
      },
    });
    expect(r.failure, r.failure?.message).toBeNull();
    const healUs = leaderPaused.durationMs * 1000;
    const after = results.filter((x) => x.t >= healUs && x.ok).map((x) => x.node);
    expect([...new Set(after)].sort()).toEqual(['A', 'B', 'C']);
  });
});

describe('lease timing assumptions', () => {
  it('without the drift margin, drifting clocks let a follower take over while the frozen leader still trusts its lease', async () => {
    const three = ['A', 'B', 'C'];
    const s = electionScenario({
      name: 'election-drift-no-margin',
      description: 'election-clock-drift with clockDriftMaxPpm 0 and no safety margin.',
      suites: [],
      tabs: three,
      mode: 'lease',
      startAtMs: { B: 100, C: 100 },
      clocks: { A: { driftPpm: -40_000 }, B: { driftPpm: 40_000 }, C: { driftPpm: 25_000 } },
      options: { clockDriftMaxPpm: 0, safetyMarginMs: 0, renewEveryMs: 50 },
      workload: (ctx) => steadyWrites(ctx, three, 200, 5_000, 20),
      faults: { events: [{ kind: 'pause', atMs: 1_500, node: 'A', durationMs: 2_000 }] },
      durationMs: 6_000,
    });
    for (const seed of [1, 2, 3]) {
      const r = await runScenario(s, seed);
      expect(r.verdict, `seed ${seed}`).toBe('correctness');
      expect(r.failure?.check).toBe('invariant:lease-exclusive');
    }
  });
});
