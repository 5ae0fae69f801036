/**
 * invariant:ready-serves-durable — when a device becomes ready after a start (its `peer.sync.ready`: a
 * founder, a restart of a complete device, the end of a backfill), what it serves includes every record
 * its kv store durably holds at that moment (store `rec`, key `<resource>/<uuid>`, value `{u, w, t, d}`;
 * docs/peer-sync.md), the same version or one that beats it by the merge rule, and every write it
 * acknowledged itself before that start (the workload's ledger, `ackedWrites`): acked-not-lost judged at
 * every ready, not only at the end. A restart that serves less than it durably holds shows a user reading
 * right after it acknowledged data missing, even when catch-up fetches it again before the end, where
 * memory-is-durable, acked-not-lost and converged look (the paged recovery of issue 14's peer seam).
 *
 * Why "includes" and not less: a peer never prunes `rec` (tombstones are kept forever, docs/peer-sync.md,
 * Known limits; only own `log` entries are pruned). A port that forgets records must delete their keys in
 * the same commit: what its store no longer holds durably is not required.
 *
 * A live check: it reads the node's `PeerView` (`get`) and the simulator's durable kv image
 * (`SimKv.durableGet`), key by key — no copy of the store. The keys to read are the `rec` keys the device's
 * commits ever wrote (`SimKv.observeCommits`, keys only); one never written cannot be held. Each commit only
 * appends its `rec` keys to a log; the log is folded into the set of keys (in order of first write) when the
 * device is judged, so a device never judged (a founder ready before its first commit, never restarted)
 * costs one array push per write, nothing more. The comparison
 * runs in a simulator event of its own at the virtual time of the ready record, right after the event that
 * traced it (a restarted node's handle exists only once its start resolved, in that event's microtasks).
 * Only events already due at that same microsecond run in between; a commit one of them completes is
 * judged with the rest (durable, it must be served: a node applies what it committed in the microtasks of
 * the event that completed the commit). A node down or paused by then is not judged (nobody can read it).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { ackedWrites, heldAcked, type PeerView } from './peer-view.ts';
import { isStored } from './record-fields.ts';

const NAME = 'invariant:ready-serves-durable';

/**
 * True when `served` is the durable version or beats it by the merge rule (docs/peer-sync.md, Data: a
 * tombstone beats a live version, else the larger key; one uuid, so the larger timestamp).
 */
function servesAtLeast(served: { ts: string; data: string | null } | undefined, durable: { t: string; d: string | null }): boolean {
  if (served === undefined) return false;
  if (served.ts === durable.t) return served.data === durable.d;
  if ((served.data === null) !== (durable.d === null)) return served.data === null;
  return served.ts > durable.t;
}

/**
 * The `rec` keys one device's commits wrote: `log`, every one as written (repeats included), not yet folded
 * into `keys`, each key once in order of first write.
 */
interface DeviceKeys {
  log: string[];
  keys: Set<string>;
}

/**
 * Every `rec` key the device's commits wrote, in order of first write, after folding in the log: the same
 * set, in the same order, as adding each key as its commit is observed (a key already there keeps its place).
 */
function writtenKeys(dk: DeviceKeys | undefined): ReadonlySet<string> {
  if (dk === undefined) return new Set();
  const { log, keys } = dk;
  for (let i = 0; i < log.length; i++) keys.add(log[i]!);
  log.length = 0;
  return keys;
}

const AFTER_READY = 'peer.after-ready';

/**
 * Runs `fn` in the simulator event in which this check judges `node`'s ready (right after the event that
 * traced `peer.sync.ready`, once a restarted node's handle exists), so that another check judging the same
 * moment adds no event of its own (the run's event count, and so its summary line, stay as they were); in an
 * event of its own when this check is not in the scenario. Call it from a `peer.sync.ready` listener.
 */
export function afterReady(ctx: ScenarioContext, node: string, fn: () => void): void {
  const hooks = ctx.runState.get(AFTER_READY) as Map<string, (() => void)[]> | undefined;
  if (hooks === undefined) {
    ctx.sim.scheduler.after(0, fn);
    return;
  }
  let list = hooks.get(node);
  if (list === undefined) hooks.set(node, (list = []));
  list.push(fn);
}

