/**
 * Peer sync invariants, and `peerChecks`, every one of them for a scenario. Each reads the trace (facts
 * included) and, for final-state checks, the nodes' public handles; none looks inside the implementation.
 * Where each one's evidence comes from: docs/peer-sync.md (Model and invariants, the evidence table).
 *
 * Here:
 * - invariant:hlc — per device, HLCs of commits strictly increase (across restarts too), and a commit is
 *   ordered after every change the device applied before it (a receive is ordered after its send).
 * - invariant:prune-after-all-acks — a device prunes its shared log up to h only after every other member
 *   sent it an acknowledgement covering h.
 * - invariant:buffer-exactly-once — every live update buffered during backfill is applied exactly once,
 *   unless a visible overflow discarded it (catch-up then re-fetches) or the process died.
 * - invariant:catchup-delta — an incremental catch-up of writer W's stream (from W itself or relayed by
 *   another peer) transfers at most W's writes newer than the watermark (counted from W's
 *   `peer.commit.begin` records) plus one batch.
 * - invariant:acked-not-lost / invariant:no-resurrection — at the end, every acknowledged write (the
 *   workload's record) is held by every device (same or newer version), and every acknowledged delete is
 *   a tombstone everywhere.
 * - invariant:converged — at the end, when every device is up and ready, they hold exactly the same records
 *   (uuid, writer, version, data or tombstone), compared record by record: the liveness condition only
 *   compares the implementation's own 32-bit digests, which a digest bug or a collision would fool.
 * - invariant:memory-is-durable — at the end, what each device serves from memory is exactly what its kv
 *   store holds (store `rec`, key `<resource>/<uuid>`, value `{u, w, t, d}`; docs/peer-sync.md): nothing
 *   shown that a restart would lose or change.
 *
 * Elsewhere: invariant:backfill-resume and invariant:backfill-progress (backfill-checks.ts),
 * invariant:watermark-received and invariant:resend-unacked (wire-checks.ts), invariant:hlc-drift
 * (drift-check.ts).
 */
import type { TraceCheck, TraceContext } from '../check.ts';
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { backfillProgressCheck, backfillResumeCheck } from './backfill-checks.ts';
import { hlcDriftCheck } from './drift-check.ts';
import { ackedWrites, type PeerView, type ViewRecord } from './view.ts';
import { resendCheck, watermarkCheck } from './wire-checks.ts';

export { backfillProgressCheck, backfillResumeCheck } from './backfill-checks.ts';
export { hlcDriftCheck } from './drift-check.ts';
export { resendCheck, watermarkCheck } from './wire-checks.ts';

type D = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** HLCs strictly increase per device and follow every change applied before. */
export function hlcCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:hlc';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const last = new Map<string, string>();
      const floor = new Map<string, string>();
      const member = new Set(nodes);
      const raise = (node: string, ts: string | null): void => {
        if (ts !== null && ts > (floor.get(node) ?? '')) floor.set(node, ts);
      };
      // Only changes that took effect (durable): a receive lost in a crash never happened.
      ctx.trace.on('peer.applied', (r) => member.has(r.node) && raise(r.node, str((r.data as D).maxTs)));
      ctx.trace.on('peer.catchup.batch', (r) => member.has(r.node) && raise(r.node, str((r.data as D).maxTs)));
      ctx.trace.on('peer.commit', (r) => {
        const d = r.data as D;
        const first = str(d.first) ?? str(d.hlc)!;
        const prev = last.get(r.node);
        ctx.exercised(name);
        if (prev !== undefined && !(first > prev)) {
          ctx.fail('correctness', name, `${r.node} committed HLC ${first} after ${prev}: not strictly increasing (trace #${r.i})`);
        }
        const f = floor.get(r.node);
        if (f !== undefined && !(first > f)) {
          ctx.fail('correctness', name, `${r.node} committed HLC ${first} after applying a change at ${f}: a receive must order before later sends (trace #${r.i})`);
        }
        last.set(r.node, str(d.hlc)!);
      });
    },
  };
}

/** Log entries are pruned only after every other member acknowledged them. */
export function pruneCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:prune-after-all-acks';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      // `writer|resource|acker` -> the largest upTo of the acker's acknowledgements the network delivered
      // to the writer (fact.peer.ack): what the writer may know, not what the acker says it sent.
      const acked = new Map<string, string>();
      ctx.trace.on('fact.peer.ack', (r) => {
        const d = r.data as D;
        const key = `${str(d.to)}|${str(d.resource)}|${str(d.from)}`;
        const up = str(d.upTo)!;
        if (up > (acked.get(key) ?? '')) acked.set(key, up);
      });
      ctx.trace.on('peer.log.prune', (r) => {
        const d = r.data as D;
        const upTo = str(d.upTo)!;
        if (!member.has(r.node)) return;
        ctx.exercised(name);
        for (const peer of nodes) {
          if (peer === r.node) continue;
          const a = acked.get(`${r.node}|${str(d.resource)}|${peer}`);
          if (a === undefined || a < upTo) {
            ctx.fail('correctness', name, `${r.node} pruned its '${str(d.resource)}' log up to ${upTo} but the network delivered acknowledgements of ${peer} only up to ${a ?? 'nothing'} (trace #${r.i})`);
            return;
          }
        }
      });
    },
  };
}

