/**
 * The trace schema (src/trace/schema.ts, docs/trace-schema.md).
 *
 * The smoke suite validates every record of the first seed of each of its scenarios (test/smoke.test.ts,
 * through SchemaCheck). Here: runs outside it that reach kinds the smoke seeds do not (a feed reset and
 * 410 escalations, recoveries starting over, metrics restored, failing variants' `sim.failure`), one of
 * each area, so every area of the schema is exercised; the messages validateRecord gives for what is wrong;
 * the published document (docs/trace-schema.json) as any validator sees it; the closed sets the models
 * declare; and that the committed docs are the generated ones.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { TRACE_SCHEMA_VERSION } from '../../src/sim/trace.ts';
import { TRACE_SCHEMA, TRACE_SCHEMA_AREAS, TRACE_SCHEMA_ID, knownKind, schemaKinds, validateRecord } from '../../src/trace/schema.ts';
import { schemaJsonText, withKindsTable } from '../../src/trace/schema-docs.ts';
import { STATUSES } from '../../src/impl/clientserver/status.ts';
import { SYNC_STATUSES } from '../../src/trace/schema/clientserver.ts';
import { SchemaCheck } from './schema-check.ts';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');
const all = await loadScenarios();
const byName = new Map(all.map((l) => [l.scenario.name, l.scenario]));

/** [scenario, seed, variant]: one run of each area, outside the smoke suite or failing. */
const RUNS: readonly [string, number, string][] = [
  ['storage-shared-open-kv', 0, ''], // store.recover.restart
  ['provider-cursor-expired', 0, ''], // provider.server.reset, provider.job.escalate
  ['peer-join-complete-under-load', 0, ''],
  ['cs-footer-red', 0, ''],
  ['cs-tabs-commit-unanswered', 0, ''], // workload.result {saved: 'maybe'}
  ['election-lock-stolen-mid-write', 0, 'election-no-fencing'], // sim.failure, verdict correctness
  ['demo-relay-line', 0, 'demo-no-push'],
];

describe('trace schema: records the bench writes', () => {
  it(`every record of ${RUNS.length} runs (one per area, outside the smoke suite or failing) follows the schema, and every area is exercised`, async () => {
    const check = new SchemaCheck();
    for (const [name, seed, variant] of RUNS) {
      const scenario = byName.get(name);
      expect(scenario, `scenario ${name}`).toBeDefined();
      await runScenario(scenario!, seed, { variant, traceSink: check.sink(`${name}${variant === '' ? '' : ` (${variant})`}`, seed) });
    }
    const unknown = [...check.kinds.keys()].filter((k) => !knownKind(k));
    expect(unknown, `kinds written by the bench that the schema lacks (add them in src/trace/schema/)`).toEqual([]);
    expect(check.failed, check.report()).toBe(0);
    expect(check.kinds.has('sim.failure'), 'a failing run was validated').toBe(true);
    const idle = TRACE_SCHEMA_AREAS.filter((a) => !Object.keys(a.kinds).some((k) => check.kinds.has(k))).map((a) => a.name);
    expect(idle, 'areas none of whose kinds the runs wrote').toEqual([]);
  });
});

