/**
 * Peer sync's evidence on the real runtime, for a run trace created with `peer: true`: the facts the peer
 * scenarios' model and checks read, decoded by the simulator recorders' own code (src/evidence/peer-wire.ts
 * `peerWireFacts`, peer-store.ts `peerStoreFacts`) from what the sockets carried and the kv stores hold:
 *
 * - `fact.peer.request|response|change|heartbeat|ack`: each frame that arrived at an env of the run (a
 *   connection's line or a datagram), decoded, before the implementation's handler sees it; `sentUs` is the
 *   run time at which the sender's env wrote that frame (the envs of a loopback run share the trace, so
 *   the sender's frame is matched by its text, first in first out);
 * - `fact.peer.store`: right after a strict kv commit of the device touching `meta` (before it resolves);
 * - `fact.peer.acks`: right after `node.start` of a device that has had acknowledgements delivered;
 * - `fact.clock {node, driftPpm: 0, wallMs, monotonicMs}`: at every `node.start`, the env's own clocks.
 *   A real machine's clocks have no known drift: the fact says 0, and a loopback run's envs read the same
 *   wall clock.
 */
import type { Value } from '../../impl/env.ts';
import { peerStoreFacts, type PeerStoreFacts } from '../../evidence/peer-store.ts';
import { peerWireFacts, type PeerWireFacts } from '../../evidence/peer-wire.ts';
import type { WireTap } from './connection.ts';
import type { RunTrace } from './run-trace.ts';
import type { KvPeek } from './store-evidence.ts';

/** What one run remembers: the decoders, frames in flight and the kv store of each device. */
interface PeerMemory {
  wire: PeerWireFacts;
  store: PeerStoreFacts;
  /** `<from>\0<to>\0<frame>` -> send times (µs) of the frames with that text not yet arrived. */
  inFlight: Map<string, number[]>;
  kvOf: Map<string, KvPeek>;
  /** Node -> its device (a relay's watermark is read from the responder's device). */
  deviceOf: Map<string, string>;
}

const memories = new WeakMap<RunTrace, PeerMemory>();

function memoryOf(run: RunTrace): PeerMemory {
  let m = memories.get(run);
  if (m === undefined) {
    const emit = (kind: string, data: Record<string, unknown>): void => void run.emit('sim', kind, data);
    const kvOf = new Map<string, KvPeek>();
    const deviceOf = new Map<string, string>();
    // A relay's watermark as its kv store holds it now: a device moves a watermark in memory only after the
    // transaction storing it committed, so this bounds the watermark it served under (peer-wire.ts).
    const wire = peerWireFacts(emit, (node, key) => kvOf.get(deviceOf.get(node) ?? node)?.peek('meta', key));
    m = { wire, store: peerStoreFacts((device, key) => kvOf.get(device)?.peek('meta', key), emit), inFlight: new Map(), kvOf, deviceOf };
    memories.set(run, m);
  }
  return m;
}

/** The peer evidence hooks of one env. */
export interface PeerEvidence {
  /** Observes the env's frames. */
  readonly wire: WireTap;
  /** After `node.start`: acknowledgements found, true clocks. */
  started(clocks: { wallMs: number; monotonicMs: number }): void;
  /** After a kv commit touching `stores` (`strict`: durable). */
  kvCommitted(stores: readonly string[], strict: boolean): void;
}

/** The peer evidence of the env `node` on `device`, whose kv store is `kv`. */
export function peerEvidence(run: RunTrace, node: string, device: string, kv: KvPeek): PeerEvidence {
  const m = memoryOf(run);
  m.kvOf.set(device, kv); // this env is the device's latest
  m.deviceOf.set(node, device);
  const key = (from: string, to: string, frame: string): string => `${from}\u0000${to}\u0000${frame}`;
  return {
    wire: {
      sent: (to, frame) => {
        const k = key(node, to, frame);
        const q = m.inFlight.get(k);
        if (q === undefined) m.inFlight.set(k, [run.now()]);
        else q.push(run.now());
      },
      arrived: (from, frame, message: Value) => {
        const k = key(from, node, frame);
        const q = m.inFlight.get(k);
        const sentUs = q?.shift() ?? run.now();
        if (q !== undefined && q.length === 0) m.inFlight.delete(k);
        try {
          m.wire.delivered(from, node, message, sentUs);
          m.store.delivered(from, device, message);
        } catch (e) {
          run.evidenceFailed(`a frame from ${from} to ${node}`, e);
        }
      },
    },
    started: (clocks) => {
      m.wire.started(node);
      m.store.started(device);
      run.emit('sim', 'fact.clock', { node, driftPpm: 0, wallMs: clocks.wallMs, monotonicMs: clocks.monotonicMs });
    },
    kvCommitted: (stores, strict) => {
      if (strict && stores.includes('meta')) m.store.changed(device, false);
    },
  };
}
