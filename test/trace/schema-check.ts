/**
 * A trace sink that validates every record of a run against the trace schema (src/trace/schema.ts): the
 * smoke suite (test/smoke.test.ts) passes one to the first seed of each of its scenarios, and
 * test/trace/schema.test.ts to the runs it adds, so each record the bench writes in those runs is checked
 * without running anything twice. In `npm test` the first 200 records of each kind of a run are validated,
 * then one in 25 (every kind is still seen, and records of one kind share their writer); `npm run
 * test:long` (SYNCBENCH_FULL=1, in CI) validates every record.
 */
import { validateRecord } from '../../src/trace/schema.ts';

const KIND = /"kind":("(?:[^"\\]|\\.)*")/;
const FULL = process.env.SYNCBENCH_FULL === '1';
const FIRST = 200;
const EVERY = 25;

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
    const seen = new Map<string, number>();
    return (line) => {
      // The kind without parsing the line: {"i":..,"t":..,"node":"..","kind":"<kind>",...
      const m = KIND.exec(line);
      const kind = m === null ? '' : (JSON.parse(m[1]!) as string);
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
      if (!FULL && n > FIRST && n % EVERY !== 0) return;
      this.records++;
      const error = validateRecord(JSON.parse(line));
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
