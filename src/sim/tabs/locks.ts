// PLACEHOLDER: replaced by the locks implementation.
import type { Locks } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';
export class SimLocks {
  constructor(readonly sim: Simulation, readonly deviceId: string) {}
  facet(_node: SimNode, _inc: number): Locks { return new Proxy({}, { get: () => () => { throw new Error('locks not implemented yet'); } }) as never; }
}
