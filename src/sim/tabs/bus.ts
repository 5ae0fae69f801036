// PLACEHOLDER: replaced by the bus implementation.
import type { Bus } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';
export class SimBus {
  constructor(readonly sim: Simulation, readonly deviceId: string) {}
  facet(_node: SimNode, _inc: number): Bus { return new Proxy({}, { get: () => () => { throw new Error('bus not implemented yet'); } }) as never; }
}
