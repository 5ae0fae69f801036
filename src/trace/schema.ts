/**
 * The trace schema: a JSON Schema (draft 2020-12) for every record kind the bench writes, versioned with
 * the trace format (`TRACE_SCHEMA_VERSION`, the `schemaVersion` of every trace's `sim.begin`).
 *
 * The kinds are declared per area in src/trace/schema/*.ts; this module assembles them into one
 * document (`TRACE_SCHEMA`, published as docs/trace-schema.json by `npm run schema:docs`) and validates
 * records against it with ajv: one compiled validator per kind, compiled the first time a record of that
 * kind is seen and looked up by kind afterwards. docs/trace-schema.md says how it is versioned and used.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { TRACE_SCHEMA_VERSION } from '../sim/trace.ts';
import type { JsonSchema, KindSchema, KindSchemas } from './schema/dsl.ts';
import { CS_KINDS } from './schema/clientserver.ts';
import { DEMO_KINDS } from './schema/demo.ts';
import { ELECTION_KINDS } from './schema/election.ts';
import { FACT_KINDS } from './schema/facts.ts';
import { FAULT_RECORD_KINDS } from './schema/faults.ts';
import { PEER_KINDS } from './schema/peer.ts';
import { PROVIDER_KINDS } from './schema/provider.ts';
import { SIMULATOR_KINDS } from './schema/simulator.ts';
import { STORAGE_KINDS } from './schema/storage.ts';
import { WORKLOAD_KINDS } from './schema/workload.ts';

/** One area of the schema: who writes its kinds, where they are documented, and the kinds. */
export interface TraceSchemaArea {
  /** Short name, e.g. 'storage'. */
  readonly name: string;
  /** Who writes these records. */
  readonly writer: string;
  /** The doc that describes them (relative to docs/). */
  readonly doc: string;
  readonly kinds: KindSchemas;
}

/** The areas, in the order docs/trace-schema.md lists them. */
export const TRACE_SCHEMA_AREAS: readonly TraceSchemaArea[] = [
  { name: 'simulator', writer: 'the simulator (node `sim`, or the node concerned)', doc: 'trace-format.md', kinds: SIMULATOR_KINDS },
  { name: 'faults', writer: 'the fault injector (node `fault`)', doc: 'faults.md', kinds: FAULT_RECORD_KINDS },
  { name: 'facts', writer: 'the evidence recorders (node `sim`)', doc: 'models.md', kinds: FACT_KINDS },
  { name: 'workload', writer: "the bench's scenario workloads (node `workload`)", doc: 'trace-format.md', kinds: WORKLOAD_KINDS },
  { name: 'storage', writer: 'the block store and AutoSync', doc: 'storage.md', kinds: STORAGE_KINDS },
  { name: 'election', writer: 'leader election, its write path and fenced store', doc: 'election.md', kinds: ELECTION_KINDS },
  { name: 'peer-sync', writer: 'the peer sync node', doc: 'peer-sync.md', kinds: PEER_KINDS },
  { name: 'client-server', writer: 'the client-server sync (clients, server, meta endpoint)', doc: 'client-server.md', kinds: CS_KINDS },
  { name: 'provider-sync', writer: 'the provider sync library and the providers', doc: 'provider-sync.md', kinds: PROVIDER_KINDS },
  { name: 'demo', writer: 'the demo gossip node', doc: 'models.md', kinds: DEMO_KINDS },
];

/** The schema's `$id`: names the trace format version it describes. */
export const TRACE_SCHEMA_ID = `https://syncbench.dev/schemas/trace/v${TRACE_SCHEMA_VERSION}.json`;

/** Every kind's `data` schema, by kind (sorted). */
const KINDS: Readonly<Record<string, KindSchema>> = (() => {
  const all: Record<string, KindSchema> = {};
  for (const area of TRACE_SCHEMA_AREAS) {
    for (const [k, s] of Object.entries(area.kinds)) {
      if (k in all) throw new Error(`trace schema: kind '${k}' is declared twice`);
      all[k] = s;
    }
  }
  return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]!]));
})();

/** The record envelope (docs/trace-format.md, "Record"). */
const ENVELOPE: JsonSchema = {
  type: 'object',
  required: ['i', 't', 'node', 'kind', 'data'],
  properties: {
    i: { description: 'position in the trace, from 0, dense', type: 'integer', minimum: 0 },
    t: { description: 'virtual time in microseconds since the start of the run', type: 'integer', minimum: 0 },
    node: { description: "the node the step belongs to: 'sim', 'fault', 'workload' or a node id", type: 'string' },
    kind: { description: 'dotted name; the first segment is the area', type: 'string' },
    data: { description: "kind-specific fields: the schema under $defs/kinds/<kind>", type: 'object' },
  },
  additionalProperties: false,
};

