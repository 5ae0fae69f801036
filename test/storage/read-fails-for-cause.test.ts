/**
 * invariant:read-fails-for-cause (hunt 5, 2026-12): an ECHECKSUM answer to a committed read judged on the
 * simulator's records (flipped reads of the block's files, damage at rest, node starts). End to end:
 * variant storage-read-no-retry in test/storage/variants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { judgeFailedRead, readCauses } from '../../src/model/storage/read-fails-for-cause.ts';
import type { Check } from '../../src/scenario/types.ts';
import { checkHarness } from '../check-harness.ts';

const setupOnly: Check = { name: 'read-causes', setup: (ctx) => void readCauses(ctx) };
const checksumError = Object.assign(new Error('block 3 failed its checksum twice'), { code: 'ECHECKSUM' });
const flip = (path = '/store/blocks/3.2') => ({ op: 'readFile', path, action: 'bitflip' });

describe('invariant:read-fails-for-cause', () => {
  it('fails an ECHECKSUM after exactly one flipped read of the block during the read', () => {
    const h = checkHarness(setupOnly);
    h.emit('S', 'node.start', {});
    const before = readCauses(h.ctx).count('S', 3);
    h.emit('S', 'disk.fault', flip());
    judgeFailedRead(h.ctx, 'S', 3, before, checksumError);
    expect(h.failures).toEqual([expect.stringMatching(/^invariant:read-fails-for-cause: S: a committed read of block 3 failed with ECHECKSUM after one flipped read/)]);
  });

  it('passes two flipped reads during the read, and a flip of another block does not count', () => {
    const h = checkHarness(setupOnly);
    h.emit('S', 'node.start', {});
    const before = readCauses(h.ctx).count('S', 3);
    h.emit('S', 'disk.fault', flip());
    h.emit('S', 'disk.fault', flip('/store/blocks/3.1'));
    h.emit('S', 'disk.fault', flip('/store/blocks/4.2'));
    judgeFailedRead(h.ctx, 'S', 3, before, checksumError);
    expect(h.failures).toEqual([]);
  });

  it('fails an ECHECKSUM with no flipped read since the start and no damage; passes one a recovery may have seen', () => {
    const h = checkHarness(setupOnly);
    h.emit('S', 'disk.fault', flip());
    h.emit('S', 'disk.fault', flip());
    h.emit('S', 'node.start', {});
    judgeFailedRead(h.ctx, 'S', 3, readCauses(h.ctx).count('S', 3), checksumError);
    expect(h.failures).toHaveLength(1);
    expect(h.failures[0]).toMatch(/no read of its files was flipped since S started/);
    const g = checkHarness(setupOnly);
    g.emit('S', 'node.start', {});
    g.emit('S', 'disk.fault', flip());
    g.emit('S', 'disk.fault', flip());
    judgeFailedRead(g.ctx, 'S', 3, readCauses(g.ctx).count('S', 3), checksumError);
    expect(g.failures).toEqual([]);
  });

  it('excuses a block damaged at rest (disk or kv), and judges ECHECKSUM only', () => {
    const h = checkHarness(setupOnly);
    h.emit('sim', 'disk.corrupt', { device: 'S', path: '/store/blocks/3.1', len: 64 });
    h.emit('sim', 'kv.corrupt', { device: 'S', store: 'store:blocks', key: '5.2' });
    h.emit('S', 'node.start', {});
    judgeFailedRead(h.ctx, 'S', 3, 0, checksumError);
    judgeFailedRead(h.ctx, 'S', 5, 0, checksumError);
    judgeFailedRead(h.ctx, 'S', 6, 0, Object.assign(new Error('EIO'), { code: 'EIO' }));
    expect(h.failures).toEqual([]);
  });
});
