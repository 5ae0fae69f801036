/**
 * invariant:request-applied-once on hand-made ledgers (src/model/storage/request-applied-once.ts): what
 * the workload was answered for each commit carrying request ids, and the durable request records.
 */
import { describe, expect, it } from 'vitest';
import { requestAppliedOnce, type RequestAttempt } from '../../src/model/storage/request-applied-once.ts';
import { checkHarness } from '../check-harness.ts';

function judge(attempts: RequestAttempt[], durable: [string, number][] | null): string[] {
  const ledger = { attempts, durable: durable === null ? null : new Map(durable) };
  const h = checkHarness(requestAppliedOnce(() => ledger));
  h.final();
  return h.failures;
}

const ok = (ids: string[], commit: number): RequestAttempt => ({ ids, outcome: { kind: 'ok', commit } });
const applied = (ids: string[], id: string, commit: number): RequestAttempt => ({ ids, outcome: { kind: 'applied', id, commit } });
const unknown = (ids: string[]): RequestAttempt => ({ ids, outcome: { kind: 'error', code: 'EIO' } });

describe('invariant:request-applied-once', () => {
  it('an attempt whose answer was lost (an injected error) may have applied: a later EAPPLIED naming its commit, and its durable record, pass', () => {
    expect(judge([ok(['r1'], 1), unknown(['r2']), applied(['r2', 'r3'], 'r2', 2)], [['r1', 1], ['r2', 2]])).toEqual([]);
    // Never retried: its durable record may name the commit or nothing.
    expect(judge([unknown(['r2'])], [['r2', 4]])).toEqual([]);
    expect(judge([unknown(['r2'])], [])).toEqual([]);
    // Not applied after all: the retry applies.
    expect(judge([unknown(['r2']), ok(['r2'], 3)], [['r2', 3]])).toEqual([]);
  });

  it('still fails: a retry applied twice, an EAPPLIED naming another commit or an id never tried, a durable record naming another commit', () => {
    expect(judge([ok(['r1'], 1), ok(['r4', 'r1'], 2)], null)[0]).toMatch(/applied as commit 2, but 'r1' was applied by commit 1/);
    expect(judge([ok(['r1'], 1), applied(['r1'], 'r1', 2)], null)[0]).toMatch(/refused as 'r1' applied by commit 2, but the workload's record has commit 1/);
    expect(judge([unknown(['r2']), applied(['r1'], 'r1', 2)], null)[0]).toMatch(/refused as 'r1' applied by commit 2, but the workload's record has it never applied/);
    expect(judge([unknown(['r2']), applied(['r2'], 'r2', 2)], [['r2', 5]])[0]).toMatch(/durable record of request 'r2' names commit 5, but commit 2 applied it/);
    expect(judge([unknown(['r2']), ok(['r2'], 3)], [['r2', 1]])[0]).toMatch(/durable record of request 'r2' names commit 1, but commit 3 applied it/);
    expect(judge([unknown(['r2'])], [['r9', 1]])[0]).toMatch(/names request 'r9' applied by commit 1, but no commit the workload was answered applied it/);
  });
});
