/**
 * Many duplicates at once: the conflict phase writes its duplicate marks in strict commits of at most 64
 * tracks (coordinator.ts, MARKS_PER_COMMIT); the other scenarios never change more than a few marks in one
 * job, so a batch boundary (the 64th mark, the 65th) was never reached. Here each provider's users upload
 * the same few songs under well over 64 paths (marks to set), then delete some canonicals and modify some
 * copies (marks to change and clear), while the library syncs.
 */
import type { ProviderHandle } from '../../src/impl/provider/index.ts';
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { PROVIDER_SEAMS, caughtUp, finalSync, providerChecking, providerIds, providerProgram, providerTopology, syncRequests, type ProviderSetup } from './_common.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: (id) => ({ pageSize: 20, seedFiles: id === 'P1' ? 10 : 5 }),
  library: { maxConcurrent: 4, queueMax: 32 },
};

/** Copies of each song uploaded (per provider): `SONGS` x `COPIES` files with `SONGS` contents. */
const SONGS = 3;
const COPIES = 70;

function uploads(ctx: ScenarioContext, provider: string, fromMs: number): void {
  const failed = (e: unknown): void => ctx.emit('workload.change-failed', { provider, error: String(e) });
  for (let c = 0; c < COPIES; c++) {
    ctx.at(fromMs + c * 4, () => {
      const h = ctx.handle<ProviderHandle>(provider);
      for (let s = 0; s < SONGS; s++) h?.put(`/music/dup/${provider}-s${s}-c${c}.mp3`, `song ${s}\nby band ${s}`).catch(failed);
    });
  }
}

/** Deletes the smallest-id copy of each song (its group's canonical) `n` times, and modifies a few copies. */
function churn(ctx: ScenarioContext, provider: string, atMs: number, n: number): void {
  ctx.at(atMs, () => {
    const h = ctx.handle<ProviderHandle>(provider);
    if (h === null) return;
    const failed = (e: unknown): void => ctx.emit('workload.change-failed', { provider, error: String(e) });
    const live = h.live().filter((f) => f.path.startsWith('/music/dup/'));
    const copies = live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const f of copies.slice(0, n)) h.remove(f.id).catch(failed);
    for (const f of copies.slice(n, n + 5)) h.put(f.path, `changed ${f.id}\nby ${ctx.rng.int(1000)}`).catch(failed);
  });
}

const manyDuplicates: Scenario = {
  name: 'provider-many-duplicates',
  description: `The users of two providers upload ${SONGS} songs under ${COPIES} paths each (over 64 duplicate marks for one job to write, past a commit's batch of 64), then delete canonicals and change copies, while the library syncs: every completed job leaves every group marked (invariant:duplicates-resolved).`,
  suites: ['ci'],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  seams: PROVIDER_SEAMS,
  workload: (ctx) => {
    two.forEach((p, i) => uploads(ctx, p, 100 + i * 50));
    syncRequests(ctx, two, 700, 400, 2_500);
    two.forEach((p) => churn(ctx, p, 1_300, 2));
    two.forEach((p) => churn(ctx, p, 1_900, 1));
    finalSync(ctx, two, 2_600);
  },
  durationMs: 3_000,
  liveness: caughtUp(two),
  ...providerChecking(setup),
};

export default [manyDuplicates];
