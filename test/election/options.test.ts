/** Election options: validation names the field; the lease arithmetic is safe for any drift within the bound. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaseTakeoverMs, leaseValidityMs, resolveTabOptions } from '../../src/impl/election/options.ts';

describe('resolveTabOptions', () => {
  it('fills defaults', () => {
    const s = resolveTabOptions();
    expect(s).toMatchObject({ mode: 'lease', leaseMs: 1000, renewEveryMs: 250, variant: '' });
  });

  it.each([
    [{ leaseMs: 0 }, /leaseMs/],
    [{ renewEveryMs: -1 }, /renewEveryMs/],
    [{ mode: 'paxos' as never }, /mode/],
    [{ clockDriftMaxPpm: 600_000 }, /clockDriftMaxPpm/],
    [{ leaseMs: 100, renewEveryMs: 90 }, /renewEveryMs/],
    [{ writeDeadlineMs: Number.NaN }, /writeDeadlineMs/],
    [{ variant: 'election-typo' }, /variant/],
  ])('rejects %o naming the field', (opts, field) => {
    expect(() => resolveTabOptions(opts)).toThrow(field);
  });

  it("accepts every election variant by name, and ignores another area's variants (they weaken nothing here)", () => {
    expect(resolveTabOptions({ variant: 'election-no-stepdown' }).variant).toBe('election-no-stepdown');
    for (const variant of ['storage-keep-pending', 'peer-resend-newest-batch', 'cs-eta-seconds', 'provider-timeout-seconds', 'demo-ack-before-fsync']) {
      expect(resolveTabOptions({ variant }).variant).toBe(variant);
    }
  });

  it("a leader's trust ends before any follower may take over, for any clock rates within the bound", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 60_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (leaseMs, driftPpm, leaderFrac, followerFrac) => {
          const s = resolveTabOptions({ leaseMs, renewEveryMs: leaseMs / 10, clockDriftMaxPpm: driftPpm, safetyMarginMs: 0 });
          const leaderRate = 1 + (leaderFrac * driftPpm) / 1e6;
          const followerRate = 1 + (followerFrac * driftPpm) / 1e6;
          // True time the leader trusts its lease after the renewal started, and the least true time a
          // follower waits after seeing the renewal (which happened after it started).
          const trustTrueMs = leaseValidityMs(s) / leaderRate;
          const waitTrueMs = leaseTakeoverMs(s) / followerRate;
          return trustTrueMs <= waitTrueMs + 1e-9;
        },
      ),
    );
  });
});
