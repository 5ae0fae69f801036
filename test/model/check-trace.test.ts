/**
 * Checks on recorded traces (src/scenario/check-records.ts, `syncbench check-trace`): the golden traces give
 * their manifest's verdicts; the same models and trace checks read a recorded trace as they read the live
 * run (variants' failures included); live checks are listed as not run; a bad file, target or header is a
 * usage error naming what is wrong.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { checkRecords } from '../../src/scenario/check-records.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { EXIT_CODES } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { captureOutput } from '../capture.ts';

const io = captureOutput();
const scenarios = new Map((await loadScenarios('scenarios')).map((l) => [l.scenario.name, l.scenario]));
const manifest = JSON.parse(readFileSync('golden/manifest.json', 'utf8')) as { cases: { model: string; name: string; target: string; verdict: keyof typeof EXIT_CODES; check: string | null }[] };
const tmp = mkdtempSync(path.join(tmpdir(), 'sb-check-trace-'));

async function recorded(name: string, seed: number, variant = ''): Promise<{ live: string; lines: string[] }> {
  const lines: string[] = [];
  const r = await runScenario(scenarios.get(name)!, seed, { variant, traceSink: (l) => lines.push(l) });
  return { live: `${r.verdict} ${r.failure?.check ?? ''}`.trim(), lines };
}

describe('golden traces', () => {
  it('has passing and failing traces for every model', () => {
    const models = new Set(manifest.cases.map((c) => c.model));
    for (const m of ['recovery', 'election', 'request', 'sync-status', 'sync-job']) expect(models.has(m)).toBe(true);
    expect(manifest.cases.filter((c) => c.verdict === 'pass').length).toBeGreaterThanOrEqual(4);
    expect(manifest.cases.filter((c) => c.verdict !== 'pass').length).toBeGreaterThanOrEqual(8);
  });

  for (const c of manifest.cases) {
    it(`check-trace ${c.target} golden/${c.model}/${c.name}.jsonl -> ${c.verdict} ${c.check ?? ''}`, async () => {
      expect(await main(['check-trace', c.target, `golden/${c.model}/${c.name}.jsonl`, '--json'])).toBe(EXIT_CODES[c.verdict]);
      const out = JSON.parse(io.out()) as { verdict: string; failure: { check: string; traceIndex: number } | null; records: number };
      expect(out.verdict).toBe(c.verdict);
      expect(out.failure?.check ?? null).toBe(c.check);
    });
  }
});

describe('a recorded trace is read as the live run read it', () => {
  const cases: [string, number, string][] = [
    ['storage-crash-before-marker', 0, ''],
    ['storage-crash-before-marker', 0, 'storage-keep-pending'],
    ['election-lock-stolen-mid-write', 0, 'election-no-stepdown'],
    ['election-lock-stolen-mid-write', 0, 'election-no-fencing'],
    ['cs-swarm', 1, 'cs-progress-chunks'],
    ['provider-incremental', 0, 'provider-unbounded-queue'],
    ['peer-backfill-peer-drop', 1, 'peer-cursor-skip-tie'],
    ['peer-swarm', 2, ''],
  ];
  for (const [name, seed, variant] of cases) {
    it(`${name} seed ${seed}${variant === '' ? '' : ` variant ${variant}`}: the same verdict and check offline`, async () => {
      const { live, lines } = await recorded(name, seed, variant);
      const s = scenarios.get(name)!;
      const o = await checkRecords(lines.map((l) => JSON.parse(l) as TraceRecord), { name, models: s.models ?? [], checks: s.checks ?? [] });
      expect(`${o.verdict} ${o.failure?.check ?? ''}`.trim()).toBe(live);
      expect(variant === '' ? live : o.verdict).toBe(variant === '' ? 'pass' : 'correctness');
    });
  }

  it('lists the live checks it could not run, and judges hot states only where the trace claims convergence', async () => {
    const { lines } = await recorded('storage-crash-before-marker', 0);
    const s = scenarios.get('storage-crash-before-marker')!;
    const o = await checkRecords(lines.map((l) => JSON.parse(l) as TraceRecord), { name: 'x', models: s.models ?? [], checks: s.checks ?? [] });
    expect(o.notRun.map((n) => n.check)).toContain('storage-oracle');
    expect(o.complete).toBe(true);
  });

  it('a trace cut short is checked for safety only, and says its final checks were not run', async () => {
    const { lines } = await recorded('provider-incremental', 0);
    const s = scenarios.get('provider-incremental')!;
    const o = await checkRecords(lines.slice(0, 200).map((l) => JSON.parse(l) as TraceRecord), { name: 'x', models: s.models ?? [], checks: s.checks ?? [] });
    expect(o.verdict).toBe('pass');
    expect(o.complete).toBe(false);
    expect(o.notRun.some((n) => /does not end with sim.end/.test(n.why))).toBe(true);
  });

  it('evidence removed from a passing trace fails, naming the record: the fact that the fence is durable', async () => {
    const lines = readFileSync('golden/election/pass-two-tabs.jsonl', 'utf8').trim().split('\n');
    const fact = lines.findIndex((l) => l.includes('"kind":"fact.store"') && l.includes('"epoch":1'));
    expect(fact).toBeGreaterThan(0);
    const file = path.join(tmp, 'edited.jsonl');
    writeFileSync(file, `${[...lines.slice(0, fact), ...lines.slice(fact + 1)].join('\n')}\n`);
    expect(await main(['check-trace', 'election', file])).toBe(EXIT_CODES.correctness);
    expect(io.out()).toMatch(/FAIL correctness model:recovery at trace #\d+: .*fenceDurable: the store reports fence commit 1, but the durable commit point is 0/);
    expect(io.out()).toMatch(/record: \{"i":\d+,"t":\d+,"node":"A","kind":"store.fence"/);
  });
});

describe('the schema', () => {
  it('a record of a known kind with a mistyped field fails trace-schema naming it; an unknown kind is counted', async () => {
    const lines = readFileSync('golden/recovery/pass-crash-before-marker.jsonl', 'utf8').trim().split('\n');
    const at = lines.findIndex((l) => l.includes('"kind":"store.commit.begin"'));
    const bad = lines[at]!.replace(/"commit":(\d+)/, '"commit":"$1"');
    const extra = JSON.stringify({ ...(JSON.parse(lines[at]!) as object), kind: 'myport.note', data: {} });
    const file = path.join(tmp, 'schema.jsonl');
    writeFileSync(file, `${[...lines.slice(0, at), extra.replace(/"i":\d+/, `"i":${at}`), ...lines.slice(at).map((l, k) => (k === 0 ? bad : l).replace(/^\{"i":(\d+)/, (_m, i: string) => `{"i":${Number(i) + 1}`))].join('\n')}\n`);
    expect(await main(['check-trace', 'storage', file, '--json'])).toBe(EXIT_CODES.correctness);
    const out = JSON.parse(io.out()) as { failure: { check: string; message: string }; unknownKinds: Record<string, number> };
    expect(out.failure.check).toBe('trace-schema');
    expect(out.failure.message).toMatch(/record #\d+ 'store.commit.begin': data.commit must be integer/);
    expect(out.unknownKinds).toEqual({ 'myport.note': 1 });
  });
});

describe('check-trace usage errors', () => {
  const write = (name: string, text: string): string => {
    const f = path.join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const header = (data: Record<string, unknown>): string => JSON.stringify({ i: 0, t: 0, node: 'sim', kind: 'sim.begin', data: { schemaVersion: 1, scenario: 'x', seed: 0, variant: '', faults: '', nodes: [], ...data } });
  const cases: [string, () => string[], RegExp][] = [
    ['a missing file', () => ['check-trace', 'storage', path.join(tmp, 'none.jsonl')], /none\.jsonl: cannot read: no such file/],
    ['an unknown target', () => ['check-trace', 'nope', 'golden/recovery/pass-crash-before-marker.jsonl'], /unknown area or scenario 'nope' \(areas: storage, election, client-server, provider/],
    ['no header', () => ['check-trace', 'storage', write('nohead.jsonl', '{"i":0,"t":0,"node":"A","kind":"store.open","data":{}}\n')], /line 1 is 'store.open' \(#0\), not the header record sim.begin #0/],
    ['another schema version', () => ['check-trace', 'storage', write('v9.jsonl', `${header({ schemaVersion: 9 })}\n`)], /schemaVersion 9; this syncbench reads trace schema version 1/],
    ['a corrupt line', () => ['check-trace', 'storage', write('bad.jsonl', `${header({})}\n{"i":1,"t":0,\n`)], /line 2 is not a trace record/],
    ['records out of order', () => ['check-trace', 'storage', write('order.jsonl', `${header({})}\n{"i":0,"t":0,"node":"A","kind":"x.y","data":{}}\n`)], /line 2 is not a trace record: its "i" 0 does not follow 0/],
    ['an area whose roles the header lacks', () => ['check-trace', 'client-server', write('roles.jsonl', `${header({ nodes: [{ id: 'A', device: 'A', role: 'client' }] })}\n`)], /area client-server: the trace's header must name exactly one node with role 'server' \(it names 0\)/],
  ];
  for (const [what, argv, message] of cases) {
    it(`${what} -> 64 naming it`, async () => {
      expect(await main(argv())).toBe(EXIT_CODES.usage);
      expect(io.err()).toMatch(message);
    });
  }
});
