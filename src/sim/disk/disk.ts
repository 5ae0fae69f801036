// PLACEHOLDER: replaced by the disk implementation.
import type { Disk } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';
export interface DiskSpec { profile?: 'strict' | 'ordered' | 'weak' }
export class SimDisk {
  constructor(readonly sim: Simulation, readonly deviceId: string, readonly spec: DiskSpec) {}
  facet(_node: SimNode, _inc: number): Disk { return new Proxy({}, { get: () => () => { throw new Error('disk not implemented yet'); } }) as never; }
}