/**
 * The whole schema document: it validates one trace record (one line of a JSONL trace). The envelope is
 * checked at the top level, `kind` must be one of the kinds, and `data` must match `$defs/kinds/<kind>`.
 */
export const TRACE_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: TRACE_SCHEMA_ID,
  title: `Syncbench trace record, schema version ${TRACE_SCHEMA_VERSION}`,
  description:
    'One record of a syncbench trace (one line of a JSONL trace file; docs/trace-format.md). A trace starts with a ' +
    `sim.begin record whose data.schemaVersion is ${TRACE_SCHEMA_VERSION}. Generated from src/trace/schema/*.ts: do not edit.`,
  ...ENVELOPE,
  properties: { ...(ENVELOPE.properties as Record<string, JsonSchema>), kind: { ...(ENVELOPE.properties as Record<string, JsonSchema>).kind, enum: Object.keys(KINDS) } },
  allOf: Object.keys(KINDS).map((k) => ({
    if: { properties: { kind: { const: k } }, required: ['kind'] },
    then: { properties: { data: { $ref: `#/$defs/kinds/${k}` } } },
  })),
  $defs: { kinds: KINDS },
};

/** True when `kind` is a kind of the schema. */
export function knownKind(kind: string): boolean {
  return Object.hasOwn(KINDS, kind);
}

/** The kinds of the schema, sorted. */
export function schemaKinds(): string[] {
  return Object.keys(KINDS);
}

let ajv: Ajv2020 | null = null;
let envelope: ValidateFunction | null = null;
const byKind = new Map<string, ValidateFunction>();

function validatorOf(kind: string): ValidateFunction {
  let v = byKind.get(kind);
  if (v === undefined) {
    ajv ??= new Ajv2020({ strict: true, strictRequired: false, allErrors: false, verbose: true }).addSchema(TRACE_SCHEMA as object);
    v = ajv.compile({ $ref: `${TRACE_SCHEMA_ID}#/$defs/kinds/${kind}` });
    byKind.set(kind, v);
  }
  return v;
}

/** `/cells/0/2` -> `data.cells[0][2]` under `root`. */
function fieldPath(root: string, instancePath: string): string {
  let out = root;
  for (const seg of instancePath.split('/').slice(1)) {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return out;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** One ajv error as "<path> <what is wrong>". */
function describe(root: string, e: ErrorObject): string {
  const at = fieldPath(root, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${at}.${String(p.missingProperty)} is missing`;
    case 'additionalProperties':
      return `${at}.${String(p.additionalProperty)} is not a field of this kind`;
    case 'type':
      return `${at} must be ${String(p.type).replace(',', ' or ')}, got ${jsonType(e.data)}`;
    case 'enum':
      return `${at} must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(e.data)}`;
    case 'const':
      return `${at} must be ${JSON.stringify(p.allowedValue)}, got ${JSON.stringify(e.data)}`;
    default:
      return `${at} ${e.message ?? 'is invalid'}`;
  }
}

/**
 * Validates one trace record (a parsed JSONL line): null when it follows the schema, else one sentence
 * naming the record, its kind, the field and what is wrong, e.g.
 * "record #12 'store.commit.done': data.commit must be integer, got string".
 */
export function validateRecord(rec: unknown): string | null {
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return `record is not a JSON object (got ${jsonType(rec)})`;
  const r = rec as Record<string, unknown>;
  const at = `record #${Number.isInteger(r.i) ? String(r.i) : '?'}`;
  envelope ??= (ajv ??= new Ajv2020({ strict: true, strictRequired: false, allErrors: false, verbose: true }).addSchema(TRACE_SCHEMA as object)).compile(ENVELOPE);
  if (!envelope(rec)) return `${at}: ${describe('record', envelope.errors![0]!)}`;
  const kind = r.kind as string;
  if (!knownKind(kind)) return `${at}: kind '${kind}' is not in trace schema v${TRACE_SCHEMA_VERSION}`;
  const v = validatorOf(kind);
  if (!v(r.data)) return `${at} '${kind}': ${describe('data', v.errors![0]!)}`;
  return null;
}
