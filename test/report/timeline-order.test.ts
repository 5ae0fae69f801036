/** Which failing runs get a timeline first: each group's example before a second run of any group. */
import { describe, expect, it } from 'vitest';
import { failureGroups } from '../../src/report/groups.ts';
import { timelineOrder } from '../../src/report/write.ts';
import { failedRow } from './rows.ts';

describe('timeline order', () => {
  it("draws each group's example (smallest seed) first, then the other runs in results order", () => {
    // Group A: seeds 1, 2, 3 (seed 3 has fewer fault events: the example); group B: seeds 4, 5 (example 4).
    const runs = [
      failedRow(1, 'A broke'),
      failedRow(2, 'A broke'),
      failedRow(3, 'A broke', { faultSummary: 'plan: 1 fault events' }),
      failedRow(4, 'B broke', {}, 'invariant:y'),
      failedRow(5, 'B broke', {}, 'invariant:y'),
    ];
    const groups = failureGroups(runs);
    expect(groups.map((g) => g.smallest.seed)).toEqual([3, 4]);
    expect(timelineOrder(runs, groups).map((r) => r.seed)).toEqual([3, 4, 1, 2, 5]);
    // With room for two timelines, both groups get one (before: seeds 1 and 2, both of group A).
    expect(timelineOrder(runs, groups).slice(0, 2).map((r) => r.failure?.check)).toEqual(['invariant:x', 'invariant:y']);
  });
});
