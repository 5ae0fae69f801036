/**
 * One direction of a link between two nodes: its fault settings (defaults plus overrides), its own random
 * streams (so one link's draws never shift another's), whether it is clogged, and the datagrams held
 * while it is.
 */
import type { Rng } from '../rng.ts';
import type { Datagram } from './datagram.ts';
import { Fifo } from '../fifo.ts';
import type { LinkFaults } from './spec.ts';

/** A tail or jitter draw is capped at this many times its mean (an explicit bound on latency). */
export const EXP_CAP = 10;

/** One direction of a link. */
export class Link {
  /** Effective settings (defaults with this link's overrides). */
  faults: LinkFaults;
  /** Fields set for this link only. */
  overrides: Partial<LinkFaults>;
  /** While clogged, everything on this direction is held (not lost). */
  clogged = false;
  /** Datagrams held while clogged, oldest first. */
  readonly held = new Fifo<Datagram>();

  constructor(
    readonly from: string,
    readonly to: string,
    /** Stream for connection traffic latencies. */
    readonly connRng: Rng,
    /** Stream for datagram latencies and faults. */
    readonly dgramRng: Rng,
    defaults: LinkFaults,
    overrides: Partial<LinkFaults>,
  ) {
    this.overrides = overrides;
    this.faults = { ...defaults, ...overrides };
  }

  /** Recomputes the effective settings after the defaults or the overrides changed. */
  refresh(defaults: LinkFaults): void {
    this.faults = { ...defaults, ...this.overrides };
  }

  /** One latency draw from `rng`, in integer µs (see spec.ts for the distribution). */
  latencyUs(rng: Rng): number {
    const f = this.faults;
    let ms = f.latencyMs;
    if (f.jitterMs > 0) ms += Math.min(rng.exponential(f.jitterMs), EXP_CAP * f.jitterMs);
    if (f.tailProbability > 0 && rng.chance(f.tailProbability) && f.tailMs > 0) {
      ms += Math.min(rng.exponential(f.tailMs), EXP_CAP * f.tailMs);
    }
    return Math.ceil(ms * 1000);
  }
}
