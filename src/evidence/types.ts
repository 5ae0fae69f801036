/**
 * Evidence recorders: what the simulator knows for certain, written into the trace as `fact.*` records so
 * that models and invariants decide from ground truth instead of from what the implementation says about
 * itself, and so that a recorded trace carries its own evidence (checks read the trace, never the
 * simulator). docs/models.md lists every fact kind, who writes it and which checks read it.
 *
 * A recorder reads only the simulator (durable disk and kv images, what the network and the tab bus
 * delivered, true clocks) and the implementation's documented formats (on-disk layout, wire messages),
 * decoded here independently of `src/impl`. It emits on node 'sim', right after the simulator record that
 * changed the fact, so a fact always precedes the implementation's next step.
 */
import type { Simulation } from '../sim/simulation.ts';

/** Something that writes `fact.*` records into a run's trace. */
export interface EvidenceRecorder {
  /** Short name for errors and docs ('store-durable', 'peer-wire'...). */
  name: string;
  /** The fact kinds it writes (e.g. 'fact.store'): models list the kinds they need in `ModelSpec.facts`. */
  produces: readonly string[];
  /** Subscribes to the simulation (called once, before the run starts and before models attach). */
  install(sim: Simulation): void;
}
