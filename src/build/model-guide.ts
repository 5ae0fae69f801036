/**
 * `npm run guides`: writes docs/guides/<model>.md for every reference model, generated from the model
 * itself (its `ModelSpec` and XState machine) so that a port reads what the monitor really enforces: the
 * states, what each state accepts (event, guards in the order they decide, target), what it refuses (a
 * reporter call that is illegal there), which trace kinds become which model events, the facts, ignored
 * kinds, closed value sets and optional fields. docs/guides/README.md indexes them. Never edit the guides by
 * hand: test/model/guides.test.ts fails when the committed files differ from what this writes.
 *
 * How each part is derived:
 * - states and transitions: walked from the machine's state nodes (a leaf takes its own transitions, then
 *   its ancestors', in the order XState tries them);
 * - the kind -> event table: each kind the model reads is fed to the spec's `map` as a sample record built
 *   from its trace schema (docs/trace-schema.json; ids from a small sample topology, a few overrides per
 *   model so the record concerns a model instance; `npm run guides` validates each against the schema);
 *   then every boolean and enum field is flipped and every nullable field filled or emptied one at a time,
 *   and the variants whose outcome differs are listed. The fields `map` read are spied as the monitor does;
 * - the guards' refusal sentences: read from the source (TypeScript's parser) of the reason function the
 *   guard is built from, following the local helpers it returns the result of; `{expr}` stands for an
 *   interpolated value, `{…}` for a complex one.
 *
 * Parameterised models are built with small sample arguments (`GUIDE_MODELS[].sample` says which).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import type { AnyStateMachine } from 'xstate';
import { syncStatusModel } from '../model/clientserver/sync-status-model.ts';
import { electionModel } from '../model/election/election-model.ts';
import { requestModel } from '../model/election/request-model.ts';
import { isHot, type ModelEvent, type ModelSpec, type ModelTarget, type MonitorWorld } from '../model/monitor.ts';
import { backfillModel } from '../model/peer/backfill-model.ts';
import { syncJobModel } from '../model/provider/sync-job-model.ts';
import { recoveryModel } from '../model/storage/recovery-model.ts';
import { writeAtomic } from '../runner/atomic.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { TRACE_SCHEMA, validateRecord } from '../trace/schema.ts';
import type { JsonSchema } from '../trace/schema/dsl.ts';

/** A node of a guide's sample topology. */
interface SampleNode {
  id: string;
  device: string;
}

/** One model the guides cover, with the sample arguments it is built with. */
export interface GuideModel {
  /** The guide's file name (the model's name). */
  name: string;
  /** One line: how the sample instance is built. */
  sample: string;
  build(): ModelSpec;
  /** The files the model is defined in (the guide's sources; guard reasons are looked up in them). */
  sources: readonly string[];
  /** The nodes and their devices the sample records name (`world.deviceOf`, `world.nodesOn`). */
  topology: readonly SampleNode[];
  /** Per kind: data fields set on its sample record (so that it concerns a model instance). */
  overrides?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Records fed before every sample (one fresh run each), for a map that needs earlier ones. */
  prelude?: readonly Pick<TraceRecord, 'node' | 'kind' | 'data'>[];
}

const TWO = [
  { id: 'A', device: 'dA' },
  { id: 'B', device: 'dB' },
];
const TABS = [
  { id: 'A', device: 'browser' },
  { id: 'B', device: 'browser' },
];

