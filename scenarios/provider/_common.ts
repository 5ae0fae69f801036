/**
 * Shared pieces of the provider sync scenarios: a library node `L` syncing from providers `P1`, `P2`...,
 * the programs by role, the workload (the providers' users adding, modifying, moving and deleting files,
 * uploading some songs twice;
 * the library's user asking for syncs and cancelling them), liveness (every library caught up with every
 * provider's head, nothing pending or running, the progress view idle) and the checks, model and evidence.
 */
import { failsAfterRetriesCheck } from '../../src/model/provider/fails-after-retries.ts';
import { providerFeedEvidence } from '../../src/evidence/provider-feed.ts';
import { providerLibraryEvidence } from '../../src/evidence/provider-library.ts';
import { providerWireEvidence } from '../../src/evidence/provider-wire.ts';
import type { EvidenceRecorder } from '../../src/evidence/types.ts';
import { startProvider, type LibraryHandle, type LibraryOptions, type ProviderHandle, type ProviderServerOptions } from '../../src/impl/provider/index.ts';
import { contentHash } from '../../src/impl/provider/hash.ts';
import type { FileMeta } from '../../src/impl/provider/messages.ts';
import { resolveLibraryOptions } from '../../src/impl/provider/options.ts';
import { providerLibraryFactory } from '../../src/impl/provider/seam.ts';
import { PROVIDER_PROBES } from '../../src/impl/provider/probes.ts';
import { providerChecks } from '../../src/model/provider/index.ts';
import { syncJobModel } from '../../src/model/provider/sync-job-model.ts';
import { cursorSeq, truthOf } from '../../src/model/provider/provider-truth.ts';
import { recordSyncRequest } from '../../src/model/provider/request-covered.ts';
import type { Check, Liveness, Scenario, ScenarioContext, Topology } from '../../src/scenario/types.ts';

/** The library node. */
export const LIBRARY = 'L';

/** Provider ids P1, P2... */
export function providerIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `P${i + 1}`);
}

/** How a scenario's nodes are set up. */
export interface ProviderSetup {
  providers: string[];
  /** Options of every provider, or per provider id. */
  provider?: ProviderServerOptions | ((id: string) => ProviderServerOptions);
  /** Library options besides `providers` and `variant`. */
  library?: Partial<LibraryOptions>;
}

/** The topology: the library and the providers, each on its own device. */
export function providerTopology(s: ProviderSetup): Topology {
  return { nodes: [{ id: LIBRARY, role: 'library' }, ...s.providers.map((id) => ({ id, role: 'provider' }))] };
}

/** The seams a provider scenario's program builds its nodes through (withImplementations). */
export const PROVIDER_SEAMS = ['providerLibrary'] as const;

/**
 * The program: a provider server per provider node, the library on `L`, built through the
 * `providerLibrary` seam (a plugged-in library, else the built-in `startLibrary`).
 */
export function providerProgram(s: ProviderSetup): Scenario['program'] {
  return (node, ctx) => (env) => {
    if (node.role === 'provider') return startProvider(env, typeof s.provider === 'function' ? s.provider(node.id) : (s.provider ?? {}));
    return providerLibraryFactory(ctx.implementations.providerLibrary)(env, { ...s.library, providers: s.providers, variant: ctx.variant });
  };
}

/** Evidence, checks and the sync-job model for a scenario (pass the setup `providerProgram` got). */
export function providerChecking(s: ProviderSetup): { checks: Check[]; models: NonNullable<Scenario['models']>; evidence: EvidenceRecorder[]; probes: readonly string[]; variantAreas: string[] } {
  const cfg = resolveLibraryOptions({ ...s.library, providers: s.providers });
  const who = { libraries: [LIBRARY], providers: s.providers };
  return {
    checks: [...providerChecks({ ...who, queueMax: cfg.queueMax, maxConcurrent: cfg.maxConcurrent, requestTimeoutMs: cfg.requestTimeoutMs }), failsAfterRetriesCheck({ libraries: who.libraries, retriesMax: cfg.retriesMax })],
    models: [syncJobModel(who)],
    evidence: [providerFeedEvidence(), providerLibraryEvidence(), providerWireEvidence()],
    probes: PROVIDER_PROBES,
    variantAreas: ['provider-sync'],
  };
}

const library = (ctx: ScenarioContext): LibraryHandle | null => ctx.handle<LibraryHandle>(LIBRARY);

/**
 * The user asks `h` for a sync of `provider`: recorded for invariant:request-covered (when, the provider's
 * durable head then, the job id the call resolves with); a failed request is traced.
 */
export function askSync(ctx: ScenarioContext, h: LibraryHandle, provider: string): void {
  const device = ctx.sim.nodes.get(LIBRARY)?.deviceId ?? LIBRARY;
  recordSyncRequest(ctx, device, provider, h.requestSync(provider)).catch((e: unknown) => ctx.emit('workload.sync-failed', { error: String(e) }));
}

/** The contents the workload wrote, by `<provider>|<content hash>` (the provider hands out no content). */
const written = new WeakMap<ScenarioContext, Map<string, string>>();

/** The content of a live file, when the workload knows it (it wrote it, or it is an unmodified seed file). */
function contentOf(ctx: ScenarioContext, provider: string, f: FileMeta): string | undefined {
  const known = written.get(ctx)?.get(`${provider}|${f.hash}`);
  if (known !== undefined) return known;
  const seed = /^\/music\/seed-0*(\d+)\.mp3$/.exec(f.path);
  const data = seed === null ? undefined : `seed-${seed[1]}`;
  return data !== undefined && contentHash(data) === f.hash ? data : undefined;
}

