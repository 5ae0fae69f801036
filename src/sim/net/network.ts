// PLACEHOLDER: replaced by the network implementation.
import type { Net } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';
export interface NetSpec { latencyMs?: number }
export class SimNetwork {
  constructor(readonly sim: Simulation, readonly spec: NetSpec) {}
  facet(_node: SimNode, _inc: number): Net { return new Proxy({}, { get: () => () => { throw new Error('net not implemented yet'); } }) as never; }
}
