/**
 * Finds, loads and validates the scenarios in `scenarios/`.
 *
 * Every `.ts` file below `scenarios/` (except files and folders whose name starts with `_`, which hold
 * shared helpers) is a scenario module whose default export is a Scenario or an array of them. A module
 * that fails to load, or a scenario that fails validation, is an error naming the file and the field.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validatePlan } from '../faults/plan.ts';
import { isFaultKind } from '../faults/schema.ts';
import type { Scenario } from './types.ts';

/** A scenario module could not be loaded or is invalid. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** A loaded scenario and the file it came from. */
export interface LoadedScenario {
  scenario: Scenario;
  file: string;
}

/** Absolute path of the scenarios folder. */
export const SCENARIOS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scenarios');

function listScenarioFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('_') || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listScenarioFiles(full));
    else if (isScenarioModule(name)) out.push(full);
  }
  return out;
}

/**
 * Whether a file name is a scenario module: TypeScript (loaded through tsx) or JavaScript (the compiled
 * package's own scenarios, or a user's compiled ones); never declarations or tests.
 */
function isScenarioModule(name: string): boolean {
  if (/\.d\.m?ts$/.test(name) || /\.test\.m?[jt]s$/.test(name)) return false;
  return /\.m?[jt]s$/.test(name);
}

const NAME_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Validates one scenario; throws ScenarioError naming the file and the field. */
export function validateScenario(s: Scenario, file: string): void {
  const where = (field: string): string => `${path.relative(process.cwd(), file)}: ${field}`;
  const bad = (field: string, msg: string): never => {
    throw new ScenarioError(`${where(field)}: ${msg}`);
  };
  if (typeof s !== 'object' || s === null) bad('default export', 'is not a scenario object');
  if (typeof s.name !== 'string' || !NAME_RE.test(s.name)) bad('name', `'${String(s.name)}' must be kebab-case`);
  const at = (field: string): string => `${s.name}.${field}`;
  if (typeof s.description !== 'string' || s.description.length === 0) bad(at('description'), 'is missing');
  if (!Array.isArray(s.suites) || s.suites.some((x) => typeof x !== 'string' || !NAME_RE.test(x))) {
    bad(at('suites'), 'must be a list of kebab-case suite names');
  }
  if (typeof s.program !== 'function') bad(at('program'), 'must be a function (node, ctx) => program');
  if (!(typeof s.durationMs === 'number' && s.durationMs > 0 && Number.isFinite(s.durationMs))) {
    bad(at('durationMs'), `must be a positive number of ms, got ${String(s.durationMs)}`);
  }
  const nodes = s.topology?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) bad(at('topology.nodes'), 'must list at least one node');
  const ids = new Set<string>();
  nodes.forEach((n, i) => {
    if (typeof n.id !== 'string' || !/^[A-Za-z0-9_.:/-]+$/.test(n.id)) bad(at(`topology.nodes[${i}].id`), `'${String(n.id)}' is not a valid node id`);
    if (ids.has(n.id)) bad(at(`topology.nodes[${i}].id`), `duplicate node id '${n.id}'`);
    ids.add(n.id);
  });
  validateLiveness(s.liveness, at, bad);
  validateChecks(s.checks, at, bad);
  validateModels(s.models, at, bad);
  validateEvidence(s, at, bad);
  const ex = (s as { explore?: unknown }).explore;
  if (ex !== undefined) {
    const e = ex as { kinds?: unknown; why?: unknown };
    if (!Array.isArray(e.kinds) || !e.kinds.every((k) => typeof k === 'string' && isFaultKind(k))) bad(at('explore.kinds'), 'must be a list of fault kinds');
    if (typeof e.why !== 'string' || e.why.trim() === '') bad(at('explore.why'), 'must say why the other kinds are left out');
  }
  if (s.maxEvents !== undefined && !(Number.isInteger(s.maxEvents) && s.maxEvents > 0)) bad(at('maxEvents'), 'must be a positive integer');
  const seams = (s as { seams?: unknown }).seams;
  if (seams !== undefined && !(Array.isArray(seams) && seams.every((x) => typeof x === 'string' && x.length > 0))) bad(at('seams'), 'must be a list of seam names');
  const impls = (s as { implementations?: unknown }).implementations;
  if (impls !== undefined) {
    if (!isObject(impls)) bad(at('implementations'), 'must be an object of seam -> implementation');
    for (const [seam, f] of Object.entries(impls as object)) {
      if (!(Array.isArray(seams) && seams.includes(seam))) bad(at(`implementations.${seam}`), `this scenario builds no node through the '${seam}' seam`);
      if (typeof f !== 'function' && (typeof f !== 'object' || f === null)) bad(at(`implementations.${seam}`), 'must be an implementation (a factory)');
    }
  }
  const probes = (s as { probes?: unknown }).probes;
  if (probes !== undefined && !(Array.isArray(probes) && probes.every((p) => typeof p === 'string' && p.length > 0))) {
    bad(at('probes'), 'must be a list of probe names (the rare paths this scenario should reach)');
  }
  const env = (s as { env?: unknown }).env;
  if (env !== undefined && !(isObject(env) && Object.values(env).every((v) => typeof v === 'string'))) {
    bad(at('env'), 'must map environment variable names to string values');
  }
  const allow = (s as { allowRealWorld?: unknown }).allowRealWorld;
  if (allow !== undefined && !(Array.isArray(allow) && allow.every((a) => typeof a === 'string' && a.length > 0))) {
    bad(at('allowRealWorld'), "must be a list of host call names (e.g. 'os.hostname')");
  }
  if (s.faults !== undefined && !('swarm' in s.faults)) {
    try {
      validatePlan(s.faults, [...ids]);
    } catch (e) {
      bad(at('faults'), (e as Error).message);
    }
  }
}

