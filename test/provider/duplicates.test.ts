/**
 * invariant:duplicates-resolved (src/model/provider/duplicates-resolved.ts) and the conflict phase it
 * judges (coordinator.ts `resolveDuplicates`): first on hand-made facts (what it allows and refuses), then
 * on runs: a library that leaves a mark behind when its canonical is deleted is caught, the judgement by
 * hash written since the last completion gives the verdicts of the full one, and the workload does form,
 * change and dissolve groups.
 */
import { describe, expect, it } from 'vitest';
import { duplicateMarks } from '../../src/impl/provider/coordinator.ts';
import { startLibrary } from '../../src/impl/provider/library.ts';
import { LibraryStore, type TrackRec } from '../../src/impl/provider/library-store.ts';
import type { ProviderLibraryFactory } from '../../src/impl/provider/seam.ts';
import { duplicatesResolvedCheck } from '../../src/model/provider/index.ts';
import { stockScenarios } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { checkHarness } from '../check-harness.ts';
import { plugged } from '../scenario/seam-testing.ts';

const NAME = 'invariant:duplicates-resolved';

/** The check on hand-made facts of library L syncing P1: `track(id, hash, dupOf, deleted)`, `complete(job)`. */
function facts(full = false): { failures: string[]; track(id: string, hash: string, dupOf?: string | null, deleted?: boolean): void; complete(job: number): void } {
  const h = checkHarness(duplicatesResolvedCheck({ full }));
  let rev = 0;
  return {
    failures: h.failures,
    track: (id, hash, dupOf = null, deleted = false) =>
      void h.emit('sim', 'fact.library.track', { device: 'L', provider: 'P1', id, rev: ++rev, deleted, path: `/${id}`, hash, blob: deleted ? null : hash, blobRev: deleted ? null : rev, dupOf }),
    complete: (job) => void h.emit('sim', 'fact.library.job', { device: 'L', job, provider: 'P1', requested: 'incremental', type: 'incremental', state: 'completed', from: null, cursor: '0:1', items: 0, bytes: 0 }),
  };
}

describe('invariant:duplicates-resolved on hand-made facts', () => {
  it('a group marked to its smallest id passes; it changing and dissolving with its marks following passes', () => {
    for (const full of [false, true]) {
      const f = facts(full);
      f.track('f1', 'a');
      f.track('f2', 'b');
      f.track('f3', 'a', 'f1');
      f.track('f4', 'a', 'f1');
      f.complete(1);
      f.track('f1', 'a', null, true); // the canonical deleted: f3 is the canonical now
      f.track('f3', 'a', null);
      f.track('f4', 'a', 'f3');
      f.track('f2', 'c'); // alone with its new hash
      f.complete(2);
      f.track('f4', 'd'); // modified: the group dissolves
      f.track('f3', 'a', null);
      f.complete(3);
      expect(f.failures, `full ${full}`).toEqual([]);
    }
  });

  it('refuses an unmarked copy, the wrong canonical, a mark left after the canonical\'s deletion, a marked tombstone', () => {
    const judge = (steps: (f: ReturnType<typeof facts>) => void): string[] => {
      const f = facts();
      steps(f);
      f.complete(1);
      return f.failures;
    };
    expect(judge((f) => (f.track('f1', 'a'), f.track('f2', 'a')))).toEqual([
      `${NAME}: job 1 of P1 completed on L, but its durable duplicate marks are not resolved: f2 is unmarked, not dupOf f1 (the live tracks with hash a are f1, f2) (trace #2)`,
    ]);
    expect(judge((f) => (f.track('f1', 'a', 'f2'), f.track('f2', 'a')))[0]).toMatch(/f1 is marked dupOf f2, not unmarked \(the live tracks with hash a are f1, f2\); f2 is unmarked, not dupOf f1/);
    expect(judge((f) => (f.track('f1', 'a'), f.track('f2', 'a', 'f1'), f.track('f1', 'a', null, true)))[0]).toMatch(/f2 is marked dupOf f1, not unmarked \(it is the only live track with hash a\)/);
    expect(judge((f) => (f.track('f1', 'a'), f.track('f2', 'a', 'f1', true)))[0]).toMatch(/f2 is marked dupOf f1, not unmarked \(it is a tombstone\)/);
    // Three groups wrong: three shown, and the count.
    expect(judge((f) => ['a', 'b', 'c', 'd'].forEach((h, i) => (f.track(`f${i}0`, h), f.track(`f${i}1`, h))))[0]).toMatch(/f01 is unmarked.*; f11 is unmarked.*; f21 is unmarked.*\(4 tracks in all\)/);
  });

  it('judges only at a completion, once per job; a mark fixed before the next completion passes it', () => {
    const f = facts();
    f.track('f1', 'a');
    f.track('f2', 'a');
    expect(f.failures).toEqual([]);
    f.track('f2', 'a', 'f1');
    f.complete(1);
    f.complete(1);
    expect(f.failures).toEqual([]);
  });
});

