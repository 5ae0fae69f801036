/**
 * invariant:log-pruned-when-acked — the other side of invariant:log-pruned-after-acks: a device's shared-
 * change log (kv store `log`, key `<resource>/<hlc>`) keeps only what some member has not acknowledged.
 * After every kv commit of a device that stores an acknowledgement (store `meta`, key
 * `ack/<peer>/<resource>`) or deletes log entries, when its kv store holds an acknowledgement of every other
 * member for that resource, no log entry of the resource at or below the smallest of them is left: the
 * commit that stores the acknowledgement completing the floor prunes the log up to it (docs/peer-sync.md,
 * Acknowledgements and pruning). A prune that deletes the wrong entries (its in-memory log out of step with
 * the store, the newest entries instead of the oldest) leaves acknowledged entries behind for good: the
 * log grows, and the in-memory log it prunes from no longer holds what is still unacknowledged, so those
 * changes are never resent.
 *
 * Evidence: each device's kv commits as the simulator applied them (`SimKv.observeCommits`: the keys of
 * store `log` put and deleted, the `ack/` keys of store `meta`); every peer commit is strict, so what a
 * commit applied is durable. (An implementation with relaxed commits could lose an acknowledgement at a
 * power loss that this fold still counts: such commits would have to be left out, or the state rebuilt
 * from the durable image at `kv.powerloss`; the built-in makes none.) The peers a device waits for are the ids its program lists (`peers`). A live
 * check.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { nodeDevices } from './node-devices.ts';

export const LOG_PRUNED_WHEN_ACKED = 'invariant:log-pruned-when-acked';

const LOG_KEY = /^([^/]+)\/(.+)$/;
const ACK_KEY = /^ack\/(.+)\/([^/]+)$/;

/** What one device's kv store holds of its log and acknowledgements (from its applied commits). */
interface DeviceLog {
  /** Resource -> the hlcs of its log entries. */
  log: Map<string, Set<string>>;
  /** Resource -> peer -> the acknowledgement stored. */
  acks: Map<string, Map<string, string>>;
}

/**
 * After each commit that stores an acknowledgement or prunes, the log holds nothing every member
 * acknowledged. `peers`: the ids the members' programs list as their peers (what a device waits for before
 * it prunes; default `nodes`): a scripted member the checks leave out still holds up every prune.
 */
export function logPrunedWhenAckedCheck(nodes: readonly string[], peers: readonly string[] = nodes): Check {
  return {
    name: LOG_PRUNED_WHEN_ACKED,
    covers: [LOG_PRUNED_WHEN_ACKED],
    setup(ctx: ScenarioContext) {
      const deviceOf = nodeDevices(ctx, nodes);
      for (const [node, device] of deviceOf) {
        const state: DeviceLog = { log: new Map(), acks: new Map() };
        // Acknowledgement keys name a peer by the id the program lists it under.
        const others = peers.filter((p) => p !== node && p !== device);
        ctx.sim.device(device).kv.observeCommits((c) => {
          const touched = new Set<string>();
          for (const w of c.writes) {
            if (typeof w.key !== 'string') continue;
            if (w.store === 'log') {
              const m = LOG_KEY.exec(w.key);
              if (m === null) continue;
              let set = state.log.get(m[1]!);
              if (set === undefined) state.log.set(m[1]!, (set = new Set()));
              if (w.value === undefined) {
                set.delete(m[2]!);
                touched.add(m[1]!);
              } else set.add(m[2]!);
            } else if (w.store === 'meta') {
              const m = ACK_KEY.exec(w.key);
              if (m === null) continue;
              let acks = state.acks.get(m[2]!);
              if (acks === undefined) state.acks.set(m[2]!, (acks = new Map()));
              if (typeof w.value === 'string') acks.set(m[1]!, w.value);
              else acks.delete(m[1]!);
              touched.add(m[2]!);
            }
          }
          if (touched.size === 0 || others.length === 0 || ctx.sim.failure !== null) return;
          for (const resource of touched) {
            const acks = state.acks.get(resource);
            let floor: string | null = null;
            for (const peer of others) {
              const a = acks?.get(peer);
              if (a === undefined) {
                floor = null;
                break;
              }
              if (floor === null || a < floor) floor = a;
            }
            if (floor === null) continue;
            ctx.exercised(LOG_PRUNED_WHEN_ACKED);
            let left: string | null = null;
            for (const hlc of state.log.get(resource) ?? []) if (hlc <= floor && (left === null || hlc < left)) left = hlc;
            if (left === null) continue;
            return ctx.fail(
              'correctness',
              LOG_PRUNED_WHEN_ACKED,
              `${device}'s kv store holds an acknowledgement of every other member for '${resource}' up to ${floor} after kv commit tx ${c.tx}, but its log still holds the entry ${left}: ` +
                'a prune left an acknowledged entry behind (the log grows, and the log the device prunes and resends from is out of step with its store)',
              { device, resource, floor, left, tx: c.tx },
            );
          }
        });
      }
    },
  };
}