type Bad = (field: string, msg: string) => never;
type At = (field: string) => string;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function validateLiveness(live: unknown, at: At, bad: Bad): void {
  if (live === undefined) return;
  if (!isObject(live)) bad(at('liveness'), 'must be an object { withinMs, done, pollMs? }');
  if (!(typeof live.withinMs === 'number' && live.withinMs > 0 && Number.isFinite(live.withinMs))) {
    bad(at('liveness.withinMs'), `must be a positive number of ms, got ${String(live.withinMs)}`);
  }
  if (typeof live.done !== 'function') bad(at('liveness.done'), 'must be a function (ctx) => true | reason');
  if (live.pollMs !== undefined && !(typeof live.pollMs === 'number' && live.pollMs > 0 && Number.isFinite(live.pollMs))) {
    bad(at('liveness.pollMs'), `must be a positive number of ms, got ${String(live.pollMs)}`);
  }
}

function validateChecks(checks: unknown, at: At, bad: Bad): void {
  if (checks === undefined) return;
  if (!Array.isArray(checks)) bad(at('checks'), 'must be a list of checks { name, setup?, final? }');
  checks.forEach((c: unknown, i) => {
    if (!isObject(c)) return bad(at(`checks[${i}]`), 'is not a check object { name, setup?, final? }');
    if (typeof c.name !== 'string' || c.name.length === 0) bad(at(`checks[${i}].name`), 'must be a non-empty string');
    for (const hook of ['setup', 'final']) {
      if (c[hook] !== undefined && typeof c[hook] !== 'function') bad(at(`checks[${i}].${hook}`), 'must be a function (ctx) => void');
    }
  });
}

