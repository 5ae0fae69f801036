/**
 * Resends after an ack timeout (docs/peer-sync.md, Links): a connected peer that leaves our head
 * unacknowledged for `ackTimeoutMs` gets the unacknowledged changes again, and only those
 * (invariant:resend-unacked, judged on the wire).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenario/run.ts';
import partitions from '../../scenarios/peer/partition-heal.ts';
import refusals from '../../scenarios/peer/refusals.ts';

const scenario = partitions.find((s) => s.name === 'peer-resend-clogged')!;

describe('resends after an ack timeout', () => {
  it('A resends to B while its messages to B are held, within ackTimeoutMs of the first check that saw them unacknowledged', async () => {
    const resends: { t: number; peer: string }[] = [];
    const r = await runScenario(scenario, 0, {
      traceSink: (l) => {
        if (!l.includes('"peer.send.timeout"')) return;
        const rec = JSON.parse(l) as { t: number; node: string; data: { peer: string } };
        if (rec.node === 'A') resends.push({ t: rec.t, peer: rec.data.peer });
      },
    });
    expect(r.verdict).toBe('pass');
    // A→B is held from 1.5 s to 4.5 s; A checks every 1 s and sees B behind at 2 s: it resends at 4 s. (The
    // check once compared fractional monotonic ms without tolerance and waited until 5 s, after the clog.)
    const toB = resends.filter((x) => x.peer === 'B');
    expect(toB.length).toBeGreaterThan(0);
    expect(toB[0]!.t).toBeLessThan(4_500_000);
    // The invariant judged real resends (changes delivered to B a second time).
    expect(r.exercised['invariant:resend-unacked']).toBeGreaterThan(0);
  });
});

describe('invariant:resend-interval under drift, jumps, pauses and restarts', () => {
  const refused = refusals.find((s) => s.name === 'peer-backfill-refused')!;
  // R never acknowledges: every device resends to it every ackTimeoutMs, across these clock faults.
  const faults = {
    events: [
      ...(refused.faults !== undefined && 'events' in refused.faults ? refused.faults.events : []),
      { kind: 'clockDrift' as const, atMs: 1_000, node: 'A', driftPpm: 50_000 },
      { kind: 'clockDrift' as const, atMs: 1_000, node: 'B', driftPpm: -50_000, durationMs: 3_000 },
      { kind: 'clockJump' as const, atMs: 2_500, node: 'A', deltaMs: -30_000 },
      { kind: 'clockJump' as const, atMs: 3_000, node: 'D', deltaMs: 20_000 },
      { kind: 'pause' as const, atMs: 5_000, node: 'A', durationMs: 2_300 },
      { kind: 'crash' as const, atMs: 6_000, node: 'D', restartAfterMs: 200 },
    ],
  };

  it.each([0, 1, 2])('a correct device passes (seed %i), its resends judged', async (seed) => {
    const r = await runScenario({ ...refused, faults }, seed);
    expect(r.verdict).toBe('pass');
    expect(r.exercised['invariant:resend-interval']).toBeGreaterThan(10);
  });

  it('a device resending twice as often fails it under the same faults', async () => {
    const r = await runScenario({ ...refused, faults }, 0, { variant: 'peer-resend-twice-as-often' });
    expect(r.failure?.check).toBe('invariant:resend-interval');
  });
});
