/**
 * Plug-in seams at the scenario level: the stock scenarios of every area, run with another implementation.
 *
 * A scenario's program builds the area's node through `ctx.implementations` (the built-in one when an entry
 * is absent). `withImplementations(scenarios, impl)` returns copies of scenarios with `impl` plugged in and
 * renamed `<label>-<name>`, so a user's scenario module can re-run the whole stock suite of an area against
 * their own code:
 *
 *   import { stockScenarios, withImplementations } from 'syncbench';
 *   export default withImplementations(await stockScenarios('election'), { label: 'mine', election: myFactory });
 *
 * The checks are the same for every implementation: they read the trace (what the seam's reporter and the
 * simulator record) and the simulator's ground truth, never the implementation's objects. The implementation
 * is part of the scenario, so a run stays a pure function of (scenario, seed, options) and `replay` of the
 * renamed scenario (from the user's scenarios folder) reproduces it.
 */
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { ElectionFactory } from '../impl/election/types.ts';
import type { HybridClockFactory } from '../impl/peer/hlc.ts';
import type { BlockStorageFactory } from '../impl/storage/seam.ts';
import type { PeerNodeFactory } from '../impl/peer/seam.ts';
import type { CsClientFactory } from '../impl/clientserver/seam.ts';
import type { ProviderLibraryFactory } from '../impl/provider/seam.ts';
import type { Scenario } from './types.ts';
import { ScenarioError, SCENARIOS_DIR, loadScenarios } from './registry.ts';

/**
 * The implementations a scenario runs, by seam. Every entry is optional: an absent one is the built-in
 * implementation. Each area's doc has a guide to its seam (what to implement, what to trace, when).
 */
export interface Implementations {
  /** The leader election of a tab (docs/election.md, "Plugging in another election"). */
  election?: ElectionFactory;
  /** The peer node's hybrid logical clock (docs/peer-sync.md, "Plugging in another HLC"). */
  hlc?: HybridClockFactory;
  /** The block store of a storage scenario's node (docs/storage.md, "Plugging in another block store"). */
  storage?: BlockStorageFactory;
  /** The whole peer sync node (docs/peer-sync.md, "Plugging in another peer node"); not with `hlc` (the built-in node's clock). */
  peer?: PeerNodeFactory;
  /** The client of the client-server slice (docs/client-server.md, "Plugging in another client"). */
  csClient?: CsClientFactory;
  /** The library of the provider slice (docs/provider-sync.md, "Plugging in another library"). */
  providerLibrary?: ProviderLibraryFactory;
}

/** What `withImplementations` plugs in: the implementations and a label naming them. */
export interface PluggedImplementations extends Implementations {
  /** Kebab-case; the copies are named `<label>-<stock name>`. */
  label: string;
}

const LABEL_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The seams `withImplementations` knows, with what each entry must be (for the error of a bad one). */
const SEAMS: Record<keyof Implementations, string> = {
  election: 'an ElectionFactory (deps) => Election',
  hlc: 'a HybridClockFactory (device, wallMs, maxDriftMs) => HybridClock',
  storage: 'a BlockStorageFactory (env, options) => Promise<BlockStorage>',
  peer: 'a PeerNodeFactory (env, options) => Promise<PeerNode>',
  csClient: 'a CsClientFactory (env, ClientOptions) => Promise<ClientHandle>',
  providerLibrary: 'a ProviderLibraryFactory (env, LibraryOptions) => Promise<LibraryHandle>',
};

/**
 * Copies of `scenarios` running `impl` instead of the built-in implementations it names, renamed
 * `<label>-<name>`: each copy gets the seams it builds nodes through, and a scenario that uses none of the
 * given seams is left out (so `stockScenarios()` of every area can be given). Throws ScenarioError for an
 * unknown seam, an entry that is not a function, a bad label, `peer` with `hlc` (the built-in node's clock),
 * or a seam that none of the scenarios uses (a typo would otherwise silently test the built-in code).
 */
export function withImplementations(scenarios: readonly Scenario[], impl: PluggedImplementations): Scenario[] {
  if (typeof impl !== 'object' || impl === null) throw new ScenarioError('withImplementations: the second argument must be { label, ...implementations }');
  if (typeof impl.label !== 'string' || !LABEL_RE.test(impl.label)) {
    throw new ScenarioError(`withImplementations: label '${String(impl.label)}' must be kebab-case (it prefixes the scenario names)`);
  }
  const plugged: Implementations = {};
  for (const [key, value] of Object.entries(impl)) {
    if (key === 'label' || value === undefined) continue;
    if (!(key in SEAMS)) throw new ScenarioError(`withImplementations: unknown seam '${key}' (seams: ${Object.keys(SEAMS).join(', ')})`);
    const seam = key as keyof Implementations;
    if (typeof value !== 'function') throw new ScenarioError(`withImplementations: ${seam} must be ${SEAMS[seam]}, got ${typeof value}`);
    (plugged as Record<string, unknown>)[seam] = value;
  }
  if (Object.keys(plugged).length === 0) throw new ScenarioError('withImplementations: no implementation given (nothing to plug in)');
  for (const seam of Object.keys(plugged) as (keyof Implementations)[]) {
    if (!scenarios.some((s) => (s.seams ?? []).includes(seam))) {
      const areas = [...new Set(scenarios.flatMap((s) => s.seams ?? []))];
      throw new ScenarioError(
        `withImplementations: none of the ${scenarios.length} scenarios builds its nodes through the '${seam}' seam` +
          ` (their seams: ${areas.length > 0 ? areas.join(', ') : 'none'})`,
      );
    }
  }
  if (plugged.peer !== undefined && plugged.hlc !== undefined) {
    throw new ScenarioError("withImplementations: 'hlc' is the built-in peer node's clock: a plugged-in 'peer' node brings its own (plug one of them)");
  }
  // Each copy gets only the seams it builds nodes through; a scenario using none of them is left out (a
  // copy would run the built-in code under the label).
  const out: Scenario[] = [];
  for (const s of scenarios) {
    const mine = Object.entries(plugged).filter(([seam]) => (s.seams ?? []).includes(seam as keyof Implementations));
    if (mine.length === 0) continue;
    out.push({ ...s, name: `${impl.label}-${s.name}`, implementations: { ...s.implementations, ...Object.fromEntries(mine) } });
  }
  return out;
}

/**
 * The stock scenarios of the given areas (folders of the package's scenarios: storage, election, peer,
 * clientserver, provider, demo), or all of them. For `withImplementations` and for tools.
 */
export async function stockScenarios(...areas: string[]): Promise<Scenario[]> {
  const dirs = areas.length === 0 ? [SCENARIOS_DIR] : areas.map((a) => path.join(SCENARIOS_DIR, a));
  const out: Scenario[] = [];
  for (const [i, dir] of dirs.entries()) {
    if (!/^[a-z]+$/.test(areas[i] ?? 'all') || !existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ScenarioError(`stockScenarios: no area '${areas[i]}' (areas: storage, election, peer, clientserver, provider, demo)`);
    }
    out.push(...(await loadScenarios(dir)).map((l) => l.scenario));
  }
  return out;
}
