/**
 * `fact.peer.store`: the durable sync state of every peer sync device, read from the simulator's durable
 * kv image (what a power loss now would leave), never from the device's own trace.
 *
 *   fact.peer.store {device, init, checkpoint}   (node 'sim')
 *
 * - init: the device durably holds a complete library (kv object store `meta`, key `init` is `true`);
 * - checkpoint: its durable backfill checkpoint (store `meta`, key `checkpoint`), per resource
 *   `{ts, uuid, done}`: the cursor after the last durable batch (null ts and uuid before the first one)
 *   and whether the resource is complete; null when there is none (never started, or finished).
 *
 * Emitted when one of these changes, right after the simulator record that changed it: a strict
 * `kv.commit` whose scope includes `meta` (every peer commit is strict: durable when it commits), and
 * `kv.durable` / `kv.powerloss` (relaxed commits settled or lost). So the durable point is known before
 * the device's next step (its next request, its `peer.backfill.batch`).
 *
 * Decoded here, independently of `src/impl` (docs/peer-sync.md, Backfill: `meta/checkpoint` holds per
 * resource `cursor {ts, uuid} | null, done, ...`; `init` is `true` once complete). Only these two keys
 * are read, one `durableGet` each per commit: no image is copied.
 *
 *   fact.peer.acks {device, acks: {peer: {resource: upTo}}}   (node 'sim')
 *
 * - the acknowledgements a device's new process finds in its kv store when it starts (store `meta`, key
 *   `ack/<peer>/<resource>`: the HLC up to which that peer acknowledged the device's shared changes,
 *   docs/peer-sync.md, Pruning): what survived of the acknowledgements its earlier processes received. An
 *   acknowledgement delivered to a process that died before storing it is not there: the new process
 *   cannot know it (invariant:resend-unacked, peer-swarm-long seed 1021009).
 *
 * Emitted right after `node.start`, before the process runs, for a device that has had acknowledgements
 * delivered (only their (peer, resource) pairs are read, one `visibleGet` each: the new process reads the
 * visible image, which after a power loss is the durable one).
 */
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { EvidenceRecorder } from './types.ts';

/** One resource of a durable checkpoint. */
export interface CheckpointEntry {
  ts: string | null;
  uuid: string | null;
  done: boolean;
}

/** The fields of `fact.peer.store`. */
export interface PeerStoreFact {
  device: string;
  init: boolean;
  checkpoint: Record<string, CheckpointEntry> | null;
}

