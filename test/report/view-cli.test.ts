/**
 * `syncbench view <trace.jsonl>` (in-process through main()): a page for a real `replay --trace` file, with
 * the failure marked and model bands; a corrupt line is a usage error naming it; an incomplete trace and
 * an unknown scenario are said on the page.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { captureOutput } from '../capture.ts';
import { FIXTURES_DIR } from '../runner/fixtures.ts';

const io = captureOutput();
const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'syncbench-view-'));
const cli = (...args: string[]): Promise<number> => main([...args, '--scenarios-dir', FIXTURES_DIR]);

function pageData(html: string): Record<string, any> {
  return JSON.parse(/<script type="application\/json" id="viewer-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as Record<string, any>;
}

const line = (i: number, t: number, node: string, kind: string, data: Record<string, unknown> = {}): string => JSON.stringify({ i, t, node, kind, data });

describe('syncbench view', () => {
  it('writes a page for a replay --trace file: the failure marked, model bands from the scenario, next to the trace', async () => {
    const dir = tmp();
    const trace = path.join(dir, 't.jsonl');
    expect(await cli('replay', 'fixture-flaky', '--seed', '1', '--trace', trace, '--quiet')).toBe(1);
    io.clear();
    expect(await cli('view', trace)).toBe(0);
    const out = path.join(dir, 't.html');
    expect(io.out()).toMatch(new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ records, \\d+ KB, \\d+ ms\\)\\n$`));
    const html = readFileSync(out, 'utf8');
    const d = pageData(html);
    const records = readFileSync(trace, 'utf8').trim().split('\n');
    expect(d.recs).toHaveLength(records.length);
    expect(d.title).toBe('fixture-flaky seed 1');
    const failure = records.findIndex((l) => l.includes('"kind":"sim.failure"'));
    expect(html).toContain(`data-failure="${failure}"`);
    expect(d.failure).toMatchObject({ check: 'invariant:not-1-mod-4', message: 'seed 1 is 1 mod 4', rec: failure });
    expect(d.bands.map((b: unknown[]) => [b[1], b[2]])).toEqual([
      ['ticker', 'A'],
      ['ticker', 'B'],
    ]);
    expect(d.warnings).toEqual([]);
    expect(d.lanes).toEqual(['A', 'B', 'fault', 'sim']);

    // --out names the page.
    const other = path.join(dir, 'other.html');
    expect(await cli('view', trace, '--out', other)).toBe(0);
    expect(existsSync(other)).toBe(true);
  });

  it('a corrupt line is a usage error (64) naming the line', async () => {
    const dir = tmp();
    const cases: [string, RegExp][] = [
      [[line(0, 0, 'sim', 'sim.begin'), line(1, 5, 'A', 'x.y'), '{"i":2,"t":9,', line(3, 9, 'sim', 'sim.end')].join('\n'), /t\.jsonl: line 3 is not a trace record: /],
      [[line(0, 0, 'sim', 'sim.begin'), '{"i":1,"t":-4,"node":"A","kind":"x.y","data":{}}'].join('\n'), /line 2 is not a trace record: its "t" \(-4\) is not a virtual time/],
      [[line(0, 0, 'sim', 'sim.begin'), '', line(2, 0, 'A', 'x.y')].join('\n'), /line 2 is not a trace record: it is empty/],
      [[line(0, 0, 'A', 'x.y'), line(0, 1, 'A', 'x.y')].join('\n'), /line 2 is not a trace record: its "i" 0 does not follow 0/],
      [[line(0, 0, 'A', 'x.y'), '{"i":1,"t":1,"node":"A","kind":"x.y","data":[]}'].join('\n'), /line 2 is not a trace record: its "data" is not a JSON object/],
      [`${line(0, 0, 'A', 'x.y')}\n{"i":1,"t":1,"no`, /line 2 is not a trace record: .*the last line, without a newline: the file was cut/],
    ];
    for (const [text, message] of cases) {
      const trace = path.join(dir, 't.jsonl');
      writeFileSync(trace, text);
      io.clear();
      expect(await cli('view', trace)).toBe(64);
      expect(io.err()).toMatch(message);
      expect(existsSync(path.join(dir, 't.html'))).toBe(false);
    }
    io.clear();
    expect(await cli('view', path.join(dir, 'missing.jsonl'))).toBe(64);
    expect(io.err()).toMatch(/missing\.jsonl: cannot read: no such file/);
    writeFileSync(path.join(dir, 'empty.jsonl'), '');
    expect(await cli('view', path.join(dir, 'empty.jsonl'))).toBe(64);
    expect(io.err()).toMatch(/empty\.jsonl: holds no trace records/);
  });

  it('shows an incomplete trace with a banner, and says when there are no model bands', async () => {
    const dir = tmp();
    const trace = path.join(dir, 'cut.jsonl');
    writeFileSync(trace, `${[line(0, 0, 'sim', 'sim.begin', { scenario: 'no-such-scenario', seed: 3, variant: '' }), line(1, 10, 'A', 'x.y'), line(2, 10, 'sim', 'sim.incomplete', { reason: 'interrupted by SIGINT' })].join('\n')}\n`);
    expect(await cli('view', trace)).toBe(0);
    const d = pageData(readFileSync(path.join(dir, 'cut.html'), 'utf8'));
    expect(d.title).toBe('no-such-scenario seed 3');
    expect(d.warnings).toEqual(['This trace is incomplete: interrupted by SIGINT (it ends with sim.incomplete at 0.010 ms).']);
    expect(d.notes).toEqual([`No model bands: scenario 'no-such-scenario' is not in ${FIXTURES_DIR}.`]);
    expect(d.bands).toEqual([]);
    expect(d.failure).toBeNull();

    // A trace ending with neither sim.end nor sim.incomplete was cut by a kill.
    writeFileSync(trace, `${line(0, 0, 'A', 'x.y')}\n`);
    expect(await cli('view', trace)).toBe(0);
    expect(pageData(readFileSync(path.join(dir, 'cut.html'), 'utf8')).warnings[0]).toMatch(/ends with neither sim\.end nor sim\.incomplete/);
  });
});
