/**
 * invariant:buffered-live-kept — every live change the network delivered to a device's process while it was
 * not ready (a joiner backfilling, a restarted device loading: it buffers live changes, docs/peer-sync.md)
 * is served when that process becomes ready (its `peer.sync.ready`): the same version or one that beats it
 * by the merge rule, unless the device visibly discarded its buffer since the delivery
 * (`peer.buffer.overflow`: catch-up then fetches everything newer than its watermarks) or rejected the
 * message (`peer.hlc.rejected` of that message's clock: judged by invariant:hlc-drift).
 *
 * Evidence: the live messages as the network delivered them (`Network.observeDeliveries`: StateChange,
 * StateBatch, SharedChange, SharedChangeBatch from a member, decoded from the wire format of
 * docs/peer-sync.md, every record `{u, w, t, d}`), and the node's public handle (`get`) right after its
 * ready (in the event invariant:ready-serves-durable judges it in: `afterReady`).
 * invariant:buffer-exactly-once judges the device's own bookkeeping (the ids it gives buffered updates,
 * `peer.buffer.push/applied`): a device that files the records of one owned transaction under one id
 * (their shared timestamp) keeps one of them and drops the rest silently, and that bookkeeping agrees with
 * itself (variant `peer-buffer-dedup-by-ts`).
 *
 * A process's deliveries are forgotten when it stops (a new process starts with an empty buffer).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import type { PeerView } from './peer-view.ts';
import { afterReady } from './ready-serves-durable.ts';

const NAME = 'invariant:buffered-live-kept';

const LIVE = new Set(['StateChange', 'StateBatch', 'SharedChange', 'SharedChangeBatch']);

type Obj = { readonly [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One record a live message delivered: where it goes, its version, and the message that carried it. */
interface Delivered {
  resource: string;
  uuid: string;
  t: string;
  d: string | null;
  from: string;
  /** The message's largest timestamp (what a clock-drift rejection names). */
  msgMax: string;
}

/** The records of a live message, or null when it is not one (or does not decode). */
function liveRecords(message: unknown): { resource: string; records: { u: string; t: string; d: string | null }[] } | null {
  if (!isObj(message) || typeof message.type !== 'string' || !LIVE.has(message.type) || typeof message.resource !== 'string') return null;
  const m = message;
  const list = m.type === 'StateChange' ? [m.record] : m.type === 'SharedChange' ? [m.change] : m.type === 'StateBatch' ? m.records : m.changes;
  if (!Array.isArray(list)) return null;
  const out: { u: string; t: string; d: string | null }[] = [];
  for (const r of list as unknown[]) {
    if (!isObj(r) || typeof r.u !== 'string' || typeof r.t !== 'string' || (r.d !== null && typeof r.d !== 'string')) return null;
    out.push({ u: r.u, t: r.t, d: r.d });
  }
  return { resource: m.resource as string, records: out };
}

/** True when `served` is `d`'s version or beats it (docs/peer-sync.md, Data: a tombstone beats a live version, else the larger key). */
function servesAtLeast(served: { ts: string; data: string | null } | undefined, d: Delivered): boolean {
  if (served === undefined) return false;
  if (served.ts === d.t) return served.data === d.d;
  if ((served.data === null) !== (d.d === null)) return served.data === null;
  return served.ts > d.t;
}

/** Live changes delivered to a process before it is ready are served once it is. */
export function bufferedLiveKeptCheck(nodes: readonly string[]): Check {
  return {
    name: NAME,
    covers: [NAME],
    setup(ctx: ScenarioContext) {
      const member = new Set(nodes);
      /** Per node: the records delivered to its current process while it was not ready (null: ready, or down). */
      const pending = new Map<string, Delivered[] | null>();
      const judge = (id: string, inc: number, delivered: Delivered[]): void => {
        const h = ctx.handle<PeerView>(id);
        if (h === null || ctx.sim.node(id).incarnation !== inc || ctx.sim.failure !== null) return;
        ctx.exercised(NAME);
        let missing = 0;
        let first = '';
        for (const d of delivered) {
          const served = h.get(d.resource, d.uuid);
          if (servesAtLeast(served, d)) continue;
          if (missing++ === 0) first = `'${d.resource}' ${d.uuid} ${d.t}${d.d === null ? ' (tombstone)' : ''} from ${d.from}: it serves ${served === undefined ? 'nothing' : `${served.ts}${served.data === null ? ' (tombstone)' : ''}`}`;
        }
        if (missing > 0) {
          ctx.fail('correctness', NAME, `${id} ready (incarnation ${inc}) without ${missing} of the ${delivered.length} live changes delivered while it was not ready, none visibly discarded; e.g. ${first}`);
        }
      };
      ctx.trace.on('node.start', (r) => {
        if (member.has(r.node)) pending.set(r.node, []);
      });
      const down = (r: { node: string }): void => void (member.has(r.node) && pending.set(r.node, null));
      ctx.trace.on('node.crash', down);
      ctx.trace.on('node.stop', down);
      ctx.trace.on('peer.buffer.overflow', (r) => {
        if (pending.get(r.node) != null) pending.set(r.node, []);
      });
      ctx.trace.on('peer.hlc.rejected', (r) => {
        const p = pending.get(r.node);
        const data = r.data as { from?: unknown; remote?: unknown };
        if (p != null) pending.set(r.node, p.filter((d) => !(d.from === data.from && d.msgMax === data.remote)));
      });
      ctx.trace.on('peer.sync.ready', (r) => {
        const p = pending.get(r.node);
        if (p == null) return;
        pending.set(r.node, null);
        const inc = ctx.sim.node(r.node).incarnation;
        afterReady(ctx, r.node, () => judge(r.node, inc, p));
      });
      ctx.sim.network.observeDeliveries((from, to, message) => {
        const p = pending.get(to);
        if (p == null || !member.has(from)) return;
        const live = liveRecords(message);
        if (live === null || live.records.length === 0) return;
        let msgMax = live.records[0]!.t;
        for (const r of live.records) if (r.t > msgMax) msgMax = r.t;
        for (const r of live.records) p.push({ resource: live.resource, uuid: r.u, t: r.t, d: r.d, from, msgMax });
      });
    },
  };
}