/** The models, in the order the index lists them. */
export const GUIDE_MODELS: readonly GuideModel[] = [
  {
    name: 'recovery',
    sample: '`recoveryModel` (not parameterised); nodes A and B, each alone on its device (dA, dB)',
    build: () => recoveryModel,
    sources: ['src/model/storage/recovery-model.ts', 'src/model/storage/recovery-machine.ts', 'src/model/storage/recovery-guards.ts'],
    topology: TWO,
  },
  {
    name: 'election',
    sample: "`electionModel({tabs: ['A', 'B']})`; tabs A and B share the device `browser`",
    build: () => electionModel({ tabs: ['A', 'B'] }),
    sources: ['src/model/election/election-model.ts', 'src/model/election/election-machine.ts'],
    topology: TABS,
    overrides: { 'fact.store': { backend: 'kv' }, 'fact.clock': { node: 'A' }, 'fact.bus.leader': { node: 'A', from: 'B' } },
  },
  {
    name: 'request',
    sample: "`requestModel(['A', 'B'])`; tabs A and B share the device `browser`; a write is `<tab>#<value>` (sample: A#v1)",
    build: () => requestModel(['A', 'B']),
    sources: ['src/model/election/request-model.ts', 'src/model/election/request-machine.ts'],
    topology: TABS,
    overrides: { 'fact.bus.request': { from: 'A' }, 'fact.request': { result: { value: 'v1' } } },
  },
  {
    name: 'backfill',
    sample: "`backfillModel(['A', 'B'], {resources: ['r1', 'r2'], joiners: ['B']})`; A a founder, B a joiner, each on its own device",
    build: () => backfillModel(['A', 'B'], { resources: ['r1', 'r2'], joiners: ['B'] }),
    sources: ['src/model/peer/backfill-model.ts'],
    topology: TWO,
  },
  {
    name: 'sync-status',
    sample: "`syncStatusModel(['A', 'B'], {server: 'S', meta: 'M'})` (default bounds); each node is its own device",
    build: () => syncStatusModel(['A', 'B'], { server: 'S', meta: 'M' }),
    sources: ['src/model/clientserver/sync-status-model.ts'],
    topology: ['A', 'B', 'S', 'M'].map((id) => ({ id, device: id })),
    overrides: { 'net.established': { to: 'S' } },
    // net.close concerns a model instance only for a sync connection the client opened (net.established).
    prelude: [{ node: 'A', kind: 'net.established', data: { conn: 'c1', to: 'S' } }],
  },
  {
    name: 'sync-job',
    sample: "`syncJobModel({libraries: ['A'], providers: ['B']})`; an instance is `<library>|<provider>` (A|B)",
    build: () => syncJobModel({ libraries: ['A'], providers: ['B'] }),
    sources: ['src/model/provider/sync-job-model.ts'],
    topology: TWO,
    overrides: { 'fact.library.job': { provider: 'B' }, 'fact.provider.request': { from: 'A', to: 'B' } },
  },
];

/** The repository (the guides' sources and the guides are named relative to it). */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The folder of the guides. */
export const GUIDES_DIR = path.join(ROOT, 'docs', 'guides');
const GENERATOR = 'src/build/model-guide.ts';

// ---------------------------------------------------------------------------------------------------------
// The machine: leaf states and what each accepts.

interface StateNodeLike {
  key: string;
  path: string[];
  type: string;
  description?: string;
  parent?: StateNodeLike;
  states: Record<string, StateNodeLike>;
  initial?: { target: StateNodeLike[] };
  transitions: Map<string, TransitionLike[]>;
}

interface TransitionLike {
  guard?: unknown;
  target?: StateNodeLike[];
}

/** One candidate transition of an event in a leaf state, in the order XState tries them. */
export interface Candidate {
  event: string;
  guard: string | null;
  /** The leaf it lands in (the same leaf: it stays). */
  target: string;
  /** Where it is declared: '' on the leaf itself, else the ancestor's key ('*': the machine, every state). */
  on: string;
}

const keyOf = (n: StateNodeLike): string => n.path.join('.');

function leafOf(n: StateNodeLike): StateNodeLike {
  let at = n;
  while (at.type === 'compound' && at.initial !== undefined && at.initial.target[0] !== undefined) at = at.initial.target[0];
  return at;
}

function leaves(n: StateNodeLike): StateNodeLike[] {
  const kids = Object.values(n.states);
  return kids.length === 0 ? [n] : kids.flatMap(leaves);
}

function guardName(g: unknown): string | null {
  if (g === undefined || g === null) return null;
  if (typeof g === 'string') return g;
  if (typeof g === 'function') return g.name || '(inline guard)';
  return String((g as { type?: unknown }).type ?? '(guard)');
}

/** The candidates of every event a leaf state takes (own transitions first, then its ancestors'). */
export function candidatesOf(leaf: StateNodeLike): Candidate[] {
  const out: Candidate[] = [];
  for (let n: StateNodeLike | undefined = leaf; n !== undefined; n = n.parent) {
    const on = n === leaf ? '' : n.parent === undefined ? '*' : keyOf(n);
    for (const [event, list] of n.transitions) {
      for (const t of list) {
        const to = t.target?.[0];
        out.push({ event, guard: guardName(t.guard), target: to === undefined ? keyOf(leaf) : keyOf(leafOf(to)), on });
      }
    }
  }
  return out;
}