describe('the conflict phase', () => {
  it('duplicateMarks: the smallest id of each live group is canonical; tombstones and lone tracks are unmarked', () => {
    const t = (fileId: string, hash: string, deleted = false): TrackRec => ({ provider: 'P1', fileId, path: `/${fileId}`, hash, size: 1, rev: 1, deleted, title: '', dupOf: null });
    const marks = duplicateMarks([t('f3', 'a'), t('f1', 'a', true), t('f2', 'a'), t('f9', 'a'), t('f4', 'b'), t('f5', 'c'), t('f6', 'c', true)]);
    expect([...marks].sort()).toEqual([['f3', 'f2'], ['f9', 'f2']]);
  });
});

/**
 * A port whose conflict phase clears a mark only while the mark's canonical is live: when the canonical
 * is deleted, its copies keep pointing at the tombstone (the group's next member should be canonical).
 */
class StaleMarksStore extends LibraryStore {
  override markDuplicates(provider: string, marks: ReadonlyMap<string, string | null>, basis: ReadonlyMap<string, TrackRec>): Promise<number> {
    const kept = [...marks].filter(([id]) => {
      const was = basis.get(id)?.dupOf ?? null;
      return was === null || basis.get(was)?.deleted !== true;
    });
    return super.markDuplicates(provider, new Map(kept), basis);
  }
}
const staleMarksLibrary: ProviderLibraryFactory = (env, options) => startLibrary(env, options, new StaleMarksStore(env));

const stock = await stockScenarios('provider');
const byName = (name: string): Scenario => stock.find((s) => s.name === name)!;
/** `s` with the check judging every hash at every completion. */
const judgedInFull = (s: Scenario): Scenario => ({ ...s, checks: s.checks!.map((k) => (k.name === NAME ? duplicatesResolvedCheck({ full: true }) : k)) });

describe('invariant:duplicates-resolved on runs', () => {
  it('a library that leaves marks pointing at a deleted canonical fails provider-incremental', async () => {
    for (const seed of [0, 1]) {
      const r = await runScenario(plugged(stock, 'provider-incremental', 'stale-marks', { providerLibrary: staleMarksLibrary }), seed);
      expect(`${r.verdict} ${r.failure?.check}`).toBe(`correctness ${NAME}`);
      expect(r.failure?.message).toMatch(/: f\d+ is marked dupOf (f\d+), not (unmarked \(it is the only live track|dupOf (?!\1)f\d+ \(the live tracks) with hash/);
    }
  });

  it('judging only the hashes written since the last completion gives the verdicts of judging every hash', async () => {
    for (const name of ['provider-incremental', 'provider-crash-incremental']) {
      for (const seed of [0, 1]) {
        for (const variant of [undefined, 'provider-no-dedup']) {
          const r = await runScenario(byName(name), seed, { variant });
          const full = await runScenario(judgedInFull(byName(name)), seed, { variant });
          expect(`${r.verdict} ${r.failure?.check} ${r.failure?.message}`, `${name} ${seed} ${variant}`).toBe(`${full.verdict} ${full.failure?.check} ${full.failure?.message}`);
        }
      }
    }
  });
});

describe('the provider workload uploads duplicates', () => {
  /**
   * The durable duplicate marks of a run, from its `fact.library.track` records: marks set on an unmarked
   * track, marks re-pointed at another canonical (the old one deleted), marks cleared (the group changed
   * or dissolved; a track rewritten by processing starts unmarked and is not counted).
   */
  async function marks(name: string, seed: number): Promise<{ set: number; moved: number; cleared: number }> {
    const last = new Map<string, { rev: number; dupOf: string | null }>();
    const n = { set: 0, moved: 0, cleared: 0 };
    const r = await runScenario(byName(name), seed, {
      traceSink: (line) => {
        if (!line.includes('"fact.library.track"')) return;
        const d = (JSON.parse(line) as { data: { device: string; provider: string; id: string; rev: number; dupOf: string | null } }).data;
        const key = `${d.device}|${d.provider}/${d.id}`;
        const before = last.get(key);
        last.set(key, { rev: d.rev, dupOf: d.dupOf });
        if (before === undefined || before.rev !== d.rev) return;
        if (before.dupOf === null && d.dupOf !== null) n.set++;
        else if (before.dupOf !== null && d.dupOf !== null) n.moved++;
        else if (before.dupOf !== null && d.dupOf === null) n.cleared++;
      },
    });
    expect(r.verdict, `${name} seed ${seed}`).toBe('pass');
    return n;
  }

  it('groups form, change their canonical and dissolve in provider-incremental, provider-crash-incremental and provider-swarm', async () => {
    let moved = 0;
    for (const name of ['provider-incremental', 'provider-crash-incremental', 'provider-swarm']) {
      const total = { set: 0, moved: 0, cleared: 0 };
      for (const seed of [0, 1, 2]) for (const [k, v] of Object.entries(await marks(name, seed))) total[k as keyof typeof total] += v;
      expect(total.set, name).toBeGreaterThan(0);
      expect(total.cleared, name).toBeGreaterThan(0);
      moved += total.moved;
    }
    expect(moved).toBeGreaterThan(0);
  });
});
