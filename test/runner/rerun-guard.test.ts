/** Guards of timeline re-runs in the main process. */
import { describe, expect, it } from 'vitest';
import { guardedRerun, notRerunnable, RerunExitError } from '../../src/report/rerun-guard.ts';
import type { RunRow } from '../../src/runner/results.ts';

const row = (check: string): RunRow => ({
  scenario: 's',
  seed: 1,
  variant: '',
  verdict: 'crash',
  events: 0,
  traceRecords: 0,
  simTimeUs: 0,
  wallMs: 0,
  traceHash: '',
  faultSummary: '',
  failure: { kind: 'crash', check, message: 'worker thread exited with code 7', timeUs: 0, traceIndex: 0 },
});

describe('timeline re-run guards', () => {
  it('a re-run that calls process.exit rejects instead of ending the process; process.exit is restored', async () => {
    const exit = process.exit;
    await expect(guardedRerun(() => Promise.resolve().then(() => process.exit(7)))).rejects.toBeInstanceOf(RerunExitError);
    expect(process.exit).toBe(exit);
    await expect(guardedRerun(() => Promise.resolve(5))).resolves.toBe(5);
  });

  it('a crash that ended its worker thread is never re-run in this process', () => {
    expect(notRerunnable(row('runner:worker'))).toMatch(/ended the worker thread/);
    expect(notRerunnable(row('runner'))).toBeUndefined();
  });
});
