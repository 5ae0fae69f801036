/**
 * Model bands: what state each model instance was in over (virtual) time, for the trace viewer. The
 * scenario's models are stepped offline over the trace records by the same ModelMonitor a run uses (the
 * records carry the evidence, `fact.*`, the models decide from), with a sink that notes a refusal instead of
 * failing a run: a model that refuses a record stops there (as it does in a run), and its bands keep the
 * last state it knew, marked with the refusal.
 */
import { ModelMonitor, stateKey, type ModelSpec, type ModelTarget } from '../../model/monitor.ts';
import type { Scenario } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';

/** One state of one instance, from `fromUs` to `toUs` (virtual time). */
export interface BandSpan {
  state: string;
  fromUs: number;
  toUs: number;
}

/** Where a model stopped: it refused a record (a conformance failure) or its code threw. */
export interface BandStop {
  atUs: number;
  traceIndex?: number;
  /** The instance whose event was refused, when the refusal names one. */
  instance?: string;
  message: string;
}

/** The states of one model instance over time. */
export interface ModelBand {
  model: string;
  instance: string;
  /** The node the instance lives on (its lane). */
  node: string;
  spans: BandSpan[];
  /** Set when the model stopped stepping (the spans after it hold the last state it knew). */
  stopped?: BandStop;
}

/** One instance as it is being followed. */
interface Track {
  instance: string;
  node: string;
  spans: BandSpan[];
  state: string;
  since: number;
  snap: unknown;
}

/** One model: its monitor, the instances the last record touched, and what each instance went through. */
class ModelTrack {
  readonly monitor: ModelMonitor;
  readonly kinds: ReadonlySet<string>;
  readonly tracks = new Map<string, Track>();
  stopped: BandStop | undefined;
  private touched: string[] = [];
  private now: TraceRecord | null = null;

  constructor(readonly spec: ModelSpec) {
    const touched = (out: ModelTarget | readonly ModelTarget[] | null): void => {
      if (out === null) return;
      if (Array.isArray(out)) for (const t of out as readonly ModelTarget[]) this.touched.push(t.instance);
      else this.touched.push((out as ModelTarget).instance);
    };
    // The monitor calls this map: the instances each record reaches are the only ones that can change.
    const watched: ModelSpec = {
      ...spec,
      map: (rec, world) => {
        const out = spec.map.call(spec, rec, world);
        touched(out);
        return out;
      },
    };
    this.monitor = new ModelMonitor(watched, {
      fail: (f) => {
        const instance = f.details?.instance;
        this.stopped ??= { atUs: this.now?.t ?? 0, traceIndex: f.traceIndex, message: f.message, ...(typeof instance === 'string' ? { instance } : {}) };
      },
    });
    this.kinds = new Set(spec.kinds);
  }

  onRecord(rec: TraceRecord): void {
    if (this.stopped !== undefined && rec.kind !== 'node.start') return;
    this.now = rec;
    this.touched = [];
    try {
      this.monitor.onRecord(rec);
    } catch (e) {
      this.stopped = { atUs: rec.t, traceIndex: rec.i, message: `model '${this.spec.name}' threw at trace #${rec.i}: ${e instanceof Error ? e.message : String(e)}` };
      return;
    }
    for (const instance of this.touched) this.follow(instance, rec.t);
  }

  private follow(instance: string, t: number): void {
    const snap = this.monitor.instances.get(instance);
    if (snap === undefined) return;
    let track = this.tracks.get(instance);
    if (track === undefined) {
      track = { instance, node: this.spec.nodeOf?.(instance) ?? instance, spans: [], state: stateKey(snap.value), since: t, snap };
      this.tracks.set(instance, track);
      return;
    }
    if (track.snap === snap) return;
    track.snap = snap;
    const state = stateKey(snap.value);
    if (state === track.state) return;
    if (t > track.since) track.spans.push({ state: track.state, fromUs: track.since, toUs: t });
    track.state = state;
    track.since = t;
  }
}

/**
 * Follows the scenario's models over trace records fed in order (`onRecord`), and gives each instance's
 * states over time (`bands`). Records of kinds no model reads cost a set lookup.
 */
export class BandRecorder {
  private readonly models: ModelTrack[];
  private readonly kinds = new Set<string>(['node.start']);

  constructor(specs: readonly ModelSpec[]) {
    this.models = specs.map((s) => new ModelTrack(s));
    for (const m of this.models) for (const k of m.kinds) this.kinds.add(k);
  }

  /** True when some model reads records of `kind` (the others need not be parsed). */
  wants(kind: string): boolean {
    return this.models.length > 0 && this.kinds.has(kind);
  }

  /** Feeds one record (in trace order). */
  onRecord(rec: TraceRecord): void {
    if (!this.wants(rec.kind)) return;
    for (const m of this.models) if (rec.kind === 'node.start' || m.kinds.has(rec.kind)) m.onRecord(rec);
  }

  /**
   * The bands up to `endUs` (the last state of each instance lasts until then), keeping only what overlaps
   * [fromUs, endUs] (spans are cut at fromUs): per model (in the scenario's order), instances by node, then
   * by name.
   */
  bands(endUs: number, fromUs = 0): ModelBand[] {
    const out: ModelBand[] = [];
    for (const m of this.models) {
      const tracks = [...m.tracks.values()].sort((a, b) => cmp(a.node, b.node) || cmp(a.instance, b.instance));
      for (const tr of tracks) {
        const spans: BandSpan[] = [];
        for (const s of [...tr.spans, { state: tr.state, fromUs: tr.since, toUs: Math.max(endUs, tr.since) }]) {
          if (s.toUs < fromUs || s.fromUs > endUs) continue;
          spans.push({ state: s.state, fromUs: Math.max(s.fromUs, fromUs), toUs: Math.min(s.toUs, endUs) });
        }
        if (spans.length === 0) continue;
        const band: ModelBand = { model: m.spec.name, instance: tr.instance, node: tr.node, spans };
        if (m.stopped !== undefined) band.stopped = m.stopped;
        out.push(band);
      }
    }
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Per model instance of the scenario's models, its states over the records' time: (state, fromUs, toUs)
 * spans, computed by stepping the models over `records` (oldest first) offline. The last state of each
 * instance lasts until the last record's time.
 */
export function modelBands(scenario: Pick<Scenario, 'models'>, records: Iterable<TraceRecord>): ModelBand[] {
  const rec = new BandRecorder(scenario.models ?? []);
  let end = 0;
  for (const r of records) {
    rec.onRecord(r);
    end = r.t;
  }
  return rec.bands(end);
}