/** A leaf's description (the machine's `description`), after its parent's for a nested state: '' when none. */
function descriptionOf(s: StateNodeLike): string {
  const parent = s.parent?.parent === undefined ? undefined : s.parent.description;
  return [parent, s.description].filter((d) => d !== undefined).join(': ');
}

/** The machine's leaf states (keys as the monitor gives them), its initial leaf and every event it names. */
export function machineShape(machine: AnyStateMachine): { states: StateNodeLike[]; initial: string; events: string[] } {
  const root = machine.root as unknown as StateNodeLike;
  const states = leaves(root);
  const events = new Set<string>();
  const all = (n: StateNodeLike): void => {
    for (const e of n.transitions.keys()) events.add(e);
    Object.values(n.states).forEach(all);
  };
  all(root);
  return { states, initial: keyOf(leafOf(root)), events: [...events].sort() };
}

// ---------------------------------------------------------------------------------------------------------
// Kinds -> events, by feeding sample records to the spec's map.

type SchemaKinds = Record<string, { required?: string[]; properties?: Record<string, JsonSchema> }>;
const SCHEMA_KINDS = (TRACE_SCHEMA.$defs as { kinds: SchemaKinds }).kinds;

const typesOf = (s: JsonSchema): string[] => (Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : []);

/** A sample value of a string field, by its name (ids from the topology: the record concerns node A). */
function sampleString(field: string, device: string): string {
  switch (field) {
    case 'device':
      return device;
    case 'node':
    case 'client':
    case 'holder':
    case 'starting':
    case 'to':
      return 'A';
    case 'from':
      return 'B';
    case 'root':
      return 'store';
    case 'reqId':
      return 'A.1.1';
    case 'value':
      return 'v1';
    case 'conn':
      return 'c1';
    default:
      return 'x';
  }
}

/** A sample value of a field: `nonNull` fills a nullable field with a value of its other type. */
function sampleValue(field: string, s: JsonSchema, device: string, nonNull: boolean): unknown {
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).find((v) => v !== null) ?? null;
  // An open field with documented values (`examples`, e.g. the built-in's modes): the first of them.
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (Array.isArray(s.anyOf)) return sampleValue(field, (s.anyOf as JsonSchema[]).find((x) => !typesOf(x).includes('null')) ?? {}, device, nonNull);
  const types = typesOf(s);
  // A nullable id (a node, a value...) names the sample's: the record concerns a model instance.
  const id = types.includes('string') && sampleString(field, device) !== 'x';
  const t = nonNull || id || !types.includes('null') ? types.find((x) => x !== 'null') : 'null';
  switch (t) {
    case 'string': {
      // A fixed-width hex field (a digest): zeros.
      const hex = typeof s.pattern === 'string' ? /^\^\[0-9a-f\]\{(\d+)\}\$$/.exec(s.pattern) : null;
      return hex === null ? sampleString(field, device) : '0'.repeat(Number(hex[1]));
    }
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      // A tuple (fixed items): a sample of each; a list: empty.
      return Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchema[]).map((x) => sampleValue(field, x, device, true)) : [];
    case 'null':
      return null;
    default:
      return {};
  }
}

/** One field change of a sample record (a variant) and its value, as the guide shows it. */
interface Variant {
  field: string;
  value: unknown;
}

function variantsOf(props: Record<string, JsonSchema>, base: Record<string, unknown>, device: string, fixed: ReadonlySet<string>): Variant[] {
  const out: Variant[] = [];
  for (const [field, s] of Object.entries(props)) {
    if (fixed.has(field)) continue;
    const values: unknown[] = Array.isArray(s.enum)
      ? (s.enum as unknown[])
      : Array.isArray(s.examples)
        ? [...(s.examples as unknown[])]
        : typesOf(s).includes('boolean')
          ? [false, true]
          : [];
    if (typesOf(s).includes('null') || (Array.isArray(s.enum) && (s.enum as unknown[]).includes(null))) values.push(null, sampleValue(field, s, device, true));
    for (const value of new Set(values)) if (JSON.stringify(value) !== JSON.stringify(base[field])) out.push({ field, value });
  }
  return out;
}

