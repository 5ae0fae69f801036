/**
 * What the trace viewer page draws, computed from trace records: the lanes in their fixed order, message
 * arrows (a send matched to its deliveries), fault spans, model bands, the failing record and its culprit.
 * The page (client.js) gets this as compact JSON and only lays it out.
 */
import { faultTargets } from '../../scenario/monitors.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { ModelBand } from './bands.ts';

/** Lanes of the simulator's own actors, drawn below the nodes, in this order. */
export const SPECIAL_LANES: readonly string[] = ['workload', 'fault', 'sim'];

/** The failure a page marks. */
export interface ViewerFailure {
  /** Trace position where the failure was detected (a run's `failure.traceIndex`: its `sim.failure` record). */
  traceIndex: number;
  /** The node the failure names, if any. */
  node?: string;
  check: string;
  message: string;
  /** The record that caused it, when known (a check's `details.traceIndex`); else found by `culpritOf`. */
  culprit?: number;
}

/**
 * Compares node names as people read them: digit runs as numbers (`tab2` before `tab10`), then the rest
 * by code point, so the order never depends on the locale.
 */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
    const x = pa[k]!;
    const y = pb[k]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The lane order: the nodes sorted by name (natural order: `tab2` before `tab10`), then `workload`, `fault`
 * and `sim`. It depends only on the set of names, so two seeds of a scenario, a window or the whole trace
 * draw the same node on the same row.
 */
export function laneOrder(nodes: Iterable<string>): string[] {
  const all = new Set(nodes);
  const plain = [...all].filter((n) => !SPECIAL_LANES.includes(n)).sort(naturalCompare);
  return [...plain, ...SPECIAL_LANES.filter((n) => all.has(n))];
}

/**
 * The record that caused a failure: the one `culprit` names, else the record at the failure's position when
 * it is not the `sim.failure` record itself, else the record a message names (`trace #N`), else the last
 * record of the failing node up to the failure, else the `sim.failure` record. Returns its index in
 * `records`, or -1 when none of these is in the records.
 */
export function culpritOf(records: readonly TraceRecord[], failure: ViewerFailure): number {
  const at = indexByTrace(records);
  const pick = (i: number | undefined): number => (i === undefined ? -1 : (at.get(i) ?? -1));
  let k = pick(failure.culprit);
  if (k >= 0) return k;
  k = pick(failure.traceIndex);
  if (k >= 0 && records[k]!.kind !== 'sim.failure') return k;
  const named = /trace #(\d+)/.exec(failure.message);
  const byMessage = pick(named === null ? undefined : Number(named[1]));
  if (byMessage >= 0) return byMessage;
  if (failure.node !== undefined) {
    for (let j = records.length - 1; j >= 0; j--) {
      const r = records[j]!;
      if (r.i <= failure.traceIndex && r.node === failure.node) return j;
    }
  }
  return k;
}

function indexByTrace(records: readonly TraceRecord[]): Map<number, number> {
  const m = new Map<number, number>();
  records.forEach((r, k) => m.set(r.i, k));
  return m;
}

/** A message: the index of its send and of one delivery (into the records), and what to call it. */
export type Arrow = [from: number, to: number, label: string];
/** A send no delivery matched (dropped, or still in flight when the trace ends): its index, the lane it went to or -1, its label. */
export type Lost = [from: number, toLane: number, label: string];

const SEND = /\.(send|sent|post|posted)$/;
const RECEIVE = /\.(deliver|delivered|recv|receive|received|discard)$/;

