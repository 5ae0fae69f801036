/**
 * Mutation scores: killed (or timed-out) mutants over every mutant not judged equivalent, from Stryker's
 * JSON report, and the list of surviving mutants judged equivalent (`src/mutation/equivalent.json`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A surviving mutant judged equivalent (it cannot change what the implementation stores, sends or answers),
 * with the reason. Identified by its file, the text of its source line (trimmed, so the entry survives
 * edits elsewhere in the file), the mutator and the replacement.
 */
export interface Equivalent {
  file: string;
  code: string;
  /** The mutant's column, when the line holds several mutants with the same mutator and replacement. */
  column?: number;
  mutator: string;
  replacement: string;
  reason: string;
}

/** One mutant as the JSON report lists it. */
export interface MutantRow {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}

/** The score of one area from Stryker's JSON report. */
export interface AreaScore {
  area: string;
  total: number;
  killed: number;
  equivalent: number;
  survived: { file: string; line: number; mutator: string; replacement: string }[];
  /** Killed / (total - equivalent), in percent. */
  score: number;
}

/** Reads the equivalent-mutant list. */
export function readEquivalents(): Equivalent[] {
  const f = path.join(ROOT, 'src/mutation/equivalent.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { equivalent: Equivalent[] }).equivalent : [];
}

/** Scores a Stryker JSON report (mutation-testing-report-schema) against the equivalent list. */
export function scoreReport(
  area: string,
  report: { files: Record<string, { source?: string; mutants: MutantRow[] }> },
  equivalents: readonly Equivalent[],
  within: (file: string, line: number) => boolean = () => true,
): AreaScore {
  const out: AreaScore = { area, total: 0, killed: 0, equivalent: 0, survived: [], score: 0 };
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const rel = path.relative(ROOT, path.resolve(ROOT, file));
    const lines = (source ?? '').split('\n');
    for (const m of mutants) {
      if (m.status === 'Ignored' || m.status === 'CompileError' || m.status === 'RuntimeError') continue;
      if (!within(rel, m.location.start.line)) continue;
      out.total++;
      if (m.status === 'Killed' || m.status === 'Timeout') {
        out.killed++;
        continue;
      }
      const line = m.location.start.line;
      const replacement = m.replacement ?? '';
      const code = (lines[line - 1] ?? '').trim();
      const eq = equivalents.some(
        (e) => e.file === rel && e.code === code && e.mutator === m.mutatorName && e.replacement === replacement && (e.column === undefined || e.column === m.location.start.column),
      );
      if (eq) out.equivalent++;
      else out.survived.push({ file: rel, line, mutator: m.mutatorName, replacement });
    }
  }
  const judged = out.total - out.equivalent;
  out.score = judged === 0 ? 100 : Math.round((1000 * out.killed) / judged) / 10;
  return out;
}