/** Buffered live updates are applied exactly once (or visibly discarded). */
export function bufferCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:buffer-exactly-once';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      // Per run: a scenario object (and its checks) is reused for every seed.
      const pending = new Map<string, Set<string>>();
      const of = (n: string): Set<string> => {
        let s = pending.get(n);
        if (s === undefined) pending.set(n, (s = new Set()));
        return s;
      };
      const member = new Set(nodes);
      const reset = (r: TraceRecord): void => void (member.has(r.node) && of(r.node).clear());
      ctx.trace.on('node.crash', reset);
      ctx.trace.on('node.stop', reset);
      ctx.trace.on('peer.buffer.overflow', reset);
      ctx.trace.on('peer.buffer.push', (r) => void of(r.node).add(str((r.data as D).id)!));
      ctx.trace.on('peer.buffer.applied', (r) => {
        const p = of(r.node);
        ctx.exercised(name);
        for (const id of (r.data as D).ids as string[]) {
          if (!p.delete(id)) {
            ctx.fail('correctness', name, `${r.node} applied buffered update ${id} that was not pending (applied twice?) (trace #${r.i})`);
            return;
          }
        }
      });
      ctx.trace.on('peer.sync.ready', (r) => {
        const p = of(r.node);
        if (!member.has(r.node)) return;
        ctx.exercised(name);
        if (p.size > 0) {
          ctx.fail('correctness', name, `${r.node} became ready with ${p.size} buffered live updates never applied nor visibly discarded, e.g. ${[...p][0]} (trace #${r.i})`);
        }
      });
    },
  };
}

/**
 * Incremental catch-up transfers at most the delta (the writer's newer commits) plus one batch. The writer
 * is `writer` of the catch-up records (a relay serves another writer's stream), else the serving peer.
 */
export function catchupDeltaCheck(nodes: readonly string[], batchSize: number): TraceCheck {
  const name = 'invariant:catchup-delta';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      // writer|resource -> commit HLCs (ascending) and running totals of records
      const commits = new Map<string, { hlc: string[]; total: number[] }>();
      const sessions = new Map<string, { since: string | null; n: number }>();
      // Counted when a commit begins: a crash right after the kv commit made it durable leaves no
      // 'peer.commit' record, yet the device serves those records after restarting (an upper bound).
      ctx.trace.on('peer.commit.begin', (r) => {
        if (!member.has(r.node)) return;
        const d = r.data as D;
        const key = `${r.node}|${str(d.resource)}`;
        let c = commits.get(key);
        if (c === undefined) commits.set(key, (c = { hlc: [], total: [] }));
        c.hlc.push(str(d.hlc)!);
        c.total.push((c.total[c.total.length - 1] ?? 0) + num(d.n));
      });
      const newer = (writer: string, resource: string, since: string | null): number => {
        const c = commits.get(`${writer}|${resource}`);
        if (c === undefined) return 0;
        const all = c.total[c.total.length - 1] ?? 0;
        if (since === null) return all;
        const i = lowerBound(c.hlc, since); // commits with hlc >= since
        return all - (i === 0 ? 0 : c.total[i - 1]!);
      };
      const writerOf = (d: D): string => str(d.writer) ?? str(d.peer)!;
      const key = (r: TraceRecord): string => `${r.node}|${str((r.data as D).peer)}|${writerOf(r.data as D)}|${str((r.data as D).resource)}`;
      ctx.trace.on('peer.catchup.begin', (r) => void sessions.set(key(r), { since: str((r.data as D).since), n: 0 }));
      ctx.trace.on('peer.catchup.batch', (r) => {
        const s = sessions.get(key(r));
        if (s !== undefined) s.n += num((r.data as D).n);
      });
      ctx.trace.on('peer.catchup.done', (r) => {
        const s = sessions.get(key(r));
        if (s === undefined) return;
        const d = r.data as D;
        const writer = writerOf(d);
        const delta = newer(writer, str(d.resource)!, s.since);
        ctx.exercised(name);
        if (s.n > delta + batchSize) {
          const via = writer === str(d.peer) ? '' : ` (relayed by ${str(d.peer)})`;
          ctx.fail('correctness', name, `${r.node} caught up ${s.n} '${str(d.resource)}' records of ${writer}${via} since ${s.since ?? 'the start'}, but ${writer} committed only ${delta} newer (plus one batch of ${batchSize} allowed) (trace #${r.i})`);
        }
      });
    },
  };
}