function validateModels(models: unknown, at: At, bad: Bad): void {
  if (models === undefined) return;
  if (!Array.isArray(models)) bad(at('models'), 'must be a list of model specs { name, machine, kinds, map }');
  models.forEach((m: unknown, i) => {
    if (!isObject(m)) return bad(at(`models[${i}]`), 'is not a model spec { name, machine, kinds, map }');
    if (typeof m.name !== 'string' || m.name.length === 0) bad(at(`models[${i}].name`), 'must be a non-empty string');
    const machine = m.machine;
    if (!isObject(machine) || typeof machine.getInitialSnapshot !== 'function') bad(at(`models[${i}].machine`), 'must be an xstate machine (createMachine / setup().createMachine)');
    if (!Array.isArray(m.kinds) || m.kinds.some((k) => typeof k !== 'string')) bad(at(`models[${i}].kinds`), 'must be a list of trace kinds');
    if (typeof m.map !== 'function') bad(at(`models[${i}].map`), 'must be a function (record) => { instance, event } | null');
  });
}

/** Evidence recorders are well formed, and every fact kind a model reads is produced by one of them. */
function validateEvidence(s: Scenario, at: At, bad: Bad): void {
  const ev: unknown = s.evidence;
  if (ev !== undefined && !Array.isArray(ev)) bad(at('evidence'), 'must be a list of evidence recorders { name, produces, install }');
  const produced = new Set<string>();
  ((ev ?? []) as unknown[]).forEach((r: unknown, i) => {
    if (!isObject(r) || typeof r.install !== 'function' || !Array.isArray(r.produces)) bad(at(`evidence[${i}]`), 'is not an evidence recorder { name, produces, install }');
    for (const k of r.produces as unknown[]) produced.add(String(k));
  });
  (s.models ?? []).forEach((m, i) => {
    for (const f of m.facts ?? []) {
      if (!produced.has(f)) bad(at(`models[${i}].facts`), `model '${m.name}' reads '${f}', but no evidence recorder of the scenario produces it (add it to evidence)`);
    }
  });
}

/** The nearest package.json above `file` and its "type", or null when there is none. */
function nearestPackage(file: string): { path: string; type: unknown } | null {
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        return { path: p, type: (JSON.parse(readFileSync(p, 'utf8')) as { type?: unknown }).type };
      } catch {
        return { path: p, type: undefined };
      }
    }
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * Why a scenario module may have failed to load: outside a package with "type": "module" a .ts file is
 * loaded as CommonJS, and Node fails with a misleading "Cannot require() ES Module ... in a cycle".
 */
function esmHint(file: string): string {
  const pkg = nearestPackage(file);
  if (pkg !== null && pkg.type === 'module') return '';
  const dir = path.relative(process.cwd(), path.dirname(file)) || '.';
  const where = pkg === null ? 'no package.json above it' : `${path.relative(process.cwd(), pkg.path)} has no "type": "module"`;
  return ` (scenario modules are ES modules, but this file is not in a package with "type": "module" (${where}), so Node loads it as CommonJS: add a package.json containing {"type": "module"} to the scenarios folder, e.g. ${dir}/package.json)`;
}

/** Loads every scenario module below `dir`; throws ScenarioError on the first bad one, or when there is none. */
export async function loadScenarios(dir = SCENARIOS_DIR): Promise<LoadedScenario[]> {
  if (dir.trim() === '') throw new ScenarioError('scenarios folder: the path is empty');
  if (!existsSync(dir)) throw new ScenarioError(`scenarios folder ${dir}: does not exist`);
  if (!statSync(dir).isDirectory()) throw new ScenarioError(`scenarios folder ${dir}: is a file, not a folder`);
  const loaded = await loadScenarioFiles(listScenarioFiles(dir));
  // Nothing to list or run: most likely the wrong folder (every target would be an "unknown scenario").
  if (loaded.length === 0) throw new ScenarioError(`scenarios folder ${dir}: holds no scenario (no .ts or .js module below it exports one)`);
  return loaded;
}

let tsxRegistered = false;

/**
 * Makes TypeScript modules importable. Running from the sources, tsx is registered already (this module is
 * TypeScript itself); the compiled package registers it the first time a user's `.ts` scenario is loaded,
 * so a command that loads none (help, compiled scenarios) does not pay for it.
 */
async function typescriptLoader(): Promise<void> {
  if (tsxRegistered || import.meta.url.endsWith('.ts')) return;
  tsxRegistered = true;
  (await import('tsx/esm/api')).register();
}