/** At every ready after a start, the node serves what its kv store durably holds and what it acknowledged. */
export function readyServesDurableCheck(nodes: readonly string[]): Check {
  /** Per run: device -> the `rec` keys its commits wrote (see DeviceKeys). */
  const keysOf = (ctx: ScenarioContext): Map<string, DeviceKeys> => {
    let m = ctx.runState.get(NAME) as Map<string, DeviceKeys> | undefined;
    if (m === undefined) ctx.runState.set(NAME, (m = new Map()));
    return m;
  };

  function judge(ctx: ScenarioContext, id: string, inc: number): void {
    const node = ctx.sim.node(id);
    const h = ctx.handle<PeerView>(id);
    if (h === null || node.incarnation !== inc || ctx.sim.failure !== null) return;
    const kv = ctx.sim.device(node.deviceId).kv;
    let missing = 0;
    let first = '';
    let held = 0;
    let lastResource = '';
    // (forEach, not for-of: this runs once per ready, mostly unoptimized, and allocates nothing per key.)
    writtenKeys(keysOf(ctx).get(node.deviceId)).forEach((key) => {
      // The stored value is read as it is, not decoded into a new record.
      const durable = kv.durableGet('rec', key);
      if (!isStored(durable)) return;
      held++;
      // The key split at its first '/': resource key.slice(0, slash), uuid key.slice(slash + 1), as strings
      // equal to the last resource and to the stored uuid when they are (almost always): no copy per key.
      const slash = key.indexOf('/');
      const resource = slash === lastResource.length && key.startsWith(lastResource) ? lastResource : (lastResource = key.slice(0, slash));
      const uuid = key.length - slash - 1 === durable.u.length && key.endsWith(durable.u) ? durable.u : key.slice(slash + 1);
      const served = h.get(resource, uuid);
      if (servesAtLeast(served, durable)) return;
      if (missing++ === 0) first = `'${resource}' ${uuid}: its kv store durably holds ${durable.t} ${durable.d === null ? '(tombstone)' : JSON.stringify(durable.d)}, it serves ${served === undefined ? 'nothing' : `${served.ts} ${served.data === null ? '(tombstone)' : JSON.stringify(served.data)}`}`;
    });
    ctx.exercised(NAME);
    if (missing > 0) {
      ctx.fail('correctness', NAME, `${id} ready (incarnation ${inc}): serves ${held - missing} of the ${held} records its kv store durably holds; ${first}`);
      return;
    }
    // Its own acknowledged writes (a new process cannot write before it is ready: all of an earlier one).
    const acked = ackedWrites(ctx);
    for (let i = 0; i < acked.length; i++) {
      const w = acked[i]!;
      if (w.node !== id) continue;
      const issue = heldAcked(w, h.get(w.resource, w.uuid));
      if (issue !== null) {
        ctx.fail('correctness', NAME, `${id} ready (incarnation ${inc}): its own acknowledged ${issue}`);
        return;
      }
    }
  }

  return {
    name: NAME,
    covers: [NAME],
    setup(ctx: ScenarioContext) {
      const keys = keysOf(ctx);
      const devices = new Set(nodes.map((id) => ctx.sim.node(id).deviceId));
      for (const device of devices) {
        const dk: DeviceKeys = { log: [], keys: new Set() };
        keys.set(device, dk);
        ctx.sim.device(device).kv.observeCommits((c) => {
          for (const w of c.writes) if (w.store === 'rec' && typeof w.key === 'string') dk.log.push(w.key);
        });
      }
      const hooks = new Map<string, (() => void)[]>();
      ctx.runState.set(AFTER_READY, hooks);
      ctx.trace.on('peer.sync.ready', (r) => {
        if (!nodes.includes(r.node)) return;
        const inc = ctx.sim.node(r.node).incarnation;
        // (No new list here: hooks added for this ready by other checks' listeners, before or after this
        // one, are run by this event.)
        ctx.sim.scheduler.after(0, () => {
          judge(ctx, r.node, inc);
          const list = hooks.get(r.node);
          if (list === undefined) return;
          hooks.delete(r.node);
          for (const fn of list) fn();
        });
      });
    },
  };
}
