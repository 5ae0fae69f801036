/**
 * Probes ("sometimes" assertions) end to end: every probe the implementation can hit is in its area's
 * declared list (so a new probe cannot be forgotten), every scenario declares its area's list, and a
 * report of a sweep that never hits a declared probe lists it as never reached.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CS_PROBES } from '../../src/impl/clientserver/probes.ts';
import { DEMO_PROBES } from '../../src/impl/demo/probes.ts';
import { ELECTION_PROBES } from '../../src/impl/election/probes.ts';
import { PEER_PROBES } from '../../src/impl/peer/probes.ts';
import { PROVIDER_PROBES } from '../../src/impl/provider/probes.ts';
import { STORAGE_PROBES } from '../../src/impl/storage/probes.ts';
import { reportHtml } from '../../src/report/html.ts';
import { coverageReport, coverageText } from '../../src/runner/coverage.ts';
import { runSweep } from '../../src/runner/sweep.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const IMPL = path.join(ROOT, 'src/impl');

/** Each implementation area (a folder of src/impl) and the probe list its scenarios declare. */
const AREAS: Record<string, readonly string[]> = {
  clientserver: CS_PROBES,
  demo: DEMO_PROBES,
  election: ELECTION_PROBES,
  peer: PEER_PROBES,
  provider: PROVIDER_PROBES,
  storage: STORAGE_PROBES,
};

/** `.probe(` calls whose argument is not a literal: pass-throughs that forward a caller's literal. */
const PASS_THROUGH = new Set(['election/report.ts:name', 'clientserver/tabs.ts:name']);

interface ProbeCall {
  file: string;
  line: number;
  /** The string literals in the argument list. */
  names: string[];
  /** The argument text. */
  arg: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** The text with comments blanked out (newlines kept, so line numbers stay right); strings are left alone. */
function withoutComments(text: string): string {
  let out = '';
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if (c === "'" || c === '"' || c === '`') {
      let e = k + 1;
      while (e < text.length && text[e] !== c) e += text[e] === '\\' ? 2 : 1;
      out += text.slice(k, e + 1);
      k = e;
    } else if (c === '/' && text[k + 1] === '/') {
      while (k < text.length && text[k] !== '\n') k++;
      out += '\n';
    } else if (c === '/' && text[k + 1] === '*') {
      const e = text.indexOf('*/', k + 2);
      const end = e < 0 ? text.length : e + 2;
      out += text.slice(k, end).replace(/[^\n]/g, ' ');
      k = end - 1;
    } else out += c;
  }
  return out;
}

/** Every `.probe(...)` call in a source text (also across lines), with the string literals of its argument. */
function probeCalls(file: string, source: string): ProbeCall[] {
  const text = withoutComments(source);
  const out: ProbeCall[] = [];
  const re = /\.probe\(/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let depth = 1;
    let k = m.index + m[0].length;
    const start = k;
    for (; k < text.length && depth > 0; k++) {
      const c = text[k];
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === "'" || c === '"' || c === '`') {
        const close = text.indexOf(c, k + 1);
        k = close < 0 ? text.length : close;
      }
    }
    const arg = text.slice(start, k - 1).trim();
    const names = [...arg.matchAll(/'([^'\\]*)'|"([^"\\]*)"/g)].map((x) => x[1] ?? x[2]!);
    out.push({ file, line: text.slice(0, m.index).split('\n').length, names, arg });
  }
  return out;
}

function implProbeCalls(): ProbeCall[] {
  return sourceFiles(IMPL).flatMap((f) => probeCalls(path.relative(IMPL, f), readFileSync(f, 'utf8')));
}