function lowerBound(a: readonly string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** At the end, every acknowledged write and delete is held by every node. */
export function ackedWritesCheck(nodes: readonly string[]): Check {
  const name = 'invariant:acked-not-lost';
  /** This run's deliveries: writer|resource|receiver -> HLC ranges [lo, hi] of that writer's records (per run: in ctx.shared). */
  const reachedOf = (ctx: TraceContext): Map<string, [string, string][]> => {
    let m = ctx.runState.get(name) as Map<string, [string, string][]> | undefined;
    if (m === undefined) ctx.runState.set(name, (m = new Map()));
    return m;
  };
  return {
    name,
    covers: [name, 'invariant:no-resurrection'],
    setup(ctx) {
      const reached = reachedOf(ctx);
      const note = (writer: unknown, resource: unknown, to: unknown, lo: unknown, hi: unknown): void => {
        if (typeof writer !== 'string' || typeof hi !== 'string') return;
        const key = `${writer}|${String(resource)}|${String(to)}`;
        let list = reached.get(key);
        if (list === undefined) reached.set(key, (list = []));
        list.push([typeof lo === 'string' ? lo : '', hi]);
      };
      // Live changes carry their sender's own records; catch-up and relay responses name their writer.
      ctx.trace.on('fact.peer.change', (r) => note(r.data.from, r.data.resource, r.data.to, r.data.minTs, r.data.maxTs));
      ctx.trace.on('fact.peer.response', (r) => {
        if (r.data.writer !== null) note(r.data.writer, r.data.resource, r.data.to, r.data.since, r.data.maxTs);
      });
    },
    final(ctx: ScenarioContext) {
      const reached = reachedOf(ctx);
      /** True when the network delivered `w` (its writer's record at its HLC) to device `to`. */
      const delivered = (w: { node: string; resource: string; hlc: string }, to: string): boolean =>
        (reached.get(`${w.node}|${w.resource}|${to}`) ?? []).some(([lo, hi]) => lo <= w.hlc && w.hlc <= hi);
      const up = nodes.filter((id) => ctx.handle<PeerView>(id) !== null);
      // A write whose writer is down at the end (a scenario may leave it down) and that the network never
      // delivered to a device that is up is not lost: it is durable on its writer. Every other one must be
      // on every device that is up.
      const due = ackedWrites(ctx).filter((w) => ctx.handle(w.node) !== null || up.some((d) => delivered(w, d)));
      for (const id of up) {
        const h = ctx.handle<PeerView>(id)!;
        ctx.exercised(name, due.length);
        for (const w of due) {
          const rec = h.get(w.resource, w.uuid);
          if (w.deleted) ctx.exercised('invariant:no-resurrection');
          if (w.deleted && (rec === undefined || rec.data !== null)) {
            ctx.fail('correctness', 'invariant:no-resurrection', `${id}: '${w.resource}' ${w.uuid} deleted by ${w.node} at ${w.hlc} is ${rec === undefined ? 'missing' : 'alive again'}`);
            return;
          }
          if (rec === undefined || (rec.ts < w.hlc && rec.data !== null)) {
            ctx.fail('correctness', name, `${id}: acknowledged write of '${w.resource}' ${w.uuid} by ${w.node} at ${w.hlc} is lost (holds ${rec?.ts ?? 'nothing'})`);
            return;
          }
        }
      }
    },
  };
}

/** The views of `nodes` when every one is up and ready, else null (liveness reports the others). */
function readyViews(ctx: ScenarioContext, nodes: readonly string[]): [string, PeerView][] | null {
  const out: [string, PeerView][] = [];
  for (const id of nodes) {
    const h = ctx.handle<PeerView>(id);
    if (h === null || h.state() !== 'ready') return null;
    out.push([id, h]);
  }
  return out;
}

const showRecord = (r: ViewRecord | undefined): string => (r === undefined ? 'nothing' : `${r.ts} by ${r.writer} ${r.data === null ? '(tombstone)' : JSON.stringify(r.data)}`);
const sameRecord = (a: ViewRecord | undefined, b: ViewRecord | undefined): boolean =>
  a !== undefined && b !== undefined && a.uuid === b.uuid && a.writer === b.writer && a.ts === b.ts && a.data === b.data;

/** Records by uuid (a repeated uuid is kept once: `size` then tells it). */
const byUuid = (list: readonly ViewRecord[]): Map<string, ViewRecord> => {
  const m = new Map<string, ViewRecord>();
  for (const r of list) m.set(r.uuid, r);
  return m;
};

/** The first difference between two devices' records of one resource (`ma`: the first's, by uuid), or null. */
function firstDifference(a: readonly ViewRecord[], ma: ReadonlyMap<string, ViewRecord>, b: readonly ViewRecord[]): { uuid: string; a?: ViewRecord; b?: ViewRecord } | null {
  // Views list records in no particular order. Equal sets are the common case: one pass over b against
  // the Map of a decides it; only when something differs are the uuids sorted, so the reported difference
  // is the first in uuid order (deterministic), not whichever came first in memory.
  // (Sizes: a repeated uuid in either list must not hide a record only the other has.)
  if (b.length === ma.size && ma.size === a.length && b.every((r) => sameRecord(r, ma.get(r.uuid)))) {
    const mb = byUuid(b);
    if (mb.size === b.length) return null;
  }
  const mb = byUuid(b);
  const uuids = new Set([...ma.keys(), ...mb.keys()]);
  for (const uuid of [...uuids].sort()) if (!sameRecord(ma.get(uuid), mb.get(uuid))) return { uuid, a: ma.get(uuid), b: mb.get(uuid) };
  return null;
}

/** At the end, all ready devices hold the same records, compared one by one (not by digest). */
export function convergedCheck(nodes: readonly string[]): Check {
  const name = 'invariant:converged';
  return {
    name,
    covers: [name],
    final(ctx: ScenarioContext) {
      const views = readyViews(ctx, nodes);
      if (views === null || views.length < 2) return;
      const [refId, ref] = views[0]!;
      ctx.exercised(name);
      for (const resource of ref.resources()) {
        const want = ref.records(resource);
        const index = byUuid(want);
        for (const [id, v] of views.slice(1)) {
          const d = firstDifference(want, index, v.records(resource));
          if (d !== null) {
            ctx.fail('correctness', name, `'${resource}' ${d.uuid}: ${refId} holds ${showRecord(d.a)}, ${id} holds ${showRecord(d.b)} (digests ${ref.digest() === v.digest() ? 'equal' : 'differ'})`);
            return;
          }
        }
      }
    },
  };
}

/** A record of a kv store `rec` (key `<resource>/<uuid>`, value `{u, w, t, d}`: src/impl/peer/store.ts). */
function durableRecord(kv: { visibleGet(store: string, key: string): unknown }, resource: string, uuid: string): ViewRecord | undefined {
  const o = kv.visibleGet('rec', `${resource}/${uuid}`) as { u: string; w: string; t: string; d: string | null } | undefined;
  return o === undefined ? undefined : { uuid: o.u, writer: o.w, ts: o.t, data: o.d };
}

/**
 * At the end, each ready device's in-memory records are exactly what its kv store holds (read key by key:
 * no copy of the store). The other direction (a durable record the device does not show) is covered for
 * what matters by acked-not-lost (every acknowledged write is shown) and converged (every device shows
 * what any other shows); what it leaves out is a record no device shows and nobody acknowledged.
 */
export function memoryIsDurableCheck(nodes: readonly string[]): Check {
  const name = 'invariant:memory-is-durable';
  return {
    name,
    covers: [name],
    final(ctx: ScenarioContext) {
      const views = readyViews(ctx, nodes);
      if (views === null) return;
      ctx.exercised(name);
      for (const [id, v] of views) {
        const kv = ctx.sim.device(ctx.sim.node(id).deviceId).kv;
        for (const resource of v.resources()) {
          for (const mem of v.records(resource)) {
            const disk = durableRecord(kv, resource, mem.uuid);
            if (!sameRecord(mem, disk)) {
              ctx.fail('correctness', name, `${id}: '${resource}' ${mem.uuid}: serves ${showRecord(mem)} from memory, its kv store holds ${showRecord(disk)}`);
              return;
            }
          }
        }
      }
    },
  };
}

/** What the peer checks need to know of a scenario's configuration. */
export interface PeerCheckOptions {
  /** The batch size the devices use (the "one batch" allowance of catch-up). */
  batchSize: number;
  /** The devices' `maxDriftMs` (invariant:hlc-drift). */
  maxDriftMs: number;
}

/** Every peer check, for `Scenario.checks`. */
export function peerChecks(nodes: readonly string[], options: PeerCheckOptions): Check[] {
  return [
    hlcCheck(nodes),
    pruneCheck(nodes),
    bufferCheck(nodes),
    backfillResumeCheck(nodes),
    backfillProgressCheck(nodes),
    catchupDeltaCheck(nodes, options.batchSize),
    watermarkCheck(nodes),
    resendCheck(nodes),
    hlcDriftCheck(nodes, options.maxDriftMs),
    ackedWritesCheck(nodes),
    convergedCheck(nodes),
    memoryIsDurableCheck(nodes),
  ];
}