/** The fields of `fact.peer.acks`: per acknowledging peer, per resource, the stored `upTo`. */
export interface PeerAcksFact {
  device: string;
  acks: Record<string, Record<string, string>>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes a stored checkpoint value (null when absent or not a checkpoint). */
export function decodeCheckpoint(v: unknown): Record<string, CheckpointEntry> | null {
  if (!isObj(v)) return null;
  const out: Record<string, CheckpointEntry> = {};
  for (const [r, e] of Object.entries(v)) {
    if (!isObj(e)) continue;
    const c = e.cursor;
    const cursor = isObj(c) && typeof c.ts === 'string' && typeof c.uuid === 'string' ? c : null;
    out[r] = { ts: cursor === null ? null : (cursor.ts as string), uuid: cursor === null ? null : (cursor.uuid as string), done: e.done === true };
  }
  return out;
}

/** What a peer store recorder needs to be told. */
export interface PeerStoreFacts {
  /** A message was delivered to a process of `device` (AckSharedChanges name the keys to read at its next start). */
  delivered(from: string, device: string, message: unknown): void;
  /** A process of `device` started (after its `node.start`): `fact.peer.acks` when it has had acknowledgements delivered. */
  started(device: string): void;
  /** The device's `meta` store may have changed durably (`durable`: read durable values, else visible ones). */
  changed(device: string, durable: boolean): void;
  /** The device has written a fact already. */
  seen(device: string): boolean;
}

/**
 * The decoding of `fact.peer.store` and `fact.peer.acks`, reading a device's kv `meta` store with
 * `read(device, key, durable)` and writing each fact with `emit`: the simulator's recorder reads its kv
 * images, the real runtime's run trace its kv stores.
 */
export function peerStoreFacts(
  read: (device: string, key: string, durable: boolean) => unknown,
  emit: (kind: string, data: Record<string, unknown>) => void,
): PeerStoreFacts {
  // Device -> `peer\u0000resource` of every AckSharedChanges the network delivered to it: the only
  // `ack/<peer>/<resource>` keys its store can hold (the wire format, docs/peer-sync.md, Messages).
  const acked = new Map<string, Set<string>>();
  // Per device: the stored values last decoded (by reference: a put stores a new object) and the fact.
  const seen = new Map<string, { init: unknown; checkpoint: unknown; text: string }>();
  return {
    delivered(from, device, message) {
      if (!isObj(message) || message.type !== 'AckSharedChanges' || typeof message.resource !== 'string') return;
      let pairs = acked.get(device);
      if (pairs === undefined) acked.set(device, (pairs = new Set()));
      pairs.add(`${from}\u0000${message.resource}`);
    },
    started(device) {
      const pairs = acked.get(device);
      if (pairs === undefined) return;
      const acks: Record<string, Record<string, string>> = {};
      for (const pair of [...pairs].sort()) {
        const [peer, resource] = pair.split('\u0000') as [string, string];
        const v = read(device, `ack/${peer}/${resource}`, false);
        if (typeof v === 'string') (acks[peer] ??= {})[resource] = v;
      }
      const fact: PeerAcksFact = { device, acks };
      emit('fact.peer.acks', fact as unknown as Record<string, unknown>);
    },
    changed(device, durable) {
      const init = read(device, 'init', durable);
      const checkpoint = read(device, 'checkpoint', durable);
      const before = seen.get(device);
      if (before !== undefined && before.init === init && before.checkpoint === checkpoint) return;
      if (before === undefined && init === undefined && checkpoint === undefined) return;
      const fact: PeerStoreFact = { device, init: init === true, checkpoint: decodeCheckpoint(checkpoint) };
      const text = JSON.stringify(fact);
      seen.set(device, { init, checkpoint, text });
      if (before?.text !== text) emit('fact.peer.store', fact as unknown as Record<string, unknown>);
    },
    seen: (device) => seen.has(device),
  };
}

/**
 * Records `fact.peer.store` for every device (devices without peer state emit nothing), and
 * `fact.peer.acks` when a device that has had acknowledgements delivered starts.
 */
export function peerStoreEvidence(): EvidenceRecorder {
  return {
    name: 'peer-store-durable',
    produces: ['fact.peer.store', 'fact.peer.acks'],
    install(sim: Simulation) {
      const facts = peerStoreFacts(
        (device, key, durable) => (durable ? sim.device(device).kv.durableGet('meta', key) : sim.device(device).kv.visibleGet('meta', key)),
        (kind, data) => void sim.trace.emit('sim', kind, data),
      );
      sim.network.observeDeliveries((from, to, message) => facts.delivered(from, sim.nodes.get(to)?.deviceId ?? to, message));
      sim.trace.on('node.start', (r) => facts.started(typeof r.data.device === 'string' ? r.data.device : r.node));
      const deviceOf = (rec: TraceRecord): string | null => (typeof rec.data.device === 'string' ? rec.data.device : (sim.nodes.get(rec.node)?.deviceId ?? null));
      sim.trace.on('kv.commit', (r) => {
        if (r.data.durability !== 'strict' || !(r.data.stores as string[]).includes('meta')) return;
        const device = deviceOf(r);
        // A strict commit made everything before it durable too: the visible values are the durable ones.
        if (device !== null) facts.changed(device, false);
      });
      const settled = (r: TraceRecord): void => {
        const device = deviceOf(r);
        if (device !== null && facts.seen(device)) facts.changed(device, true);
      };
      sim.trace.on('kv.durable', settled);
      sim.trace.on('kv.powerloss', settled);
    },
  };
}
