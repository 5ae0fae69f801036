/**
 * The simulated store's transaction: the shared bookkeeping of src/impl/seam/kv-tx.ts plus what the
 * simulator's scheduling needs (the node and incarnation that opened it, operations in flight).
 */
import type { KvDurability, KvTx } from '../../impl/env.ts';
import { KvTxCore } from '../../impl/seam/kv-tx.ts';
import type { SimNode } from '../node.ts';

/** An unfinished transaction of the simulated store. */
export class KvTransaction extends KvTxCore {
  /** fn resolved: commit once no operation is in flight. */
  fnDone = false;
  result: unknown = undefined;
  /** Operations requested and not yet completed. */
  inflight = 0;

  constructor(
    id: number,
    readonly node: SimNode,
    readonly inc: number,
    stores: ReadonlySet<string>,
    mode: 'readonly' | 'readwrite',
    durability: KvDurability,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
    fn: (tx: KvTx) => Promise<unknown>,
  ) {
    super(id, stores, mode, durability, resolve, reject, fn);
  }
}
