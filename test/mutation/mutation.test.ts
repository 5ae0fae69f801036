/**
 * Mutation testing plumbing: every area mutates real files and is judged by scenarios of its own; the
 * score counts killed and timed-out mutants over the non-equivalent ones, and every listed equivalent
 * mutant says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MUTATION_AREAS } from '../../src/mutation/areas.ts';
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