function text(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/**
 * The identity a send and its deliveries share: `conn` and `seq` (the network), the tab bus's `msg`
 * (numbered per sending device, so with the sender), or a generic `id`/`msgId`.
 */
function messageKey(area: string, sender: string, d: Record<string, unknown>): string | undefined {
  if (d.conn !== undefined && d.seq !== undefined) return `${area}|c|${String(d.conn)}|${String(d.seq)}`;
  const channel = text(d.channel) ?? '';
  for (const f of ['msg', 'msgId', 'id', 'dgram']) {
    const v = text(d[f]);
    if (v !== undefined) return `${area}|${f}|${channel}|${sender}|${v}`;
  }
  return undefined;
}

/**
 * Matches sends to deliveries: `net.send`/`net.deliver` by conn and seq, `bus.post` to each
 * `bus.deliver`/`bus.discard` by channel, sender and msg, and any `<area>.send|post` to
 * `<area>.deliver|recv` by the same fields. A duplicated delivery is a second arrow from the same send.
 */
export function matchMessages(records: readonly TraceRecord[], laneOf: ReadonlyMap<string, number>): { arrows: Arrow[]; lost: Lost[] } {
  const sent = new Map<string, number>();
  const delivered = new Set<number>();
  const arrows: Arrow[] = [];
  records.forEach((r, k) => {
    const area = r.kind.slice(0, r.kind.indexOf('.') + 1);
    if (area === '' || area === 'fact.' || area === 'fault.') return;
    if (SEND.test(r.kind)) {
      const key = messageKey(area, r.node, r.data);
      if (key !== undefined) sent.set(key, k);
    } else if (RECEIVE.test(r.kind)) {
      const key = messageKey(area, text(r.data.from) ?? '', r.data);
      const from = key === undefined ? undefined : sent.get(key);
      if (from === undefined) return;
      delivered.add(from);
      const label = text(r.data.type) ?? text(records[from]!.data.type) ?? '';
      arrows.push([from, k, r.kind.endsWith('.discard') ? `${label} (discarded)`.trim() : label]);
    }
  });
  const lost: Lost[] = [];
  for (const k of sent.values()) {
    if (delivered.has(k)) continue;
    const r = records[k]!;
    // Only the simulator's carriers say when a message arrives; an implementation's own `.send` note may
    // have no delivery record at all.
    if (!r.kind.startsWith('net.') && !r.kind.startsWith('bus.')) continue;
    const to = r.data.to;
    // A bus post to no receiver (`to: 0`) was not lost.
    if (typeof to === 'number' && to <= 0) continue;
    lost.push([k, typeof to === 'string' ? (laneOf.get(to) ?? -1) : -1, text(r.data.type) ?? '']);
  }
  lost.sort((a, b) => a[0] - b[0]);
  return { arrows, lost };
}

/** A fault: its record's index, when it ended (µs; null for an instant fault), the lanes it hit, its words. */
export type FaultSpan = [rec: number, endUs: number | null, lanes: number[], words: string, open: 0 | 1];

/** `pause A 3000 ms`: the fault kind, its target nodes, its duration, then its other fields. */
export function faultWords(r: TraceRecord): string {
  const kind = r.kind.slice('fault.'.length);
  const parts = [kind];
  const d = r.data;
  for (const f of ['node', 'nodes', 'a', 'b', 'from', 'to']) {
    const v = d[f];
    if (typeof v === 'string') parts.push(f === 'to' ? `→ ${v}` : v);
    else if (Array.isArray(v)) parts.push(v.map(String).join(','));
  }
  if (typeof d.durationMs === 'number') parts.push(`${d.durationMs} ms`);
  for (const [k, v] of Object.entries(d)) {
    if (['event', 'node', 'nodes', 'a', 'b', 'from', 'to', 'durationMs'].includes(k)) continue;
    parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.join(' ');
}

/**
 * The faults applied (`fault.<kind>` records; not the injector's bookkeeping `fault.arm`, `fault.miss`,
 * `fault.end`, `fault.heal`). One with a `durationMs` lasts until its `fault.end` (same event), the
 * `fault.heal` that ends chaos, or its duration, whichever comes first; cut at `endUs` (open: 1).
 */
export function faultSpans(records: readonly TraceRecord[], laneOf: ReadonlyMap<string, number>, endUs: number): FaultSpan[] {
  const spans: FaultSpan[] = [];
  const open = new Map<string, number[]>();
  const close = (s: FaultSpan, at: number): void => {
    s[1] = Math.min(s[1] ?? at, at);
    s[4] = 0;
  };
  records.forEach((r, k) => {
    if (!r.kind.startsWith('fault.')) return;
    if (r.kind === 'fault.end') {
      const q = open.get(String(r.data.event));
      const s = q?.shift();
      if (s !== undefined) close(spans[s]!, r.t);
      return;
    }
    if (r.kind === 'fault.heal') {
      for (const q of open.values()) for (const s of q.splice(0)) close(spans[s]!, r.t);
      return;
    }
    if (r.kind === 'fault.arm' || r.kind === 'fault.miss') return;
    const lanes = [...(faultTargets(r) ?? [])].map((n) => laneOf.get(n)).filter((l): l is number => l !== undefined);
    const d = r.data.durationMs;
    if (typeof d !== 'number') {
      spans.push([k, null, lanes, faultWords(r), 0]);
      return;
    }
    const planned = r.t + d * 1000;
    const span: FaultSpan = [k, Math.min(planned, endUs), lanes, faultWords(r), planned > endUs ? 1 : 0];
    const key = String(r.data.event);
    const q = open.get(key) ?? [];
    q.push(spans.length);
    open.set(key, q);
    spans.push(span);
  });
  return spans;
}

/**
 * The model bands as the page draws them: lane, model, instance, spans as [state index, from, to], and
 * where the model stopped (µs, or null), why, and whether this instance is the one it refused (1).
 */
export type PageBand = [lane: number, model: string, instance: string, spans: [number, number, number][], stoppedAt: number | null, stopped: string, refused: 0 | 1];

/** The data of one viewer page (JSON; the page's script reads it). */
export interface ViewerData {
  title: string;
  replay: string;
  notes: string[];
  warnings: string[];
  lanes: string[];
  kinds: string[];
  /** Records: [trace position, µs, lane, kind index, data]. */
  recs: [number, number, number, number, Record<string, unknown>][];
  arrows: Arrow[];
  lost: Lost[];
  faults: FaultSpan[];
  states: string[];
  bands: PageBand[];
  failure: { check: string; message: string; rec: number; culprit: number; lane: number } | null;
  /** Where the records before the window were left out: the first record of the window, and how many. */
  gap: { rec: number; skipped: number } | null;
  /** Records of the run after the last one here (left out). */
  after: number;
}

/** What to build a page from (viewer.ts `ViewerInput`). */
export interface PrepareInput {
  title: string;
  records: readonly TraceRecord[];
  failure?: ViewerFailure | null;
  bands?: readonly ModelBand[];
  replay?: string;
  notes?: readonly string[];
  warnings?: readonly string[];
  leftOut?: { before: number; after: number; windowStart?: number };
}

/** Builds the page data (see ViewerData); the records are taken in trace order. */
export function prepare(input: PrepareInput): ViewerData {
  const records = [...input.records].sort((a, b) => a.i - b.i);
  const failure = input.failure ?? null;
  const names = new Set(records.map((r) => r.node));
  for (const b of input.bands ?? []) names.add(b.node);
  if (failure?.node !== undefined) names.add(failure.node);
  for (const r of records) if (r.kind.startsWith('fault.')) for (const n of faultTargets(r) ?? []) names.add(n);
  const lanes = laneOrder(names);
  const laneOf = new Map(lanes.map((n, l) => [n, l]));
  const kinds: string[] = [];
  const kindOf = new Map<string, number>();
  const recs: ViewerData['recs'] = records.map((r) => {
    let k = kindOf.get(r.kind);
    if (k === undefined) {
      k = kinds.push(r.kind) - 1;
      kindOf.set(r.kind, k);
    }
    return [r.i, r.t, laneOf.get(r.node)!, k, r.data];
  });
  const endUs = records.length === 0 ? 0 : records[records.length - 1]!.t;
  const { arrows, lost } = matchMessages(records, laneOf);
  const states: string[] = [];
  const stateOf = new Map<string, number>();
  const bands: PageBand[] = (input.bands ?? []).map((b) => [
    laneOf.get(b.node)!,
    b.model,
    b.instance,
    b.spans.map((s) => {
      let k = stateOf.get(s.state);
      if (k === undefined) {
        k = states.push(s.state) - 1;
        stateOf.set(s.state, k);
      }
      return [k, s.fromUs, s.toUs];
    }),
    b.stopped?.atUs ?? null,
    b.stopped?.message ?? '',
    b.stopped !== undefined && (b.stopped.instance === undefined || b.stopped.instance === b.instance) ? 1 : 0,
  ]);
  let fail: ViewerData['failure'] = null;
  if (failure !== null) {
    const rec = records.findIndex((r) => r.i === failure.traceIndex);
    const culprit = culpritOf(records, failure);
    const node = failure.node ?? (culprit >= 0 ? records[culprit]!.node : undefined);
    fail = { check: failure.check, message: failure.message, rec, culprit, lane: node === undefined ? -1 : (laneOf.get(node) ?? -1) };
  }
  const ws = input.leftOut?.windowStart;
  const gapRec = ws === undefined ? -1 : records.findIndex((r) => r.i >= ws);
  return {
    title: input.title,
    replay: input.replay ?? '',
    notes: [...(input.notes ?? [])],
    warnings: [...(input.warnings ?? [])],
    lanes,
    kinds,
    recs,
    arrows,
    lost,
    faults: faultSpans(records, laneOf, endUs),
    states,
    bands,
    failure: fail,
    gap: (input.leftOut?.before ?? 0) > 0 ? { rec: gapRec, skipped: input.leftOut!.before } : null,
    after: input.leftOut?.after ?? 0,
  };
}
