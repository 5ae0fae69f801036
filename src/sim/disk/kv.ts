// PLACEHOLDER: replaced by the kv implementation.
import type { KvStore } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Simulation } from '../simulation.ts';
export interface KvSpec { durability?: 'strict' | 'relaxed' }
export class SimKv {
  constructor(readonly sim: Simulation, readonly deviceId: string, readonly spec: KvSpec) {}
  facet(_node: SimNode, _inc: number): KvStore { return new Proxy({}, { get: () => () => { throw new Error('kv not implemented yet'); } }) as never; }
}
