/**
 * Peer sync invariants. Each reads the trace (and, for final-state checks, the nodes' public handles);
 * none looks inside the implementation.
 *
 * - invariant:hlc — per device, HLCs of commits strictly increase (across restarts too), and a commit is
 *   ordered after every change the device applied before it (a receive is ordered after its send).
 * - invariant:prune-after-all-acks — a device prunes its shared log up to h only after every other member
 *   sent it an acknowledgement covering h.
 * - invariant:buffer-exactly-once — every live update buffered during backfill is applied exactly once,
 *   unless a visible overflow discarded it (catch-up then re-fetches) or the process died.
 * - invariant:backfill-resume — after a crash, backfill resumes from its last checkpoint (not from zero),
 *   and in total transfers at most what it must plus one batch per interruption.
 * - invariant:backfill-progress — the progress a backfill traces (records synced versus expected) is known
 *   from the first batch on: its ratio never decreases during a backfill (a resumed one included), stays
 *   within [0, 1] with synced ≤ expected, and is 1 when the backfill completes.
 * - invariant:catchup-delta — an incremental catch-up of writer W's stream (from W itself or relayed by
 *   another peer) transfers at most W's writes newer than the watermark (counted from W's
 *   `peer.commit.begin` records) plus one batch.
 * - invariant:watermark-received — a catch-up of writer W's stream in resource R starts from a watermark no
 *   greater than the largest key of W's received for R (from W or a relay): per-(writer, resource)
 *   watermarks advance only to what was received.
 * - invariant:acked-not-lost / invariant:no-resurrection — at the end, every acknowledged write is held by
 *   every device (same or newer version), and every acknowledged delete is a tombstone everywhere.
 * - invariant:converged — at the end, when every device is up and ready, they hold exactly the same records
 *   (uuid, writer, version, data or tombstone), compared record by record: the liveness condition only
 *   compares the implementation's own 32-bit digests, which a digest bug or a collision would fool.
 * - invariant:memory-is-durable — at the end, what each device serves from memory is exactly what its kv
 *   store holds (store `rec`, key `<resource>/<uuid>`, value `{u, w, t, d}`; docs/peer-sync.md): nothing
 *   shown that a restart would lose or change.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { ackedWrites, type PeerView, type ViewRecord } from './view.ts';

type D = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** HLCs strictly increase per device and follow every change applied before. */
export function hlcCheck(nodes: readonly string[]): Check {
  const name = 'invariant:hlc';
  return {
    name,
    setup(ctx) {
      const last = new Map<string, string>();
      const floor = new Map<string, string>();
      const member = new Set(nodes);
      const raise = (node: string, ts: string | null): void => {
        if (ts !== null && ts > (floor.get(node) ?? '')) floor.set(node, ts);
      };
      // Only changes that took effect (durable): a receive lost in a crash never happened.
      ctx.sim.trace.on('peer.applied', (r) => member.has(r.node) && raise(r.node, str((r.data as D).maxTs)));
      ctx.sim.trace.on('peer.catchup.batch', (r) => member.has(r.node) && raise(r.node, str((r.data as D).maxTs)));
      ctx.sim.trace.on('peer.commit', (r) => {
        const d = r.data as D;
        const first = str(d.first) ?? str(d.hlc)!;
        const prev = last.get(r.node);
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
export function pruneCheck(nodes: readonly string[]): Check {
  const name = 'invariant:prune-after-all-acks';
  return {
    name,
    setup(ctx) {
      // writer -> resource -> acker -> upTo
      const acked = new Map<string, string>();
      ctx.sim.trace.on('peer.ack.send', (r) => {
        const d = r.data as D;
        const key = `${str(d.to)}|${str(d.resource)}|${r.node}`;
        const up = str(d.upTo)!;
        if (up > (acked.get(key) ?? '')) acked.set(key, up);
      });
      ctx.sim.trace.on('peer.log.prune', (r) => {
        const d = r.data as D;
        const upTo = str(d.upTo)!;
        for (const peer of nodes) {
          if (peer === r.node) continue;
          const a = acked.get(`${r.node}|${str(d.resource)}|${peer}`);
          if (a === undefined || a < upTo) {
            ctx.fail('correctness', name, `${r.node} pruned its '${str(d.resource)}' log up to ${upTo} but ${peer} acknowledged only ${a ?? 'nothing'} (trace #${r.i})`);
            return;
          }
        }
      });
    },
  };
}

/** Buffered live updates are applied exactly once (or visibly discarded). */
export function bufferCheck(nodes: readonly string[]): Check {
  const name = 'invariant:buffer-exactly-once';
  return {
    name,
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
      ctx.sim.trace.on('node.crash', reset);
      ctx.sim.trace.on('node.stop', reset);
      ctx.sim.trace.on('peer.buffer.overflow', reset);
      ctx.sim.trace.on('peer.buffer.push', (r) => void of(r.node).add(str((r.data as D).id)!));
      ctx.sim.trace.on('peer.buffer.applied', (r) => {
        const p = of(r.node);
        for (const id of (r.data as D).ids as string[]) {
          if (!p.delete(id)) {
            ctx.fail('correctness', name, `${r.node} applied buffered update ${id} that was not pending (applied twice?) (trace #${r.i})`);
            return;
          }
        }
      });
      ctx.sim.trace.on('peer.sync.ready', (r) => {
        const p = of(r.node);
        if (p.size > 0) {
          ctx.fail('correctness', name, `${r.node} became ready with ${p.size} buffered live updates never applied nor visibly discarded, e.g. ${[...p][0]} (trace #${r.i})`);
        }
      });
    },
  };
}

/** A resumed backfill starts from its checkpoint and transfers no more than it must. */
export function backfillResumeCheck(nodes: readonly string[], batchSize: number): Check {
  const name = 'invariant:backfill-resume';
  return {
    name,
    setup(ctx) {
      const member = new Set(nodes);
      const saved = new Map<string, number>();
      const crashed = new Set<string>();
      const transferred = new Map<string, number>();
      const interruptions = new Map<string, number>();
      const expected = new Map<string, number>();
      const bump = (m: Map<string, number>, k: string, n: number): void => void m.set(k, (m.get(k) ?? 0) + n);
      const down = (r: TraceRecord): void => {
        if (!member.has(r.node)) return;
        crashed.add(r.node);
      };
      ctx.sim.trace.on('node.crash', down);
      ctx.sim.trace.on('node.stop', down);
      // `transferred` is what the checkpoint holds (records received); `received` the progress figure.
      const held = (d: D): number => num(d.transferred);
      ctx.sim.trace.on('peer.backfill.begin', (r) => {
        const got = held(r.data as D);
        const had = saved.get(r.node) ?? 0;
        bump(interruptions, r.node, 1);
        if (crashed.delete(r.node) && got < had) {
          ctx.fail('correctness', name, `${r.node} resumed backfill with ${got} records after a crash, but its checkpoint held ${had} (restarted from zero?) (trace #${r.i})`);
        }
      });
      ctx.sim.trace.on('peer.backfill.peer-lost', (r) => bump(interruptions, r.node, 1));
      ctx.sim.trace.on('peer.backfill.batch', (r) => {
        const d = r.data as D;
        saved.set(r.node, held(d));
        bump(transferred, r.node, num(d.n));
        // `due`: what the backfill must transfer as known now (received + what the server still had).
        expected.set(r.node, Math.max(expected.get(r.node) ?? 0, num(d.due)));
        const bound = (expected.get(r.node) ?? 0) + batchSize * (interruptions.get(r.node) ?? 1);
        const t = transferred.get(r.node) ?? 0;
        if (t > bound) {
          ctx.fail('correctness', name, `${r.node} transferred ${t} records in backfill, more than the ${expected.get(r.node)} expected plus one batch per interruption (bound ${bound}) (trace #${r.i})`);
        }
      });
    },
  };
}

/**
 * Backfill progress is monotonic and bounded: per device, from `peer.backfill.begin` (a new backfill may start
 * over from 0; a resumed one goes on from its checkpoint) the ratio of every `peer.backfill.batch` is at
 * least the previous one, 0 ≤ ratio ≤ 1, received ≤ expected, and `peer.backfill.complete` reads 1.
 */
export function backfillProgressCheck(nodes: readonly string[]): Check {
  const name = 'invariant:backfill-progress';
  return {
    name,
    setup(ctx) {
      const member = new Set(nodes);
      const last = new Map<string, { ratio: number; i: number }>();
      const bad = (r: TraceRecord, what: string): void => ctx.fail('correctness', name, `${r.node}: ${what} (trace #${r.i})`);
      const step = (r: TraceRecord): { ratio: number } | null => {
        const d = r.data as D;
        if (typeof d.ratio !== 'number') {
          bad(r, `${r.kind} carries no progress ratio`);
          return null;
        }
        const p = { ratio: d.ratio, received: num(d.received), expected: num(d.expected) };
        if (!(p.ratio >= 0 && p.ratio <= 1) || p.received > p.expected) {
          bad(r, `progress ${p.received}/${p.expected} = ${p.ratio} is outside [0, 1]`);
          return null;
        }
        const prev = last.get(r.node);
        if (prev !== undefined && p.ratio < prev.ratio) {
          bad(r, `backfill progress went back from ${prev.ratio.toFixed(4)} (trace #${prev.i}) to ${p.ratio.toFixed(4)} (${p.received}/${p.expected})`);
          return null;
        }
        last.set(r.node, { ratio: p.ratio, i: r.i });
        return p;
      };
      ctx.sim.trace.on('peer.backfill.begin', (r) => {
        if (!member.has(r.node)) return;
        if ((r.data as D).resumed !== true) last.delete(r.node); // a new backfill starts over
        step(r);
      });
      ctx.sim.trace.on('peer.backfill.batch', (r) => void (member.has(r.node) && step(r)));
      ctx.sim.trace.on('peer.backfill.complete', (r) => {
        if (!member.has(r.node)) return;
        const p = step(r);
        if (p !== null && p.ratio !== 1) bad(r, `backfill complete with progress ${p.ratio}, not 1`);
      });
    },
  };
}

/**
 * Incremental catch-up transfers at most the delta (the writer's newer commits) plus one batch. The writer
 * is `writer` of the catch-up records (a relay serves another writer's stream), else the serving peer.
 */
export function catchupDeltaCheck(nodes: readonly string[], batchSize: number): Check {
  const name = 'invariant:catchup-delta';
  return {
    name,
    setup(ctx) {
      const member = new Set(nodes);
      // writer|resource -> commit HLCs (ascending) and running totals of records
      const commits = new Map<string, { hlc: string[]; total: number[] }>();
      const sessions = new Map<string, { since: string | null; n: number }>();
      // Counted when a commit begins: a crash right after the kv commit made it durable leaves no
      // 'peer.commit' record, yet the device serves those records after restarting (an upper bound).
      ctx.sim.trace.on('peer.commit.begin', (r) => {
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
      ctx.sim.trace.on('peer.catchup.begin', (r) => void sessions.set(key(r), { since: str((r.data as D).since), n: 0 }));
      ctx.sim.trace.on('peer.catchup.batch', (r) => {
        const s = sessions.get(key(r));
        if (s !== undefined) s.n += num((r.data as D).n);
      });
      ctx.sim.trace.on('peer.catchup.done', (r) => {
        const s = sessions.get(key(r));
        if (s === undefined) return;
        const d = r.data as D;
        const writer = writerOf(d);
        const delta = newer(writer, str(d.resource)!, s.since);
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
  return {
    name,
    final(ctx: ScenarioContext) {
      for (const id of nodes) {
        const h = ctx.handle<PeerView>(id);
        if (h === null) continue; // liveness reports nodes that are not up
        for (const w of ackedWrites(ctx)) {
          const rec = h.get(w.resource, w.uuid);
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

/**
 * A watermark never runs ahead of what was received: a catch-up of writer W's stream in resource R (from W
 * or a relay) starts from a watermark no greater than the largest key of W's this device received for R
 * (catch-up batches from W or relays, live changes, backfill batches served by W, or a stream adopted by
 * digest).
 */
export function watermarkCheck(nodes: readonly string[]): Check {
  const name = 'invariant:watermark-received';
  return {
    name,
    setup(ctx) {
      const member = new Set(nodes);
      const received = new Map<string, string>();
      const note = (node: string, peer: unknown, resource: unknown, ts: unknown): void => {
        if (!member.has(node) || typeof ts !== 'string') return;
        const key = `${node}|${String(peer)}|${String(resource)}`;
        if (ts > (received.get(key) ?? '')) received.set(key, ts);
      };
      // peer.recv (live and catch-up) is traced as the applying transaction is issued.
      ctx.sim.trace.on('peer.recv', (r) => {
        const d = r.data as D;
        note(r.node, d.writer ?? d.from, d.resource, d.maxTs);
      });
      // recv is traced as the batch's transaction is issued: a crash right after it became durable (and
      // before peer.backfill.batch) still counts what arrived.
      ctx.sim.trace.on('peer.backfill.recv', (r) => note(r.node, (r.data as D).peer, (r.data as D).resource, (r.data as D).cursor));
      ctx.sim.trace.on('peer.watermark', (r) => {
        const d = r.data as D;
        if (d.adopted === true) note(r.node, d.peer, d.resource, d.ts);
      });
      ctx.sim.trace.on('peer.catchup.begin', (r) => {
        const d = r.data as D;
        const since = str(d.since);
        if (since === null || !member.has(r.node)) return;
        const writer = str(d.writer) ?? str(d.peer);
        const got = received.get(`${r.node}|${writer}|${str(d.resource)}`);
        if (got === undefined || since > got) {
          const via = writer === str(d.peer) ? '' : ` (relayed by ${str(d.peer)})`;
          ctx.fail('correctness', name, `${r.node} resumes '${str(d.resource)}' of ${writer}${via} at watermark ${since}, beyond anything received for it (${got ?? 'nothing'}) (trace #${r.i})`);
        }
      });
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

/** The first difference between two devices' records of one resource, or null. */
function firstDifference(a: readonly ViewRecord[], b: readonly ViewRecord[]): { uuid: string; a?: ViewRecord; b?: ViewRecord } | null {
  // Views list records in no particular order. Equal sets are the common case: one pass over a Map of b
  // decides it; only when something differs are the uuids sorted, so the reported difference is the
  // first in uuid order (deterministic), not whichever came first in memory.
  const mb = new Map<string, ViewRecord>();
  for (const r of b) mb.set(r.uuid, r);
  const ma = new Map(a.map((r) => [r.uuid, r]));
  // (ma.size === a.length: a repeated uuid in `a` must not hide a record only `b` has.)
  if (a.length === mb.size && ma.size === a.length && a.every((r) => sameRecord(r, mb.get(r.uuid)))) return null;
  const uuids = new Set([...ma.keys(), ...mb.keys()]);
  for (const uuid of [...uuids].sort()) if (!sameRecord(ma.get(uuid), mb.get(uuid))) return { uuid, a: ma.get(uuid), b: mb.get(uuid) };
  return null;
}

/** At the end, all ready devices hold the same records, compared one by one (not by digest). */
export function convergedCheck(nodes: readonly string[]): Check {
  const name = 'invariant:converged';
  return {
    name,
    final(ctx: ScenarioContext) {
      const views = readyViews(ctx, nodes);
      if (views === null || views.length < 2) return;
      const [refId, ref] = views[0]!;
      for (const resource of ref.resources()) {
        const want = ref.records(resource);
        for (const [id, v] of views.slice(1)) {
          const d = firstDifference(want, v.records(resource));
          if (d !== null) {
            ctx.fail('correctness', name, `'${resource}' ${d.uuid}: ${refId} holds ${showRecord(d.a)}, ${id} holds ${showRecord(d.b)} (digests ${ref.digest() === v.digest() ? 'equal' : 'differ'})`);
            return;
          }
        }
      }
    },
  };
}

/** The `rec` store of a device's kv store as view records by resource (the layout of src/impl/peer/store.ts). */
function durableRecords(ctx: ScenarioContext, node: string): Map<string, ViewRecord[]> {
  const out = new Map<string, ViewRecord[]>();
  const rec = ctx.sim.device(ctx.sim.node(node).deviceId).kv.visibleSnapshot().get('rec');
  for (const [key, value] of rec ?? []) {
    const k = String(key);
    const resource = k.slice(0, k.indexOf('/'));
    const o = value as { u: string; w: string; t: string; d: string | null };
    let list = out.get(resource);
    if (list === undefined) out.set(resource, (list = []));
    list.push({ uuid: o.u, writer: o.w, ts: o.t, data: o.d });
  }
  return out;
}

/** At the end, each ready device's in-memory records equal its committed kv records. */
export function memoryIsDurableCheck(nodes: readonly string[]): Check {
  const name = 'invariant:memory-is-durable';
  return {
    name,
    final(ctx: ScenarioContext) {
      const views = readyViews(ctx, nodes);
      if (views === null) return;
      for (const [id, v] of views) {
        const stored = durableRecords(ctx, id);
        for (const resource of new Set([...v.resources(), ...stored.keys()])) {
          const d = firstDifference(v.records(resource), stored.get(resource) ?? []);
          if (d !== null) {
            ctx.fail('correctness', name, `${id}: '${resource}' ${d.uuid}: serves ${showRecord(d.a)} from memory, its kv store holds ${showRecord(d.b)}`);
            return;
          }
        }
      }
    },
  };
}

/** Every peer check, for `Scenario.checks`. */
export function peerChecks(nodes: readonly string[], batchSize: number): Check[] {
  return [
    hlcCheck(nodes),
    pruneCheck(nodes),
    bufferCheck(nodes),
    backfillResumeCheck(nodes, batchSize),
    backfillProgressCheck(nodes),
    catchupDeltaCheck(nodes, batchSize),
    watermarkCheck(nodes),
    ackedWritesCheck(nodes),
    convergedCheck(nodes),
    memoryIsDurableCheck(nodes),
  ];
}