describe('trace schema: what validateRecord says', () => {
  const rec = (kind: string, data: Record<string, unknown>, i = 12): Record<string, unknown> => ({ i, t: 1500, node: 'A', kind, data });

  it('accepts valid records', () => {
    expect(validateRecord(rec('store.commit.done', { commit: 3, dirty: false }))).toBeNull();
    expect(validateRecord({ i: 0, t: 0, node: 'sim', kind: 'sim.begin', data: { schemaVersion: TRACE_SCHEMA_VERSION, scenario: 's', seed: 1, variant: '', faults: 'no faults', nodes: [{ id: 'A', device: 'A', role: '' }] } })).toBeNull();
    expect(validateRecord(rec('net.deliver', { conn: 'c1', from: 'B', seq: 4, type: 'hello' }))).toBeNull();
    expect(validateRecord(rec('net.deliver', { dgram: 7, from: 'B' }))).toBeNull();
    expect(validateRecord(rec('election.leader', { epoch: 2 }))).toBeNull();
    expect(validateRecord(rec('election.leader', { epoch: 2, validMs: 998.5 }))).toBeNull();
  });

  it('refuses a kind the schema does not have', () => {
    expect(validateRecord(rec('store.comit', { commit: 3 }))).toBe(`record #12: kind 'store.comit' is not in trace schema v${TRACE_SCHEMA_VERSION}`);
    expect(knownKind('store.comit')).toBe(false);
    expect(knownKind('store.commit.done')).toBe(true);
  });

  it('names the kind, the field and what is wrong', () => {
    expect(validateRecord(rec('store.commit.done', { commit: '3', dirty: false }))).toBe("record #12 'store.commit.done': data.commit must be integer, got string");
    expect(validateRecord(rec('store.commit.done', { commit: 3.5, dirty: false }))).toBe("record #12 'store.commit.done': data.commit must be integer, got number");
    expect(validateRecord(rec('store.commit.done', { dirty: false }))).toBe("record #12 'store.commit.done': data.commit is missing");
    expect(validateRecord(rec('store.commit.done', { commit: 3, dirty: false, size: 1 }))).toBe("record #12 'store.commit.done': data.size is not a field of this kind");
    expect(validateRecord(rec('election.stepdown', { epoch: 2, reason: 'tired' }))).toBe(
      `record #12 'election.stepdown': data.reason must be one of "lease-expired", "lease-lost", "lock-stolen", "fenced", "closing", "error", got "tired"`,
    );
    expect(validateRecord(rec('fact.cs.server', { device: 'S', site: 'x', schema: 1, head: 2, added: [[1, 's', 2, 't', 'p', 'c', 7, 1]], removed: 0 }))).toBe(
      "record #12 'fact.cs.server': data.added[0][6] must be string or null, got integer",
    );
    expect(validateRecord({ i: 0, t: 0, node: 'sim', kind: 'sim.begin', data: { schemaVersion: 2, scenario: 's', seed: 1, variant: '', faults: '', nodes: [] } })).toBe(
      `record #0 'sim.begin': data.schemaVersion must be ${TRACE_SCHEMA_VERSION}, got 2`,
    );
  });

  it('checks the envelope', () => {
    expect(validateRecord('x')).toBe('record is not a JSON object (got string)');
    expect(validateRecord({ i: 1, t: -5, node: 'A', kind: 'node.pause', data: {} })).toBe('record #1: record.t must be >= 0');
    expect(validateRecord({ i: 1.5, t: 5, node: 'A', kind: 'node.pause', data: {} })).toBe('record #?: record.i must be integer, got number');
    expect(validateRecord({ i: 1, t: 5, node: 'A', kind: 'node.pause' })).toBe('record #1: record.data is missing');
    expect(validateRecord({ i: 1, t: 5, node: 'A', kind: 'node.pause', data: {}, extra: 1 })).toBe('record #1: record.extra is not a field of this kind');
  });
});

describe('trace schema: the published document', () => {
  it('compiles with a strict 2020-12 validator and agrees with validateRecord', () => {
    const validate = new Ajv2020({ strict: true, strictRequired: false }).compile(TRACE_SCHEMA as object);
    const samples: unknown[] = [
      { i: 3, t: 10, node: 'A', kind: 'store.commit.done', data: { commit: 3, dirty: true } },
      { i: 3, t: 10, node: 'A', kind: 'store.commit.done', data: { commit: 'x', dirty: true } },
      { i: 3, t: 10, node: 'A', kind: 'nope.nope', data: {} },
      { i: 3, t: 10, node: 'fault', kind: 'fault.crash', data: { event: 0, node: 'A', powerLoss: true } },
      { i: 3, t: 10, node: 'fault', kind: 'fault.crash', data: { event: 0 } },
      { i: 3, t: 10, node: 'sim', kind: 'net.send', data: { to: 'B', conn: 'c1', seq: 1, dgram: 2 } },
    ];
    for (const s of samples) expect(validate(s), JSON.stringify(s)).toBe(validateRecord(s) === null);
    expect(TRACE_SCHEMA.$id).toBe(TRACE_SCHEMA_ID);
    expect(TRACE_SCHEMA_ID).toContain(`/v${TRACE_SCHEMA_VERSION}.json`);
  });

  it('closes every set a model declares closed (ModelSpec.values) with the same members', () => {
    const declared = new Map<string, readonly string[]>();
    for (const { scenario } of all) for (const m of scenario.models ?? []) for (const [at, values] of Object.entries(m.values ?? {})) declared.set(at, values);
    expect(declared.size).toBeGreaterThan(0);
    const kinds = (TRACE_SCHEMA.$defs as { kinds: Record<string, { properties: Record<string, { enum?: unknown[] }> }> }).kinds;
    for (const [at, values] of declared) {
      const [kind, field] = at.split(':') as [string, string];
      expect(kinds[kind]?.properties[field]?.enum, `${at}: the schema's closed set`).toEqual([...values]);
    }
    expect(SYNC_STATUSES).toEqual(STATUSES);
  });

  it('docs/trace-schema.json and the table of docs/trace-schema.md are up to date (npm run schema:docs)', () => {
    expect(readFileSync(path.join(docs, 'trace-schema.json'), 'utf8') === schemaJsonText(), 'docs/trace-schema.json differs from the schema: run npm run schema:docs').toBe(true);
    const md = readFileSync(path.join(docs, 'trace-schema.md'), 'utf8');
    expect(md === withKindsTable(md), 'the kinds table of docs/trace-schema.md differs from the schema: run npm run schema:docs').toBe(true);
    for (const k of schemaKinds()) expect(md, `docs/trace-schema.md lists ${k}`).toContain(`| \`${k}\` |`);
  });
});