/**
 * Live files of one content hash, two or more (the same song uploaded twice: duplicates the library's
 * conflict phase marks, invariant:duplicates-resolved), each sorted by id (the first is the canonical).
 */
function duplicateGroups(live: readonly FileMeta[]): FileMeta[][] {
  const byHash = new Map<string, FileMeta[]>();
  for (const f of live) byHash.set(f.hash, [...(byHash.get(f.hash) ?? []), f]);
  return [...byHash.values()].filter((g) => g.length >= 2).map((g) => g.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

/**
 * One random change at `provider`: add (30%), add a copy of a live file's content under a new path (10%:
 * a duplicate), modify (30%), move (15%) or delete (15%); `k` names a new file. When there are duplicate
 * groups, half the copies copy a group member (the group grows), half the modifications change a member
 * (it leaves the group) and half the deletions delete a group's canonical (the next smallest id becomes
 * canonical): groups form, change and dissolve.
 */
export function randomChange(ctx: ScenarioContext, provider: string, k: number): void {
  const h = ctx.handle<ProviderHandle>(provider);
  if (h === null) return;
  const rng = ctx.rng;
  const live = h.live();
  const roll = rng.float();
  const failed = (e: unknown): void => ctx.emit('workload.change-failed', { provider, error: String(e) });
  let contents = written.get(ctx);
  if (contents === undefined) written.set(ctx, (contents = new Map()));
  const put = (path: string, data: string): void => {
    contents.set(`${provider}|${contentHash(data)}`, data);
    h.put(path, data).catch(failed);
  };
  const aimed = (roll >= 0.3 && roll < 0.7) || roll >= 0.85;
  const groups = aimed && live.length > 0 ? duplicateGroups(live) : [];
  const grouped = groups.length > 0 && rng.float() < 0.5 ? rng.pick(groups) : null;
  const copied = live.length > 0 && roll >= 0.3 && roll < 0.4 ? contentOf(ctx, provider, rng.pick(grouped ?? live)) : undefined;
  if (live.length === 0 || roll < 0.4) return put(`/music/${provider}-${k}.mp3`, copied ?? `track ${provider}-${k}\nby ${rng.int(1000)}`);
  if (roll < 0.7) {
    const f = rng.pick(grouped ?? live);
    put(f.path, `track ${f.id} v${k}\nby ${rng.int(1000)}`);
  } else if (roll < 0.85) h.move(rng.pick(live).id, `/music/moved/${provider}-${k}.mp3`).catch(failed);
  else h.remove((grouped?.[0] ?? rng.pick(live)).id).catch(failed);
}

/** `count` random changes at random providers, one every `everyMs` from `fromMs`. */
export function randomChanges(ctx: ScenarioContext, providers: string[], count: number, fromMs: number, everyMs: number): void {
  const n = Math.max(1, Math.round(count * ctx.workloadScale));
  for (let k = 0; k < n; k++) ctx.at(fromMs + k * everyMs, () => randomChange(ctx, ctx.rng.pick(providers), k));
}

/** Sync requests for random providers every `everyMs` from `fromMs` until `untilMs`. */
export function syncRequests(ctx: ScenarioContext, providers: string[], fromMs: number, everyMs: number, untilMs: number): void {
  for (let t = fromMs; t < untilMs; t += everyMs) {
    ctx.at(t, () => {
      const h = library(ctx);
      if (h !== null) askSync(ctx, h, ctx.rng.pick(providers));
    });
  }
}

/**
 * After the chaos (`atMs`: once the providers' last changes are durable), asks the library for a sync of
 * every provider as soon as it is up, and again 5 ms later, while those syncs run (a second tap on
 * "sync", a push notification during a sync): liveness then waits for both.
 */
export function finalSync(ctx: ScenarioContext, providers: string[], atMs: number): void {
  const request = (then: () => void): void => {
    const h = library(ctx);
    if (h === null) return ctx.at(ctx.nowMs() + 100, () => request(then));
    for (const p of providers) askSync(ctx, h, p);
    then();
  };
  ctx.at(atMs, () => request(() => ctx.at(ctx.nowMs() + 5, () => request(() => undefined))));
}

/**
 * Liveness: every provider's last durable change is in the library — its last job for that provider is
 * durably completed with a cursor at the provider's head — nothing is pending or running, and the
 * progress view has rendered everything. Decided from the facts (the library's own view of itself is
 * only asked whether its view is still rendering).
 */
export function caughtUp(providers: string[], withinMs = 20_000): Liveness {
  return {
    withinMs,
    pollMs: 100,
    done(ctx) {
      const truth = truthOf(ctx);
      const h = library(ctx);
      if (h === null) return `${LIBRARY} is not up`;
      const device = ctx.sim.nodes.get(LIBRARY)?.deviceId ?? LIBRARY;
      for (const p of providers) {
        const last = truth.lastJob(device, p);
        const head = truth.head.get(p) ?? 0;
        if (last === undefined) return `no job of ${p} yet`;
        if (last.state !== 'completed') return `the last job of ${p} (${last.job}) is ${last.state}`;
        if (cursorSeq(last.cursor) !== head) return `the last job of ${p} completed at ${last.cursor ?? '-'}, the provider's head is ${head}`;
      }
      return h.viewBusy() ? 'the progress view is rendering' : true;
    },
  };
}
