/**
 * `fact.request`: a request record of a block store (kv backend) became durable — the store's own proof
 * that a request id was applied, read from the simulator's kv store, never from the implementation's
 * trace.
 *
 *   fact.request {device, root, reqId, commit, epoch, node, result}   (node 'sim')
 *
 * - reqId: the key in object store `<root>:requests`; commit / epoch: what the record says (the number and
 *   epoch of the commit that recorded it, written in the same transaction as that commit's marker);
 * - node: the tab whose transaction wrote the record;
 * - result: the record's `result` as stored (the election store keeps `{key, value, epoch, writer}`).
 *
 * Emitted once per write of a record (a new id, or an existing id written again — which the store's
 * protocol never does: records are written once), right after the `kv.commit` that wrote it when the
 * commit is strict, else when the relaxed commit became durable (`kv.durable`, or kept by a power loss).
 * A record lost by a power loss is never reported. Format (docs/storage.md, "kv backend"): the value is
 * `{commit, epoch, result}`; anything else in that object store is ignored.
 */
import type { KvCommitView } from '../sim/disk/kv.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

/** A request record as `fact.request` carries it (besides device and root). */
export interface RequestFact {
  reqId: string;
  commit: number;
  epoch: number;
  node: string;
  result: unknown;
}

/** The record `{commit, epoch, result}` of request `reqId`, or null when it is not one. */
function decodeRecord(reqId: string, node: string, value: unknown): RequestFact | null {
  const v = value as { commit?: unknown; epoch?: unknown; result?: unknown } | null | undefined;
  if (v === null || v === undefined || typeof v !== 'object') return null;
  if (typeof v.commit !== 'number' || typeof v.epoch !== 'number') return null;
  return { reqId, commit: v.commit, epoch: v.epoch, node, result: v.result ?? null };
}

/** A relaxed commit's records waiting to become durable. */
interface Held {
  tx: number;
  root: string;
  facts: RequestFact[];
}

/** Records `fact.request` for the block stores at kv roots `roots` (default: the project's 'store') on every device. */
export function requestEvidence(roots: readonly string[] = ['store']): EvidenceRecorder {
  const stores = new Map<string, string>(roots.map((r) => [`${r}:requests`, r]));
  return {
    name: 'store-requests',
    produces: ['fact.request'],
    install(sim: Simulation) {
      for (const device of sim.devices.values()) {
        const held: Held[] = [];
        const emit = (root: string, f: RequestFact): void => {
          sim.trace.emit('sim', 'fact.request', { device: device.id, root, reqId: f.reqId, commit: f.commit, epoch: f.epoch, node: f.node, result: f.result });
        };
        device.kv.observeCommits((c: KvCommitView) => {
          // Made only for a commit that wrote a request record (most commits write none).
          let byRoot: Map<string, RequestFact[]> | null = null;
          for (const w of c.writes) {
            const root = stores.get(w.store);
            if (root === undefined || typeof w.key !== 'string') continue;
            const f = decodeRecord(w.key, c.node, w.value);
            if (f === null) continue;
            byRoot ??= new Map();
            let list = byRoot.get(root);
            if (list === undefined) byRoot.set(root, (list = []));
            list.push(f);
          }
          if (byRoot === null) return;
          for (const [root, facts] of byRoot) {
            if (c.durability === 'strict') for (const f of facts) emit(root, f);
            else held.push({ tx: c.tx, root, facts });
          }
        });
        if (roots.length === 0) continue;
        // Relaxed commits: report what became durable; after a power loss, what survived.
        sim.trace.on('kv.durable', (r) => {
          if (r.data.device !== device.id) return;
          const upTo = r.data.upTo as number;
          while (held.length > 0 && held[0]!.tx <= upTo) {
            const h = held.shift()!;
            for (const f of h.facts) emit(h.root, f);
          }
        });
        sim.trace.on('kv.powerloss', (r) => {
          if (r.data.device !== device.id) return;
          const lostFrom = r.data.lostFrom as number | null;
          for (const h of held.splice(0)) if (lostFrom === null || h.tx < lostFrom) for (const f of h.facts) emit(h.root, f);
        });
      }
    },
  };
}