/** What map made of one record: '' for no event, else 'TYPE (instances)' per event type. */
interface Outcome {
  text: string;
  /** Event type -> the event's payload fields. */
  events: Map<string, string[]>;
  /** The data fields map read. */
  read: string[];
}

function worldOf(topology: readonly SampleNode[]): MonitorWorld {
  return {
    deviceOf: (node) => topology.find((n) => n.id === node)?.device,
    nodesOn: (device) => topology.filter((n) => n.device === device).map((n) => n.id),
  };
}

function outcomeOf(spec: ModelSpec, m: GuideModel, rec: TraceRecord): Outcome {
  const world = worldOf(m.topology);
  for (const [i, p] of (m.prelude ?? []).entries()) spec.map({ i, t: 0, ...p } as TraceRecord, world);
  const read: string[] = [];
  const data = new Proxy(rec.data, {
    get: (t, p, r) => {
      if (typeof p === 'string' && !read.includes(p)) read.push(p);
      return Reflect.get(t, p, r);
    },
  });
  const got = spec.map({ ...rec, data }, world);
  const targets: readonly ModelTarget[] = got === null ? [] : Array.isArray(got) ? got : [got as ModelTarget];
  const byType = new Map<string, { instances: string[]; event: ModelEvent }>();
  for (const t of targets) {
    const e = byType.get(t.event.type) ?? { instances: [], event: t.event };
    e.instances.push(t.instance);
    byType.set(t.event.type, e);
  }
  const text = [...byType].map(([type, e]) => `\`${type}\` (${e.instances.join(', ')})`).join(', ');
  const events = new Map([...byType].map(([type, e]) => [type, Object.keys(e.event).filter((k) => k !== 'type')]));
  return { text, events, read };
}

/** One row of the kind table. */
export interface KindRow {
  kind: string;
  /** What the sample record gave ('' when nothing) and the fields map read of it. */
  base: Outcome;
  /** The sample record's values of the fields a variant changes (what the base outcome depends on). */
  baseValues: Variant[];
  /** Single-field changes whose outcome differs. */
  variants: { variant: Variant; outcome: Outcome }[];
}