const fileOfScenario = new WeakMap<Scenario, string>();

/** The module file a loaded scenario came from (undefined for scenarios built elsewhere). */
export function scenarioFile(s: Scenario): string | undefined {
  return fileOfScenario.get(s);
}

/**
 * The `--scenarios-dir` a replay command needs for a loaded scenario: undefined when it came from the
 * default scenarios/ folder (or was not loaded from a file), else the folder of its module (relative to
 * the working directory when inside it).
 */
export function replayScenariosDir(s: Scenario): string | undefined {
  const file = fileOfScenario.get(s);
  if (file === undefined) return undefined;
  const dir = path.dirname(path.resolve(file));
  const fromDefault = path.relative(SCENARIOS_DIR, dir);
  if (!fromDefault.startsWith('..') && !path.isAbsolute(fromDefault)) return undefined;
  const rel = path.relative(process.cwd(), dir);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir;
}

/** Loads the given scenario modules only (worker threads load just what their sweep needs). */
export async function loadScenarioFiles(files: readonly string[]): Promise<LoadedScenario[]> {
  const out: LoadedScenario[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let mod: { default?: unknown };
    try {
      if (/\.m?ts$/.test(file)) await typescriptLoader();
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (e) {
      throw new ScenarioError(`${path.relative(process.cwd(), file)}: failed to load: ${(e as Error).message}${esmHint(file)}`);
    }
    if (mod.default === undefined) {
      throw new ScenarioError(`${path.relative(process.cwd(), file)}: has no default export (a Scenario or Scenario[])`);
    }
    const list = (Array.isArray(mod.default) ? mod.default : [mod.default]) as Scenario[];
    for (const s of list) {
      validateScenario(s, file);
      const prev = seen.get(s.name);
      if (prev !== undefined) throw new ScenarioError(`${path.relative(process.cwd(), file)}: scenario name '${s.name}' is also used in ${prev}`);
      seen.set(s.name, path.relative(process.cwd(), file));
      fileOfScenario.set(s, file);
      out.push({ scenario: s, file });
    }
  }
  return out;
}

/** Suite name -> scenario names, sorted. */
export function suitesOf(scenarios: readonly { scenario: Pick<Scenario, 'name' | 'suites'> }[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const { scenario } of scenarios) for (const suite of scenario.suites) (m.get(suite) ?? m.set(suite, []).get(suite)!).push(scenario.name);
  return new Map([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Resolves CLI targets (scenario or suite names) to scenarios, in order, without duplicates. Unknown
 * names are an error listing what exists.
 */
export function resolveTargets(all: readonly LoadedScenario[], targets: readonly string[]): Scenario[] {
  const byName = new Map(all.map((l) => [l.scenario.name, l.scenario]));
  const suites = suitesOf(all);
  const out: Scenario[] = [];
  const add = (s: Scenario): void => {
    if (!out.includes(s)) out.push(s);
  };
  for (const t of targets) {
    const s = byName.get(t);
    if (s !== undefined) add(s);
    else if (suites.has(t)) for (const n of suites.get(t)!) add(byName.get(n)!);
    else {
      const near = nearNames(t, [...byName.keys()]);
      throw new ScenarioError(
        `unknown scenario or suite '${t}'${near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : ''}; ` +
          `suites: ${[...suites.keys()].join(', ')}; \`syncbench list\` shows all ${byName.size} scenarios`,
      );
    }
  }
  return out;
}

/** Up to 6 names close to a mistyped one: those containing it, else those within a small edit distance. */
function nearNames(typed: string, names: readonly string[]): string[] {
  const containing = names.filter((n) => n.includes(typed));
  if (containing.length > 0) return containing.slice(0, 6);
  const limit = Math.max(2, Math.floor(typed.length / 4));
  return names
    .map((n) => ({ n, d: editDistance(typed, n) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1))
    .slice(0, 6)
    .map((x) => x.n);
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}
