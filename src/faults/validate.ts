/**
 * Parsing and validation of fault plans. Every problem is reported before the run, with the path of the
 * bad field (`faults.events[3].node: unknown node 'X' (nodes: A, B)`), never as a crash during it.
 *
 * `parsePlan` accepts JSON text or an already-parsed value and returns a fresh plan holding only known
 * fields, in schema order (so printing and hashing a parsed plan is stable).
 */
import type { FaultEvent, FaultKind, FaultPlan, Trigger, TriggerArea } from './plan.ts';
import { CORRUPT_MODES, DISK_ERROR_CODES, FAULT_KINDS, FAULT_SCHEMA, IMMEDIATE_AREAS, TASK_SOURCES, TRIGGER_AREAS, type FieldType } from './schema.ts';
import { SELECTORS, formatRef, isSelector, sameRef, type NodeRef, type NodeSelector } from './select.ts';

/** A plan (or one of its fields) is malformed; `path` names the field. */
export class FaultPlanError extends Error {
  override name = 'FaultPlanError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** What a plan may refer to: the scenario's node ids (undefined: any non-empty id). */
type Scope = readonly string[] | undefined;

/** Explicit limits on plans (a plan beyond them is rejected, not truncated). */
export const PLAN_LIMITS = {
  /** Events in one plan. */
  eventsMax: 100_000,
  /** Latest `atMs` (about 115 days of virtual time). */
  atMsMax: 1e10,
  /** Longest duration or delay, ms (one day). */
  durationMsMax: 86_400_000,
  /** Longest network delay or stall, ms (one hour: the network's bound on latencies). */
  netMsMax: 3_600_000,
  /** Largest clock step either way, ms (ten years). */
  clockJumpMsMax: 315_360_000_000,
  /** Largest clock drift either way, ppm (10%). */
  driftPpmMax: 100_000,
  /** Largest trigger count / nth. */
  nthMax: 1_000_000_000,
} as const;

/**
 * Operation names each area reports to the interceptors ('*' is any). Disk: one per Disk method, except
 * that readFile is reported as 'read'. Kv: the commit of a readwrite transaction, and the reads inside any
 * transaction (get, keys). A trigger on a name outside this table would never fire, so it is rejected.
 */
export const AREA_OPS: Readonly<Record<TriggerArea, readonly string[]>> = {
  disk: ['*', 'read', 'writeFile', 'write', 'truncate', 'fsync', 'fsyncDir', 'mkdir', 'rename', 'unlink', 'list', 'stat'],
  kv: ['*', 'commit', 'get', 'keys'],
  net: ['*', 'send', 'datagram', 'connect'],
  bus: ['*', 'post'],
  lock: ['*', 'request'],
};

/** Other names users write for an operation, with the name to use. */
const OP_ALIASES: Readonly<Record<string, string>> = { readFile: 'read' };

type Json = Record<string, unknown>;

function fail(path: string, reason: string): never {
  throw new FaultPlanError(path, reason);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : v === null ? 'null' : 'an object';
  return String(v);
}

function checkNode(v: unknown, path: string, scope: Scope): string {
  if (typeof v !== 'string' || v === '') fail(path, `expected a node id, got ${describe(v)}`);
  if (scope !== undefined && !scope.includes(v)) {
    fail(path, `unknown node '${v}' (nodes: ${scope.join(', ')})`);
  }
  return v;
}

function checkNodes(v: unknown, path: string, scope: Scope): string[] {
  if (!Array.isArray(v) || v.length === 0) fail(path, `expected a non-empty list of node ids, got ${describe(v)}`);
  const out = v.map((n, i) => checkNode(n, `${path}[${i}]`, scope));
  const dup = out.find((n, i) => out.indexOf(n) !== i);
  if (dup !== undefined) fail(path, `node '${dup}' is listed twice`);
  return out;
}

const SELECTOR_KEYS = Object.keys(SELECTORS);

/** A selector: exactly one registry key, its value, its fields; returned with its fields in registry order. */
function checkSelector(v: Json, path: string, scope: Scope): NodeSelector {
  const keys = Object.keys(v).filter((k) => SELECTOR_KEYS.includes(k));
  if (keys.length !== 1) {
    const found = keys.length === 0 ? `none of ${SELECTOR_KEYS.join(', ')}` : `${keys.join(' and ')}`;
    fail(path, `a selector names one kind (${SELECTOR_KEYS.join(', ')}), got ${found}`);
  }
  const spec = SELECTORS[keys[0]!]!;
  for (const key of Object.keys(v)) {
    if (key !== spec.key && !spec.fields.some((f) => f.name === key)) {
      fail(`${path}.${key}`, `unknown field of a ${spec.key} selector (fields: ${[spec.key, ...spec.fields.map((f) => f.name)].join(', ')})`);
    }
  }
  const value = v[spec.key];
  const out: Json = {};
  if (spec.values === 'resource') {
    if (typeof value !== 'string' || value === '') fail(`${path}.${spec.key}`, `expected a resource name or '*', got ${describe(value)}`);
    out[spec.key] = value;
  } else {
    out[spec.key] = checkEnum(value, `${path}.${spec.key}`, spec.values);
  }
  for (const f of spec.fields) {
    const fv = v[f.name];
    if (fv === undefined) {
      if (f.required) fail(`${path}.${f.name}`, `missing (a ${spec.key} selector needs ${f.name})`);
      continue;
    }
    if (f.type === 'node') out[f.name] = checkNode(fv, `${path}.${f.name}`, scope);
    else if (f.values !== undefined) out[f.name] = checkEnum(fv, `${path}.${f.name}`, f.values);
    else if (typeof fv !== 'string' || fv === '') fail(`${path}.${f.name}`, `expected a non-empty ${f.type === 'device' ? 'device id' : 'name'}, got ${describe(fv)}`);
    else out[f.name] = fv;
  }
  return out as unknown as NodeSelector;
}

/** Parses a selector given on its own (swarm options): FaultPlanError naming `path` when malformed. */
export function parseSelector(v: unknown, path: string, nodes?: readonly string[]): NodeSelector {
  if (!isObject(v)) fail(path, `expected a selector (${SELECTOR_KEYS.map((k) => `{${k}: ...}`).join(', ')}), got ${describe(v)}`);
  return checkSelector(v, path, nodes);
}

/** A node id, or a selector standing for the node the event fires at. */
function checkTarget(v: unknown, path: string, scope: Scope): NodeRef {
  if (isObject(v)) return checkSelector(v, path, scope);
  if (typeof v !== 'string' || v === '') {
    fail(path, `expected a node id or a selector (${SELECTOR_KEYS.map((k) => `{${k}: ...}`).join(', ')}), got ${describe(v)}`);
  }
  return checkNode(v, path, scope);
}

function checkTargets(v: unknown, path: string, scope: Scope): NodeRef[] {
  if (!Array.isArray(v) || v.length === 0) fail(path, `expected a non-empty list of node ids or selectors, got ${describe(v)}`);
  const out = v.map((n, i) => checkTarget(n, `${path}[${i}]`, scope));
  const dup = out.find((n, i) => out.findIndex((m) => sameRef(m, n)) !== i);
  if (dup !== undefined) fail(path, `${typeof dup === 'string' ? `node '${dup}'` : `selector ${formatRef(dup)}`} is listed twice`);
  return out;
}

function checkNumber(v: unknown, path: string, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `expected ${what}, got ${describe(v)}`);
  if (v < min || v > max) fail(path, `${v} is out of range: expected ${what}`);
  return v;
}

