/**
 * `fact.clock`: each node's true clock readings, from the simulator, so checks about time (lease beliefs,
 * drift bounds, HLC rejections) never trust what the implementation says its clock read.
 *
 *   fact.clock {node, driftPpm, wallMs, monotonicMs}   (node 'sim')
 *
 * A sample of the node's clocks at the record's true time `t` (µs): its wall clock (ms since the epoch,
 * offset and jumps included) and its monotonic clock (ms since its process started). Both run at rate
 * `1 + driftPpm / 1e6` of true time until the next `fact.clock` of that node, so a reading at a later true
 * time t' is `monotonicMs + (t' - t) / 1000 * rate` (the same for wallMs). Emitted at every `node.start`
 * (after the process's monotonic clock restarted) and right after every clock change (a jump of the wall
 * clock, a new drift).
 */
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

/** A node's clock readings as `fact.clock` carries them. */
export interface ClockFact {
  node: string;
  driftPpm: number;
  wallMs: number;
  monotonicMs: number;
}

/** The readings `fact.clock` extrapolates to true time `atUs`, from a fact recorded at true time `tUs`. */
export function clockAt(fact: ClockFact, tUs: number, atUs: number): { wallMs: number; monotonicMs: number } {
  const elapsedMs = ((atUs - tUs) / 1000) * (1 + fact.driftPpm / 1e6);
  return { wallMs: fact.wallMs + elapsedMs, monotonicMs: fact.monotonicMs + elapsedMs };
}

/** Records `fact.clock` for every node. */
export function clockEvidence(): EvidenceRecorder {
  return {
    name: 'true-clocks',
    produces: ['fact.clock'],
    install(sim: Simulation) {
      const emit = (id: string): void => {
        const node = sim.nodes.get(id);
        if (node === undefined) return;
        const c = node.clock;
        sim.trace.emit('sim', 'fact.clock', { node: id, driftPpm: c.driftPpm, wallMs: c.wallMs(), monotonicMs: c.monotonicMs() });
      };
      for (const [id, node] of sim.nodes) node.clock.onChange = () => emit(id);
      sim.trace.on('node.start', (r) => emit(r.node));
    },
  };
}
