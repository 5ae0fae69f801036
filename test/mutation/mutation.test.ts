/**
 * Mutation testing plumbing: every area mutates real files and is judged by scenarios of its own; the
 * score counts killed and timed-out mutants over the non-equivalent ones, and every listed equivalent
 * mutant says why.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MUTATION_AREAS } from '../../src/mutation/areas.ts';
import { judgeFingerprint } from '../../src/mutation/fingerprint.ts';
import { readEquivalents, scoreReport } from '../../src/mutation/score.ts';
import { loadScenarioFiles } from '../../src/scenario/registry.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('mutation areas', () => {
  it.each(MUTATION_AREAS.map((a) => [a.name, a] as const))('%s mutates its implementation and is judged by its own scenarios', async (name, a) => {
    expect(existsSync(path.join(ROOT, 'src/impl', name))).toBe(true);
    expect(a.mutate[0]).toBe(`src/impl/${name}/**/*.ts`);
    const judged = (await loadScenarioFiles(a.scenarioFiles())).map((l) => l.scenario).filter((s) => a.judges(s));
    expect(judged.length).toBeGreaterThan(2);
    for (const s of judged) expect(s.name.startsWith(a.prefix), s.name).toBe(true);
    expect(a.prefix === `${name}-` || (name === 'clientserver' && a.prefix === 'cs-')).toBe(true);
  });
});

describe('mutation score', () => {
  const at = (line: number) => ({ start: { line, column: 1 } });
  const report = {
    files: {
      'src/impl/demo/gossip.ts': {
        source: 'a\nb\nc\nd\n  const x = "text";\ne\nf\n',
        mutants: [
          { id: '1', mutatorName: 'BooleanLiteral', replacement: 'false', status: 'Killed', location: at(3) },
          { id: '2', mutatorName: 'BooleanLiteral', replacement: 'true', status: 'Timeout', location: at(4) },
          { id: '3', mutatorName: 'StringLiteral', replacement: '""', status: 'Survived', location: at(5) },
          { id: '4', mutatorName: 'EqualityOperator', replacement: 'a <= b', status: 'Survived', location: at(6) },
          { id: '5', mutatorName: 'BlockStatement', replacement: '{}', status: 'CompileError', location: at(7) },
        ],
      },
    },
  };

  it('counts killed and timed-out mutants over the non-equivalent ones, and lists the rest', () => {
    const eq = [{ file: 'src/impl/demo/gossip.ts', code: 'const x = "text";', mutator: 'StringLiteral', replacement: '""', reason: 'a log text' }];
    const s = scoreReport('demo', report, eq);
    expect(s).toMatchObject({ total: 4, killed: 2, equivalent: 1, score: 66.7 });
    expect(s.survived).toEqual([{ file: 'src/impl/demo/gossip.ts', line: 6, mutator: 'EqualityOperator', replacement: 'a <= b' }]);
    expect(scoreReport('demo', report, []).score).toBe(50);
  });

  it('every mutant listed as equivalent gives its reason', () => {
    for (const e of readEquivalents()) expect(e.reason.trim().length, `${e.file}: ${e.code}`).toBeGreaterThan(10);
  });

  it('every mutant listed as equivalent names a line that exists in its file', () => {
    for (const e of readEquivalents()) {
      const lines = readFileSync(path.join(ROOT, e.file), 'utf8').split('\n').map((l) => l.trim());
      expect(lines, `${e.file}: ${e.code}`).toContain(e.code);
    }
  });
});

describe('the judge fingerprint (kept results are re-tested when the checks change)', () => {
  it('changes with the checks, scenarios and corpora, not with the implementation or the equivalents list', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'syncbench-fingerprint-'));
    try {
      const put = (rel: string, text: string): void => {
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), text);
      };
      put('src/impl/peer/records.ts', 'export const a = 1;');
      put('src/model/peer/check.ts', 'export const check = 1;');
      put('src/mutation/equivalent.json', '{"equivalent":[]}');
      put('scenarios/peer/s.ts', 'export default {};');
      put('corpus/coverage.json', '{}');
      const first = judgeFingerprint(root);
      put('src/impl/peer/records.ts', 'export const a = 2;');
      put('src/mutation/equivalent.json', '{"equivalent":[{}]}');
      expect(judgeFingerprint(root)).toBe(first);
      for (const [rel, text] of [['src/model/peer/check.ts', 'export const check = 2;'], ['scenarios/peer/s.ts', 'export default { a: 1 };'], ['corpus/coverage.json', '{"a":1}']] as const) {
        const before = judgeFingerprint(root);
        put(rel, text);
        expect(judgeFingerprint(root), rel).not.toBe(before);
      }
      put('src/model/peer/new-check.ts', 'export const added = 1;');
      expect(judgeFingerprint(root)).not.toBe(first);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