function checkInteger(v: unknown, path: string, min: number, max: number, what: string): number {
  const n = checkNumber(v, path, min, max, what);
  if (!Number.isInteger(n)) fail(path, `${n} is not an integer: expected ${what}`);
  return n;
}

function checkEnum<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    fail(path, `expected one of ${values.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

const L = PLAN_LIMITS;

/** Checks one field value by type; returns the value to keep. */
function checkField(v: unknown, path: string, type: FieldType, scope: Scope): unknown {
  switch (type) {
    case 'node':
      return checkNode(v, path, scope);
    case 'nodes':
      return checkNodes(v, path, scope);
    case 'target':
      return checkTarget(v, path, scope);
    case 'targets':
      return checkTargets(v, path, scope);
    case 'bool':
      if (typeof v !== 'boolean') fail(path, `expected true or false, got ${describe(v)}`);
      return v;
    case 'durationMs':
      if (v === 0) fail(path, 'a duration must be positive');
      return checkNumber(v, path, 0, L.durationMsMax, `a duration in ms, 0 < d <= ${L.durationMsMax}`);
    case 'delayMs':
      return checkNumber(v, path, 0, L.durationMsMax, `ms, 0..${L.durationMsMax}`);
    case 'netDurationMs':
      if (v === 0) fail(path, 'a duration must be positive');
      return checkNumber(v, path, 0, L.netMsMax, `a duration in ms, 0 < d <= ${L.netMsMax}`);
    case 'netDelayMs':
      return checkNumber(v, path, 0, L.netMsMax, `ms, 0..${L.netMsMax}`);
    case 'signedMs':
      if (v === 0) fail(path, 'a clock jump of 0 ms does nothing');
      return checkNumber(v, path, -L.clockJumpMsMax, L.clockJumpMsMax, `ms, non-zero, |ms| <= ${L.clockJumpMsMax}`);
    case 'ppm':
      return checkNumber(v, path, -L.driftPpmMax, L.driftPpmMax, `ppm, -${L.driftPpmMax}..${L.driftPpmMax}`);
    case 'probability':
      return checkNumber(v, path, 0, 1, 'a probability 0..1');
    case 'nth':
      return checkInteger(v, path, 1, L.nthMax, `an integer 1..${L.nthMax}`);
    case 'when':
      return checkEnum(v, path, ['before', 'after'] as const);
    case 'diskErrorCode':
      return checkEnum(v, path, DISK_ERROR_CODES);
    case 'storageArea':
      return checkEnum(v, path, ['disk', 'kv'] as const);
    case 'storageOp':
      if (typeof v !== 'string' || v === '') fail(path, `expected an operation name, got ${describe(v)}`);
      return v; // checked against the area in crossChecks
    case 'path':
      if (typeof v !== 'string' || v === '' || v === '*') fail(path, `expected a path or store name (a trailing '*' makes it a prefix), got ${describe(v)}`);
      return v;
    case 'corruptMode':
      return checkEnum(v, path, CORRUPT_MODES);
    case 'taskSource':
      return checkEnum(v, path, TASK_SOURCES);
  }
}

function checkTrigger(v: unknown, path: string, scope: Scope): Trigger {
  if (!isObject(v)) fail(path, `expected { node, area, op, nth, target? }, got ${describe(v)}`);
  for (const key of Object.keys(v)) {
    if (!['node', 'area', 'op', 'nth', 'target'].includes(key)) fail(`${path}.${key}`, 'unknown field of a trigger');
  }
  const node = checkTarget(v.node, `${path}.node`, scope);
  const area = checkEnum(v.area, `${path}.area`, TRIGGER_AREAS);
  const op = v.op;
  if (typeof op !== 'string' || op === '') fail(`${path}.op`, `expected an operation name or '*', got ${describe(op)}`);
  checkOp(op, area, `${path}.op`);
  const nth = checkInteger(v.nth, `${path}.nth`, 1, L.nthMax, `an integer 1..${L.nthMax}`);
  const trigger: Trigger = { node, area, op, nth };
  if (v.target !== undefined) {
    if (typeof v.target !== 'string' || v.target === '') fail(`${path}.target`, `expected a non-empty string`);
    trigger.target = v.target;
  }
  return trigger;
}

function checkOp(op: string, area: TriggerArea, path: string): void {
  const ops = AREA_OPS[area];
  if (ops.includes(op)) return;
  const alias = OP_ALIASES[op];
  const hint = alias !== undefined && ops.includes(alias) ? `; ${op} is reported as '${alias}'` : '';
  fail(path, `unknown ${area} operation '${op}' (operations: ${ops.join(', ')})${hint}`);
}

function checkKind(v: unknown, path: string): FaultKind {
  if (typeof v !== 'string' || !(FAULT_KINDS as readonly string[]).includes(v)) {
    fail(path, `unknown kind ${describe(v)} (kinds: ${FAULT_KINDS.join(', ')})`);
  }
  return v as FaultKind;
}

/** Checks that exactly one of atMs / trigger is set and copies it into `out`. */
function checkTiming(v: Json, path: string, scope: Scope, out: Json): void {
  const hasAt = v.atMs !== undefined;
  const hasTrigger = v.trigger !== undefined;
  if (hasAt && hasTrigger) fail(path, 'has both atMs and trigger: an event is either timed or triggered');
  if (!hasAt && !hasTrigger) fail(path, 'has neither atMs nor trigger: say when it happens');
  if (hasAt) out.atMs = checkNumber(v.atMs, `${path}.atMs`, 0, L.atMsMax, `ms since the start, 0..${L.atMsMax}`);
  else out.trigger = checkTrigger(v.trigger, `${path}.trigger`, scope);
}

function requireOneOf(e: Json, path: string, a: string, b: string): void {
  if (e[a] !== undefined && e[b] !== undefined) fail(path, `has both ${a} and ${b}: choose one`);
  if (e[a] === undefined && e[b] === undefined) fail(path, `needs ${a} or ${b}`);
}

function requireDistinct(e: Json, path: string, a: string, b: string): void {
  if (e[a] !== undefined && e[a] === e[b]) fail(`${path}.${b}`, `must differ from ${a} ('${String(e[a])}')`);
}

/** The link fields a linkFaults event may set. */
export const LINK_FIELDS = [
  'lossRate',
  'dupRate',
  'reorderRate',
  'latencyMs',
  'jitterMs',
  'tailProbability',
  'tailMs',
] as const;

/** Rules that involve more than one field. */
function crossChecks(e: Json, path: string): void {
  switch (e.kind as FaultKind) {
    case 'crash':
      if (e.when !== undefined && e.trigger === undefined) fail(`${path}.when`, 'only triggered crashes have when');
      break;
    case 'pause': {
      const t = e.trigger as Trigger | undefined;
      if (e.when === undefined) break;
      if (t === undefined) fail(`${path}.when`, 'only triggered pauses have when');
      // With a selector on either side, `when` applies if the pause resolves to the operation's node.
      if (!sameRef(t.node, e.node as NodeRef) && !isSelector(t.node) && !isSelector(e.node)) {
        fail(`${path}.when`, `only a pause of the trigger's own node ('${formatRef(t.node)}') has when`);
      }
      if (e.when === 'before' && IMMEDIATE_AREAS.has(t.area)) {
        fail(`${path}.when`, `a ${t.area} operation takes effect as it is called: a node can only freeze after it`);
      }
      break;
    }
    case 'corrupt':
      if (e.area === 'kv' && e.mode === 'truncate') fail(`${path}.mode`, "'truncate' damages disk files only (a kv value keeps its size)");
      if (e.area !== 'kv' && typeof e.path === 'string' && !e.path.startsWith('/')) fail(`${path}.path`, `a disk path starts with '/', got '${e.path}'`);
      break;
    case 'partition': {
      const b = e.b as NodeRef[];
      const both = (e.a as NodeRef[]).find((n) => b.some((m) => sameRef(m, n)));
      if (both !== undefined) fail(`${path}.b`, `${typeof both === 'string' ? `node '${both}'` : `selector ${formatRef(both)}`} is on both sides`);
      break;
    }
    case 'clog':
      requireDistinct(e, path, 'from', 'to');
      break;
    case 'stall':
    case 'resetConnections':
      requireDistinct(e, path, 'a', 'b');
      break;
    case 'linkFaults':
      requireDistinct(e, path, 'from', 'to');
      if (!LINK_FIELDS.some((f) => e[f] !== undefined)) fail(path, `sets none of ${LINK_FIELDS.join(', ')}`);
      break;
    case 'diskError':
      checkOp(e.op as string, (e.area as 'disk' | 'kv' | undefined) ?? 'disk', `${path}.op`);
      requireOneOf(e, path, 'nth', 'probability');
      break;
    case 'fsyncFail':
    case 'bitFlip':
      requireOneOf(e, path, 'nth', 'probability');
      break;
    default:
      break;
  }
}