/** Every kind the model reads, fed to its map as a sample record and single-field variants. */
export function kindRows(m: GuideModel, spec: ModelSpec, validate = false): KindRow[] {
  return spec.kinds.map((kind) => {
    const schema = SCHEMA_KINDS[kind];
    if (schema === undefined) throw new Error(`guide ${m.name}: kind ${kind} has no trace schema`);
    const node = /^(fact|device|workload)\./.test(kind) ? 'sim' : 'A';
    const device = m.topology[0]!.device;
    const props = schema.properties ?? {};
    const over = m.overrides?.[kind] ?? {};
    const base: Record<string, unknown> = {};
    for (const [f, s] of Object.entries(props)) base[f] = f in over ? over[f] : sampleValue(f, s, device, false);
    const rec = (data: Record<string, unknown>): TraceRecord => {
      const r = { i: 1, t: 1000, node, kind, data } as TraceRecord;
      const bad = validate ? validateRecord(r) : null;
      if (bad !== null) throw new Error(`guide ${m.name}: the sample ${kind} record is not valid: ${bad}`);
      return r;
    };
    const first = outcomeOf(spec, m, rec(base));
    const variants = variantsOf(props, base, device, new Set(Object.keys(over)))
      .map((variant) => ({ variant, outcome: outcomeOf(spec, m, rec({ ...base, [variant.field]: variant.value })) }))
      .filter((v) => v.outcome.text !== first.text);
    const baseValues = [...new Set(variants.map((v) => v.variant.field))].map((field) => ({ field, value: base[field] }));
    return { kind, base: first, baseValues, variants };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Guards: where each is defined, and the sentences it refuses with (from the source).

/** Where a guard's reason function is defined, and the refusal sentences read from it. */
export interface GuardSource {
  file: string;
  /** The object or function that holds it (`RECOVERY_REASONS`, `backfillReasons`...). */
  holder: string;
  sentences: string[];
}

type Fn = ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration | ts.MethodDeclaration;
const isFn = (n: ts.Node): n is Fn => ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n);

interface ParsedSource {
  file: string;
  sf: ts.SourceFile;
  /** Local function name -> its function (top-level declarations and `const f = (...) =>`). */
  functions: Map<string, Fn>;
  /** Property name in an object literal -> its node (the guards' reason functions among them). */
  properties: Map<string, ts.ObjectLiteralElementLike>;
}

const parsed = new Map<string, ParsedSource>();

function parse(file: string): ParsedSource {
  let p = parsed.get(file);
  if (p !== undefined) return p;
  const sf = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const functions = new Map<string, Fn>();
  const properties = new Map<string, ts.ObjectLiteralElementLike>();
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name !== undefined && !functions.has(n.name.text)) functions.set(n.name.text, n);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer !== undefined && isFn(n.initializer) && !functions.has(n.name.text)) functions.set(n.name.text, n.initializer);
    if ((ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n) || ts.isMethodDeclaration(n)) && ts.isIdentifier(n.name) && !properties.has(n.name.text)) candidates.push(n);
    ts.forEachChild(n, visit);
  };
  const candidates: (ts.PropertyAssignment | ts.ShorthandPropertyAssignment | ts.MethodDeclaration)[] = [];
  visit(sf);
  // Reason functions only: a function, or the name of a local one (not an action's `assign(...)` of the same name).
  for (const n of candidates) {
    const name = (n.name as ts.Identifier).text;
    const fn = ts.isMethodDeclaration(n) || (ts.isPropertyAssignment(n) && isFn(n.initializer));
    const local = ts.isShorthandPropertyAssignment(n) ? functions.has(name) : ts.isPropertyAssignment(n) && ts.isIdentifier(n.initializer) && functions.has(n.initializer.text);
    if ((fn || local) && !properties.has(name)) properties.set(name, n);
  }
  parsed.set(file, (p = { file, sf, functions, properties }));
  return p;
}

/** The name of the variable or function that encloses `n` at the top level. */
function holderOf(n: ts.Node): string {
  let name = '';
  for (let at: ts.Node | undefined = n; at !== undefined; at = at.parent) {
    if ((ts.isVariableDeclaration(at) || ts.isFunctionDeclaration(at)) && at.name !== undefined && ts.isIdentifier(at.name)) name = at.name.text;
  }
  return name;
}

const SIMPLE_EXPR = /^[\w.$?!()[\]\s,'-]{1,40}$/;

/** A template or string literal as text, `{expr}` for a simple interpolation, `{…}` for another. */
function templateText(e: ts.TemplateExpression | ts.StringLiteral | ts.NoSubstitutionTemplateLiteral, sf: ts.SourceFile): string {
  if (!ts.isTemplateExpression(e)) return e.text;
  let s = e.head.text;
  for (const span of e.templateSpans) {
    const expr = span.expression.getText(sf);
    s += `{${SIMPLE_EXPR.test(expr) ? expr : '…'}}${span.literal.text}`;
  }
  return s;
}

/** The refusal sentences a function can return (its own and those of the local helpers it returns from). */
function sentencesOf(node: ts.Node, src: ParsedSource, seen: Set<ts.Node>): string[] {
  const fn = ts.isPropertyAssignment(node) && isFn(node.initializer) ? node.initializer : node;
  if (seen.has(fn)) return [];
  seen.add(fn);
  const out: string[] = [];
  const locals = new Map<string, ts.Expression>();
  const collectLocals = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer !== undefined && !locals.has(n.name.text)) locals.set(n.name.text, n.initializer);
    if (n !== fn && isFn(n)) return;
    ts.forEachChild(n, collectLocals);
  };
  collectLocals(fn);
  const follow = (callee: ts.Expression): void => {
    let e = callee;
    while (ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
    const name = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : null;
    if (name === null) return;
    const f = src.functions.get(name);
    if (f !== undefined && ts.isIdentifier(e)) out.push(...sentencesOf(f, src, seen));
    else {
      const prop = src.properties.get(name);
      if (prop !== undefined) out.push(...sentencesOf(prop, src, seen));
    }
  };
  const result = (e: ts.Expression | undefined): void => {
    if (e === undefined) return;
    if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) return result(e.expression);
    if (ts.isConditionalExpression(e)) return (result(e.whenTrue), result(e.whenFalse));
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return (result(e.left), result(e.right));
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)) {
      const text = templateText(e, src.sf);
      if (text.includes(' ')) out.push(text);
      // A sentence that embeds a helper's reason (`${why}`): the helper's sentences too.
      if (ts.isTemplateExpression(e)) for (const span of e.templateSpans) if (ts.isIdentifier(span.expression)) result(span.expression);
      return;
    }
    if (ts.isCallExpression(e)) return follow(e.expression);
    if (ts.isIdentifier(e)) {
      const init = locals.get(e.text);
      if (init !== undefined && ts.isCallExpression(init)) return result(init);
      if (src.functions.has(e.text)) return follow(e);
    }
  };
  const body = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n)) return ts.isIdentifier(n.initializer) && src.functions.has(n.initializer.text) ? follow(n.initializer) : body(n.initializer);
    if (ts.isShorthandPropertyAssignment(n)) return follow(n.name);
    if (!isFn(n) || n.body === undefined) return;
    if (!ts.isBlock(n.body)) return result(n.body);
    const returns = (x: ts.Node): void => {
      if (ts.isReturnStatement(x)) result(x.expression);
      else if (!isFn(x)) ts.forEachChild(x, returns);
    };
    returns(n.body);
  };
  body(fn);
  return [...new Set(out)];
}

