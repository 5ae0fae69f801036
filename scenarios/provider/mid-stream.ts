/**
 * A cursor that expires in the middle of a feed stream: the job read the first pages of the feed and
 * queued their items, then the provider trimmed its feed past the job's position before the next page
 * was asked for. The job must escalate to a full listing durably and go on from there, with the items it
 * already queued or applied kept whole and its progress never going back.
 */
import type { Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import type { LibraryHandle, ProviderHandle } from '../../src/impl/provider/index.ts';
import { PROVIDER_SEAMS, LIBRARY, caughtUp, finalSync, providerChecking, providerIds, providerProgram, providerTopology, askSync, type ProviderSetup } from './_common.ts';

const two = providerIds(2);
const setup: ProviderSetup = {
  providers: two,
  provider: { pageSize: 2, seedFiles: 6, feedMax: 6, listingLagMs: 50 },
  library: { maxConcurrent: 1, queueMax: 1 },
};

/** One cycle per provider: a small burst the next sync can read, the request, then a burst while it reads. */
const CYCLE_MS = 600;
const CYCLES = 7;

/**
 * One change at `p` that keeps its file count about even (so a full listing stays short): modify (70%),
 * move (10%), delete (10%) or add (10%) a file.
 */
function touch(ctx: ScenarioContext, p: string, k: number): void {
  const h = ctx.handle<ProviderHandle>(p);
  if (h === null) return;
  const live = h.live();
  const roll = ctx.rng.float();
  const failed = (e: unknown): void => ctx.emit('workload.change-failed', { provider: p, error: String(e) });
  if (live.length < 3 || roll >= 0.9) return void h.put(`/music/${p}-${k}.mp3`, `track ${p}-${k}`).catch(failed);
  const f = ctx.rng.pick(live);
  if (roll < 0.7) h.put(f.path, `track ${f.id} v${k}`).catch(failed);
  else if (roll < 0.8) h.move(f.id, `/music/moved/${p}-${k}.mp3`).catch(failed);
  else h.remove(f.id).catch(failed);
}

function workload(ctx: ScenarioContext): void {
  let k = 0;
  const sync = (p: string): void => {
    const h = ctx.handle<LibraryHandle>(LIBRARY);
    if (h !== null) askSync(ctx, h, p);
  };
  two.forEach((p, i) => {
    for (let c = 0; c < CYCLES; c++) {
      const base = 100 + c * CYCLE_MS + i * (CYCLE_MS / 2);
      // Fewer than feedMax changes since the last completed sync: the job's first page is served.
      for (let n = 0; n < 3; n++) ctx.at(base + n * 8, () => touch(ctx, p, k++));
      ctx.at(base + 40, () => sync(p));
      // Faster than one slow worker settles items: the feed moves past the job's position.
      for (let n = 0; n < 12; n++) ctx.at(base + 55 + n * 4, () => touch(ctx, p, k++));
      // A sync in the quiet that follows, which completes, so the next cycle's job starts from a cursor the feed still holds.
      ctx.at(base + 300, () => sync(p));
    }
  });
  finalSync(ctx, two, 4_600);
}

const midStream: Scenario = {
  name: 'provider-expired-mid-stream',
  description:
    "Providers keep 6 feed entries and serve pages of 2 over a 20 ms link; one worker with a queue of 1 settles items slower than bursts of 12 changes arrive right after each sync request: the job's cursor expires between two pages, after it queued and applied items, and it escalates to a full listing without losing, repeating or taking back anything.",
  suites: ['ci', 'default'],
  topology: providerTopology(setup),
  program: providerProgram(setup),
  seams: PROVIDER_SEAMS,
  workload,
  faults: {
    events: two.map((p) => ({ kind: 'linkFaults' as const, atMs: 0, from: p, to: LIBRARY, latencyMs: 20, durationMs: 4_500 })),
  },
  durationMs: 5_000,
  liveness: caughtUp(two),
  ...providerChecking(setup),
};

export default [midStream];