/** Parses one event at `path` (node references checked against `nodes` when given). */
export function parseEvent(v: unknown, path: string, nodes?: readonly string[]): FaultEvent {
  if (!isObject(v)) fail(path, `expected a fault event object, got ${describe(v)}`);
  const kind = checkKind(v.kind, `${path}.kind`);
  const schema = FAULT_SCHEMA[kind];
  for (const key of Object.keys(v)) {
    if (key === 'kind' || key === 'atMs' || key === 'trigger') continue;
    if (!schema.some((f) => f.name === key)) {
      fail(`${path}.${key}`, `unknown field of ${kind} (fields: ${schema.map((f) => f.name).join(', ')})`);
    }
  }
  const out: Json = { kind };
  checkTiming(v, path, nodes, out);
  for (const f of schema) {
    const value = v[f.name];
    if (value === undefined) {
      if (f.required) fail(`${path}.${f.name}`, `missing (${kind} needs ${f.name})`);
      continue;
    }
    out[f.name] = checkField(value, `${path}.${f.name}`, f.type, nodes);
  }
  crossChecks(out, path);
  return out as unknown as FaultEvent;
}

/**
 * Parses and validates a plan (JSON text or a parsed value). With `nodes`, node references must name
 * the scenario's nodes. Throws FaultPlanError naming the path (`root` is its first segment).
 */
export function parsePlan(json: unknown, nodes?: readonly string[], root = 'faults'): FaultPlan {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      fail(root, `not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(value)) fail(root, `expected { events: [...] }, got ${describe(value)}`);
  for (const key of Object.keys(value)) if (key !== 'events') fail(`${root}.${key}`, 'unknown field of a plan');
  const events = value.events;
  if (!Array.isArray(events)) fail(`${root}.events`, `expected a list of events, got ${describe(events)}`);
  if (events.length > L.eventsMax) fail(`${root}.events`, `${events.length} events: at most ${L.eventsMax}`);
  return { events: events.map((e, i) => parseEvent(e, `${root}.events[${i}]`, nodes)) };
}

/** Validates a plan against a scenario's nodes; throws FaultPlanError naming the bad field. */
export function validatePlan(plan: FaultPlan, nodes: readonly string[], root = 'faults'): void {
  parsePlan(plan, nodes, root);
}
