/**
 * The HLC seam (PeerOptions.hlc, HybridClock in src/impl/peer/hlc.ts): a plugged-in clock runs in the stock
 * peer scenarios and is judged by the same trace checks as the built-in one. The built-in clock plugged
 * in explicitly gives the same traces; a clock that ignores what it observes fails invariant:hlc; one that
 * never rejects a remote too far ahead fails invariant:hlc-drift.
 */
import { describe, expect, it } from 'vitest';
import { peerProgram } from '../../scenarios/peer/_common.ts';
import { HlcClock, type Hlc, type HybridClock, type HybridClockFactory } from '../../src/impl/peer/hlc.ts';
import { loadScenarios } from '../../src/scenario/registry.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Scenario } from '../../src/scenario/types.ts';

const byName = new Map((await loadScenarios('scenarios')).map((l) => [l.scenario.name, l.scenario]));
const NODES = ['A', 'B', 'C', 'D'];

/** A wall-clock "HLC": ticks from the device's wall clock and a counter, never moves past what it observes. */
class WallOnly implements HybridClock {
  private last: Hlc;
  constructor(
    readonly device: string,
    private readonly wallMs: () => number,
    readonly maxDriftMs: number,
  ) {
    this.last = { physicalMs: 0, counter: 0, device };
  }
  peek(): Hlc {
    return this.last;
  }
  tick(): Hlc {
    const wall = this.wallMs();
    this.last = wall > this.last.physicalMs ? { physicalMs: wall, counter: 0, device: this.device } : { ...this.last, counter: this.last.counter + 1 };
    return this.last;
  }
  observe(): void {}
  restoreFloor(floor: Hlc): void {
    if (floor.physicalMs > this.last.physicalMs) this.last = { ...floor, device: this.device };
  }
}

/** The built-in clock with the drift bound switched off (it never throws HlcDriftError). */
const noDriftBound: HybridClockFactory = (device, wallMs, maxDriftMs) => {
  const inner = new HlcClock(device, wallMs, Number.MAX_SAFE_INTEGER);
  return { device, maxDriftMs, peek: () => inner.peek(), tick: () => inner.tick(), observe: (r) => inner.observe(r), restoreFloor: (f) => inner.restoreFloor(f) };
};

function withClock(name: string, options: Record<string, unknown>, hlc: HybridClockFactory): Scenario {
  return { ...byName.get(name)!, program: peerProgram(NODES, { ...options, hlc }) };
}

describe('the HLC seam', () => {
  it('the built-in clock plugged in explicitly gives the same traces as the default', async () => {
    const builtIn: HybridClockFactory = (device, wallMs, maxDriftMs) => new HlcClock(device, wallMs, maxDriftMs);
    for (const seed of [0, 1]) {
      const a = await runScenario(byName.get('peer-clock-skew')!, seed);
      const b = await runScenario(withClock('peer-clock-skew', {}, builtIn), seed);
      expect(b.verdict).toBe('pass');
      expect(b.traceHash).toBe(a.traceHash);
    }
  });

  it('a clock that ignores what it observes fails invariant:hlc under clock skew', async () => {
    const verdicts = await Promise.all([0, 1, 2].map((seed) => runScenario(withClock('peer-clock-skew', {}, (d, w, m) => new WallOnly(d, w, m)), seed)));
    const failed = verdicts.filter((r) => r.verdict === 'correctness');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.failure?.check).toBe('invariant:hlc');
  });

  it('a clock that never rejects a remote too far ahead fails invariant:hlc-drift', async () => {
    const r = await runScenario(withClock('peer-clock-drift-rejected', { maxDriftMs: 5_000 }, noDriftBound), 0);
    expect(`${r.verdict} ${r.failure?.check}`).toBe('correctness invariant:hlc-drift');
  });

  it('a non-function hlc option is refused naming it', async () => {
    const r = await runScenario(withClock('peer-clock-skew', {}, 'nope' as unknown as HybridClockFactory), 0);
    expect(r.verdict).toBe('crash');
    expect(r.failure?.message).toMatch(/peer options: hlc must be a function/);
  });
});