describe('probe declarations', () => {
  it('finds probe calls written over several lines and in conditional expressions', () => {
    const calls = probeCalls('x.ts', "a.trace.probe(\n  ok ? 'p.one' : 'p.two',\n);\n/** env.trace.probe('p.doc') */\nthis.deps.report.probe('p.three'); // x.probe('p.comment')\nprobe(name: string): void;");
    expect(calls.map((c) => c.names)).toEqual([['p.one', 'p.two'], ['p.three']]);
    expect(calls[1]!.line).toBe(5);
  });

  it("every probe literal in src/impl is in its area's declared list", () => {
    const calls = implProbeCalls();
    expect(calls.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const c of calls) {
      const area = c.file.split(path.sep)[0]!;
      const where = `src/impl/${c.file.split(path.sep).join('/')}:${c.line}`;
      if (c.names.length === 0) {
        if (!PASS_THROUGH.has(`${c.file.split(path.sep).join('/')}:${c.arg}`)) problems.push(`${where}: probe(${c.arg}) has no string literal; name probes with literals so this test can check them`);
        continue;
      }
      const list = AREAS[area];
      if (list === undefined) {
        problems.push(`${where}: area '${area}' has no probe list (add src/impl/${area}/probes.ts and register it here)`);
        continue;
      }
      for (const n of c.names) if (!list.includes(n)) problems.push(`${where}: probe '${n}' is not in ${area}'s probe list (src/impl/${area}/probes.ts)`);
    }
    expect(problems).toEqual([]);
  });

  it('every declared probe is called somewhere in its area (no stale names)', () => {
    const called = new Map<string, Set<string>>();
    for (const c of implProbeCalls()) {
      const area = c.file.split(path.sep)[0]!;
      for (const n of c.names) (called.get(area) ?? called.set(area, new Set()).get(area)!).add(n);
    }
    const stale = Object.entries(AREAS).flatMap(([area, list]) => list.filter((n) => !called.get(area)?.has(n)).map((n) => `${area}: ${n}`));
    expect(stale).toEqual([]);
    for (const list of Object.values(AREAS)) expect(new Set(list).size).toBe(list.length);
  });

  it("every scenario declares the probe list of the area it exercises", async () => {
    const loaded = await loadScenarios();
    expect(loaded.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const { scenario, file } of loaded) {
      const area = path.relative(path.join(ROOT, 'scenarios'), file).split(path.sep)[0]!;
      const list = AREAS[area];
      if (list === undefined) wrong.push(`${scenario.name}: scenarios/${area} has no probe list`);
      else if (JSON.stringify(scenario.probes ?? []) !== JSON.stringify(list)) wrong.push(`${scenario.name} (scenarios/${area}) does not declare ${area}'s probes`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('a report of a sweep', () => {
  it('lists every declared probe with its count and flags the never-reached ones', async () => {
    const loaded = await loadScenarios();
    const scenario = loaded.find((l) => l.scenario.name === 'storage-torn-marker')!.scenario;
    const { file } = await runSweep({ targets: ['storage-torn-marker'], scenarios: [scenario], from: 0, to: 1, workers: 1 });
    const cov = coverageReport(file);
    // Every declared storage probe has a row, hit or not.
    expect(cov.probes.map((p) => p.name)).toEqual(expect.arrayContaining([...STORAGE_PROBES]));
    const corrupt = cov.probes.find((p) => p.name === 'storage.recover.corrupt')!;
    expect(corrupt).toMatchObject({ hits: 0, declaredBy: ['storage-torn-marker'] });
    const reached = cov.probes.filter((p) => p.hits > 0);
    expect(reached.length).toBeGreaterThan(0);
    const text = coverageText(cov).join('\n');
    expect(text).toMatch(/NEVER {2}probe storage\.recover\.corrupt/);
    expect(text).toMatch(/never reached: .*storage\.recover\.corrupt/);
    const html = reportHtml({ file, coverage: cov, timelines: [] });
    expect(html).toContain('<tr data-probe="storage.recover.corrupt" class="never"><td class="l">storage.recover.corrupt</td><td>never</td>');
    // Never reached is not a failure: the neutral tone, never red.
    expect(html).toMatch(/class="probe-summary">\d+ of 15 declared probes reached; <span class="never">never reached: [^<]*storage\.recover\.corrupt/);
    for (const p of reached) expect(html).toContain(`<tr data-probe="${p.name}"><td class="l">${p.name}</td><td>${p.hits}</td>`);
  });
});