/** Where guard `name` is defined among `files`, with its refusal sentences (null: not found there). */
export function guardSource(name: string, files: readonly string[]): GuardSource | null {
  for (const file of files) {
    const src = parse(file);
    const prop = src.properties.get(name);
    if (prop === undefined) continue;
    return { file, holder: holderOf(prop), sentences: sentencesOf(prop, src, new Set()) };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// The guide.

const code = (s: string): string => `\`${s}\``;
const cell = (s: string): string => s.replace(/\|/g, '\\|');
/** Prose outside code spans: no HTML. */
const prose = (s: string): string => cell(s).replace(/</g, '&lt;');
const show = (v: unknown): string => JSON.stringify(v);

/** The markdown guide of one model. */
export function modelGuide(m: GuideModel, validate = false): string {
  const spec = m.build();
  const { states, initial, events } = machineShape(spec.machine);
  const rows = kindRows(m, spec, validate);
  /** Event type -> the kinds (and variants) that produce it. */
  const producers = new Map<string, string[]>();
  const produced = (type: string, how: string): void => {
    const list = producers.get(type) ?? [];
    if (!list.includes(how)) list.push(how);
    producers.set(type, list);
  };
  for (const r of rows) {
    const given = r.baseValues.map((v) => `${v.field}: ${show(v.value)}`).join(', ');
    for (const t of r.base.events.keys()) produced(t, given === '' ? r.kind : `${r.kind} {${given}}`);
    for (const v of r.variants) for (const t of v.outcome.events.keys()) produced(t, `${r.kind} {${v.variant.field}: ${show(v.variant.value)}}`);
  }
  const from = (type: string): string => (producers.get(type) ?? []).map(code).join(', ') || '(no sample record)';
  const out: string[] = [];
  out.push(`# Model guide: ${m.name}`, '');
  out.push(
    `> Generated by \`npm run guides\` (${GENERATOR}) from the model's \`ModelSpec\` and XState machine: ${m.sources.map(code).join(', ')}. ` +
      'Do not edit: change the model and regenerate (test/model/guides.test.ts fails while this file differs).',
    '',
  );
  out.push(`Sample instance: ${m.sample}. Parameterised models are built with these small sample arguments; the states, events and guards do not depend on them.`, '');
  out.push(
    'How to read it: the monitor steps one model instance per trace record it maps (docs/models.md). An event that the instance\'s state does not accept, or that every guard of the ' +
      'state refuses, fails the run (`model:' + spec.name + "`) with the guard's reason; so a reporter call whose event is *refused* in a state must not happen in that state.",
    '',
  );

  out.push('## States', '');
  out.push('Hot: an instance still in the state at the liveness deadline fails liveness (`ModelSpec.hot`).', '');
  const described = states.some((s) => descriptionOf(s) !== '');
  out.push(`| state | |${described ? ' description |' : ''}`, `|---|---|${described ? '---|' : ''}`);
  for (const s of states) {
    const key = keyOf(s);
    const marks = [key === initial ? 'initial' : '', isHot(spec.hot, key) ? 'hot' : ''].filter((x) => x !== '').join(', ');
    const desc = described ? ` ${prose(descriptionOf(s))} |` : '';
    out.push(`| ${code(key)} | ${marks} |${desc}`);
  }
  out.push('');

  out.push('## Trace kinds and the model events they become', '');
  out.push(
    'Each kind the model reads (`ModelSpec.kinds`), fed to its `map` as a sample record built from the kind\'s trace schema ' +
      '(docs/trace-schema.json; ids from the sample topology). "Other values" lists the single-field changes (a boolean flipped, another enum value, a nullable field filled) ' +
      'that change the outcome. "no event": the record decides nothing for the sample instances (it may still be evidence kept for later).',
    '',
  );
  out.push('| kind | fields read | sample record gives | other values |', '|---|---|---|---|');
  for (const r of rows) {
    const variants = r.variants.map((v) => `${code(`${v.variant.field}: ${show(v.variant.value)}`)} → ${v.outcome.text || 'no event'}`).join('; ');
    const read = [...new Set([r.base, ...r.variants.map((v) => v.outcome)].flatMap((o) => o.read))];
    const given = r.baseValues.map((v) => code(`${v.field}: ${show(v.value)}`)).join(', ');
    out.push(`| ${code(r.kind)} | ${read.join(', ')} | ${cell(`${given === '' ? '' : `${given} → `}${r.base.text || 'no event'}`)} | ${cell(variants)} |`);
  }
  out.push('');
  const fields = new Map<string, Set<string>>();
  for (const r of rows) for (const o of [r.base, ...r.variants.map((v) => v.outcome)]) for (const [t, f] of o.events) f.forEach((x) => (fields.get(t) ?? fields.set(t, new Set()).get(t)!).add(x));
  out.push('Model events and their payload:', '');
  for (const e of events) out.push(`- ${code(e)}${fields.has(e) && fields.get(e)!.size > 0 ? ` {${[...fields.get(e)!].join(', ')}}` : ''}: from ${from(e)}`);
  out.push('');

  out.push('## Evidence the harness must record (facts)', '');
  out.push(spec.facts === undefined || spec.facts.length === 0 ? 'None.' : spec.facts.map((f) => `- ${code(f)}`).join('\n'), '');
  out.push('## Closed value sets', '');
  const values = Object.entries(spec.values ?? {});
  out.push(values.length === 0 ? 'None.' : values.map(([k, v]) => `- ${code(k)}: ${v.map((x) => code(x)).join(', ')}`).join('\n'), '');
  out.push('## Optional fields', '');
  out.push(
    spec.optional === undefined || spec.optional.length === 0
      ? 'None: every field the model reads of a kind must be in every record of that kind.'
      : `Every other field the model reads must be present. May be absent: ${spec.optional.map(code).join(', ')}.`,
    '',
  );
  out.push('## Areas and ignored kinds', '');
  const areas = spec.areas ?? [];
  out.push(
    areas.length === 0
      ? 'The model owns no kind prefix.'
      : `The model owns the prefixes ${areas.map(code).join(', ')}: a record of such a kind that neither a model nor a check reads fails the run (unmapped kind). Read elsewhere or knowingly ignored:`,
    '',
  );
  for (const [k, why] of Object.entries(spec.ignores ?? {})) out.push(`- ${code(k)}: ${why}`);
  if (Object.keys(spec.ignores ?? {}).length > 0) out.push('');

  out.push('## State by state', '');
  const guardsUsed = new Set<string>();
  for (const s of states) {
    const key = keyOf(s);
    const cands = candidatesOf(s);
    const marks = [key === initial ? 'initial' : '', isHot(spec.hot, key) ? 'hot' : ''].filter((x) => x !== '');
    out.push(`### ${code(key)}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}`, '');
    const desc = descriptionOf(s);
    if (desc !== '') out.push(`${prose(desc.charAt(0).toUpperCase() + desc.slice(1))}.`, '');
    out.push('| event | from trace kinds | guard | target | declared on |', '|---|---|---|---|---|');
    const order = [...new Set(cands.map((c) => c.event))];
    for (const e of order) {
      const list = cands.filter((c) => c.event === e);
      list.forEach((c, i) => {
        if (c.guard !== null) guardsUsed.add(c.guard);
        const guard = c.guard === null ? (i === list.length - 1 ? 'none' : 'none (always taken)') : `[${c.guard}](#guard-${c.guard.toLowerCase()})`;
        const target = c.target === key ? 'stays' : code(c.target);
        const on = c.on === '' ? 'this state' : c.on === '*' ? 'the machine (every state)' : code(c.on);
        out.push(`| ${i === 0 ? code(e) : `${code(e)} (then)`} | ${i === 0 ? cell(from(e)) : ''} | ${guard} | ${target} | ${on} |`);
      });
    }
    const refused = events.filter((e) => !order.includes(e));
    out.push('');
    out.push(refused.length === 0 ? 'Refused here: nothing (every model event is accepted, subject to its guards).' : `Refused here (illegal in this state): ${refused.map((e) => `${code(e)} (${from(e)})`).join('; ')}.`, '');
  }

  out.push('## Guards', '');
  out.push(
    "Each guard is a reason function (`ModelSpec.reasons`, `guardsFrom`): it passes when it returns null, else the monitor fails with its sentence. The sentences below are read from the function's source; `{expr}` is a value filled in at run time.",
    '',
  );
  for (const g of [...guardsUsed].sort()) {
    const src = guardSource(g, m.sources);
    out.push(`<a id="guard-${g.toLowerCase()}"></a>`, `### ${g}`, '');
    if (src === null) {
      out.push(`Not found in ${m.sources.map(code).join(', ')}.`, '');
      continue;
    }
    const inSpec = spec.reasons !== undefined && g in spec.reasons;
    out.push(`Defined in ${code(src.file)} (${code(src.holder)})${inSpec ? '' : "; not in `ModelSpec.reasons` (the machine combines other guards' reasons: a refusal names it without a sentence)"}. Refuses with:`, '');
    out.push(src.sentences.length === 0 ? '- (no sentence found in the source: read the function)' : src.sentences.map((x) => `- ${prose(x)}`).join('\n'), '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** docs/guides/README.md. */
export function guidesIndex(): string {
  const out = [
    '# Model guides',
    '',
    `> Generated by \`npm run guides\` (${GENERATOR}). Do not edit.`,
    '',
    'One page per reference model, generated from the model itself (its `ModelSpec` and XState machine): its states, what each state accepts and refuses ' +
      '(which reporter calls are legal in which model state), the guards with the sentences they fail with, which trace kinds become which model events, ' +
      'the facts (evidence) it needs, closed value sets and optional fields. For porting an implementation: read them with [porting.md](../porting.md) and ' +
      '[models.md](../models.md); the area docs say what to implement.',
    '',
    '| model | sample instance | states | events |',
    '|---|---|---|---|',
  ];
  for (const m of GUIDE_MODELS) {
    const shape = machineShape(m.build().machine);
    out.push(`| [${m.name}](${m.name}.md) | ${cell(m.sample)} | ${shape.states.length} | ${shape.events.length} |`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * File name (in GUIDES_DIR) -> content, as `npm run guides` writes them. `validate`: check every sample
 * record against the trace schema (`npm run guides` does; it changes nothing written, and compiling the
 * schema's validators costs seconds the test skips).
 */
export function renderGuides(validate = false): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of GUIDE_MODELS) files.set(`${m.name}.md`, modelGuide(m, validate));
  files.set('README.md', guidesIndex());
  return files;
}

function main(): void {
  const files = renderGuides(true);
  mkdirSync(GUIDES_DIR, { recursive: true });
  for (const f of readdirSync(GUIDES_DIR, { withFileTypes: true })) if (f.isFile() && !files.has(f.name)) rmSync(path.join(GUIDES_DIR, f.name));
  for (const [name, text] of files) {
    writeAtomic(path.join(GUIDES_DIR, name), text);
    process.stdout.write(`${path.relative(ROOT, path.join(GUIDES_DIR, name))}: ${text.split('\n').length - 1} lines\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
