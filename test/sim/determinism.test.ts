import { describe, expect, it } from 'vitest';
import demo from '../../scenarios/demo/gossip.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';

// Determinism is the product: a run is a pure function of (scenario, seed, options).
const swarm = (demo as Scenario[]).find((s) => s.name === 'demo-gossip-swarm')!;
// 250 seeds in `npm test` (kept under its 3-minute budget); the full 1,000 with SYNCBENCH_FULL=1, which
// .ci/run sets for its long-tests step (npm run test:long).
const SEEDS = process.env.SYNCBENCH_FULL === '1' ? 1000 : 250;

describe('determinism', () => {
  it(`${SEEDS} seeds of ${swarm.name}, each run twice, give identical trace hashes; distinct seeds differ`, async () => {
    const hashes = new Map<string, number>();
    for (let seed = 0; seed < SEEDS; seed++) {
      const a = await runScenario(swarm, seed);
      const b = await runScenario(swarm, seed);
      expect(b.traceHash, `seed ${seed}`).toBe(a.traceHash);
      expect(b.events, `seed ${seed}`).toBe(a.events);
      expect(b.verdict, `seed ${seed}`).toBe(a.verdict);
      hashes.set(a.traceHash, seed);
    }
    // Every seed draws its own faults and workload: all traces differ.
    expect(hashes.size).toBe(SEEDS);
  });

  it('two simulations interleaved in one process give the same hashes as when run alone', async () => {
    const alone = [(await runScenario(swarm, 11)).traceHash, (await runScenario(swarm, 12)).traceHash];
    // Slices of 7 events force the two runs to alternate many times on the real event loop.
    let switches = 0;
    let last = -1;
    const track = (who: number) => () => {
      if (last !== who) switches++;
      last = who;
    };
    const together = await Promise.all([
      runScenario(swarm, 11, { sliceEvents: 7, traceSink: track(0) }),
      runScenario(swarm, 12, { sliceEvents: 7, traceSink: track(1) }),
    ]);
    expect(together.map((r) => r.traceHash)).toEqual(alone);
    expect(switches).toBeGreaterThan(20);
  });

  it('the portable nextTick drain gives the same trace as the V8 drain', async () => {
    for (const seed of [1, 2, 3]) {
      const v8 = await runScenario(swarm, seed);
      const tick = await runScenario(swarm, seed, { forceNextTickDrain: true });
      expect(tick.traceHash).toBe(v8.traceHash);
    }
  });
});
