/** Hand-made results rows for the report and summary tests. */
import type { RunRow } from '../../src/runner/results.ts';

/** A failed run of scenario 'sc' (check 'invariant:x', no plan events known but 2), changed by `o`. */
export function failedRow(seed: number, message: string, o: Partial<RunRow> = {}, check = 'invariant:x'): RunRow {
  return {
    scenario: 'sc',
    seed,
    variant: '',
    verdict: 'correctness',
    events: 1,
    traceRecords: 1,
    simTimeUs: 0,
    wallMs: 1,
    traceHash: String(seed),
    faultSummary: 'plan: 2 fault events',
    failure: { kind: 'correctness', check, message, timeUs: 1000 * seed, traceIndex: seed },
    replay: `npx syncbench replay sc --seed ${seed}`,
    ...o,
  };
}
