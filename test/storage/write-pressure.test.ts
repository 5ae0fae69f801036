/**
 * invariant:dirty-limits-honest on hand-made figures (src/model/storage/write-pressure.ts): the bound an
 * honest store's dirty bytes keep within, and the storage oracle's figure of the last commit's blocks the
 * store may not have released yet (until the next commit begins).
 */
import { describe, expect, it } from 'vitest';
import { judgeWriteAnswer, type DirtyLimits, type Outstanding } from '../../src/model/storage/write-pressure.ts';
import { StorageOracle } from '../../src/model/storage/storage-oracle.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import { checkHarness } from '../check-harness.ts';

const limits: DirtyLimits = { blockSize: 1, backpressureBytes: 12, maxDirtyBytes: 16 };

function judge(answer: 'refused' | 'backpressure', o: Outstanding): string[] {
  const failures: string[] = [];
  const ctx = { fail: (_k: string, name: string, m: string) => void failures.push(`${name}: ${m}`), exercised: () => undefined, nowMs: () => 0 };
  judgeWriteAnswer(ctx as never, 'S', limits, answer, o, o);
  return failures;
}

describe('invariant:dirty-limits-honest', () => {
  it('allows the last commit\'s blocks on top of twice the outstanding ones until the next commit begins (review #7: 8 in flight + 5 buffered)', () => {
    expect(judge('backpressure', { blocks: 5, oldestMs: 0, settlingBlocks: 8 })).toEqual([]);
    expect(judge('refused', { blocks: 4, oldestMs: 0, settlingBlocks: 8 })).toEqual([]);
  });

  it('still fails backpressure or ELIMIT below the bound', () => {
    expect(judge('backpressure', { blocks: 5, oldestMs: 0, settlingBlocks: 0 })[0]).toMatch(/^invariant:dirty-limits-honest: S: a write answered backpressure \(backpressureBytes 12\), but the workload has only 5 blocks outstanding \(at most 10 dirty bytes with a commit in flight\)$/);
    expect(judge('backpressure', { blocks: 5, oldestMs: 0, settlingBlocks: 1 })[0]).toMatch(/at most 11 dirty bytes with a commit in flight, and 1 blocks of the last commit possibly not released yet/);
    expect(judge('refused', { blocks: 3, oldestMs: 0, settlingBlocks: 2 })[0]).toMatch(/refused with ELIMIT/);
  });

  it('the oracle counts the adopted commit\'s blocks as settling until the next commit begins', () => {
    const h = checkHarness({ name: 'oracle' } as never);
    const oracle = new StorageOracle(h.ctx as unknown as Pick<ScenarioContext, 'trace' | 'fail'>, { durable: () => null });
    oracle.attach();
    h.emit('S', 'node.start', { device: 'D' });
    for (let seq = 1; seq <= 8; seq++) oracle.noteWrite('S', seq, seq % 6, new Uint8Array(1));
    h.emit('S', 'store.commit.begin', { commit: 1, upTo: 8 });
    oracle.noteWrite('S', 9, 7, new Uint8Array(1));
    expect(oracle.outstanding('S')).toEqual({ blocks: 7, oldestMs: -1, settlingBlocks: 0 });
    h.emit('S', 'store.commit.marker-write', { commit: 1 });
    h.emit('sim', 'fact.store', { device: 'D', marker: 1, meta: 1 });
    expect(h.failures).toEqual([]);
    expect(oracle.outstanding('S')).toEqual({ blocks: 1, oldestMs: -1, settlingBlocks: 6 });
    h.emit('S', 'store.commit.begin', { commit: 2, upTo: 9 });
    expect(oracle.outstanding('S').settlingBlocks).toBe(0);
  });
});
