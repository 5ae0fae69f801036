/**
 * A trace sink that validates every record of a run against the trace schema (src/trace/schema.ts): the
 * smoke suite (test/smoke.test.ts) passes one to the first seed of each of its scenarios, and
 * test/trace/schema.test.ts to the runs it adds, so each record the bench writes in those runs is checked
 * without running anything twice.
 */
import { validateRecord } from '../../src/trace/schema.ts';

/** Validates the records given to `sink`; keeps the first errors (with the scenario and seed) and the kinds seen. */
export class SchemaCheck {
  /** The first errors, at most `maxErrors`, each "<scenario> seed <n>: <validateRecord's sentence>". */
  readonly errors: string[] = [];
  /** How many records failed. */
  failed = 0;
  /** Records validated. */
  records = 0;
  /** Kinds seen, with their record counts. */
  readonly kinds = new Map<string, number>();

  constructor(private readonly maxErrors = 20) {}

  /** A traceSink for one run (`runScenario(s, seed, { traceSink })`). */
  sink(scenario: string, seed: number): (line: string) => void {
    return (line) => {
      this.records++;
      const rec = JSON.parse(line) as { kind: string };
      this.kinds.set(rec.kind, (this.kinds.get(rec.kind) ?? 0) + 1);
      const error = validateRecord(rec);
      if (error === null) return;
      this.failed++;
      if (this.errors.length < this.maxErrors) this.errors.push(`${scenario} seed ${seed}: ${error}`);
    };
  }

  /** A summary for an assertion message. */
  report(): string {
    return `${this.failed} of ${this.records} records break the trace schema (docs/trace-schema.md):\n${this.errors.join('\n')}`;
  }
}
