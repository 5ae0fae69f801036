/**
 * The trace: every observable step of a run as a structured record, a rolling hash over all of them,
 * subscriptions for monitors, a short in-memory tail of the latest records, and an optional JSONL sink.
 *
 * Record format (one JSON object per line in JSONL; documented in docs/trace-format.md):
 *   { "i": 17, "t": 1500, "node": "A", "kind": "net.deliver", "data": { ... } }
 * - i: position in the trace (0-based, dense)
 * - t: virtual time in microseconds
 * - node: the node the step belongs to ('sim' for the simulator itself, 'fault' for the fault injector)
 * - kind: dotted name, first segment is the area (sim, net, disk, kv, bus, lock, clock, node, fault, app...)
 * - data: kind-specific fields (JSON values only)
 *
 * The trace hash is SHA-1 over the JSONL text of every record in order (see RollingHash), so two runs have
 * the same hash exactly when they produced the same records. Memory stays flat: only the last `tailSize`
 * records are kept unless `keepAll` is set (replay).
 *
 * The tail is short (64 records by default): its one reader looks 64 records back (faults/select.ts), and
 * every record it holds lives until that many more are written. Held 2000 deep, most records of a
 * busy run outlived a young-generation collection and were copied, facts with their lists included: in the
 * client-server bench run with its checks (about 130,000 records, a third of them evidence facts) the
 * scavenges copied about 126 MB and promoted 93 MB over seeds 1,100,101 (--trace-gc-nvp, every time),
 * against 86-91 and 55-59 with 64 (6 of 6 runs; with 256, 4 of 7 runs, the others as with 2000).
 */
import { createHash } from 'node:crypto';

/**
 * The version of the trace format (record shape and every kind's fields, docs/trace-format.md), written as
 * `schemaVersion` in each trace's header record (`sim.begin`, record #0). Raised when a kind's fields change
 * incompatibly; tools that read traces (check-trace, view) refuse a version they do not know.
 */
export const TRACE_SCHEMA_VERSION = 1;

/** One trace record. */
export interface TraceRecord {
  /** Position in the trace, from 0. */
  i: number;
  /** Virtual time (µs). */
  t: number;
  /** Node name, or 'sim' / 'fault'. */
  node: string;
  /** Dotted kind, e.g. 'disk.fsync'. */
  kind: string;
  /** Kind-specific fields. */
  data: Record<string, unknown>;
}

/** A trace subscriber. */
export type TraceListener = (rec: TraceRecord) => void;

/** Options for a Trace. */
export interface TraceOptions {
  /** Keep every record in memory (for replay and export). Default false. */
  keepAll?: boolean;
  /** How many of the latest records to keep (`recent`). Default 64. */
  tailSize?: number;
  /** Called with each record's JSON line (no newline), e.g. to stream JSONL to a file. */
  sink?: (line: string) => void;
}

/**
 * The trace hash: SHA-1 over the JSONL text of the trace (each record's JSON line followed by '\n', UTF-8),
 * shown as its first 16 hex digits. So `sha1sum trace.jsonl | cut -c1-16` gives the same value as the
 * run's `trace-hash`, and a port can compute it with any SHA-1. Lines are hashed in batches (the native
 * hash costs about 0.2 µs per record this way, 3x less than a hand-written hash in JavaScript).
 */
export class RollingHash {
  private readonly hash = createHash('sha1');
  private pending: string[] = [];

  /** Adds one line (without its newline). */
  update(line: string): void {
    this.pending.push(line);
    if (this.pending.length >= 256) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.hash.update(`${this.pending.join('\n')}\n`);
    this.pending = [];
  }

  /** The hash of everything so far, 16 hex digits (the hash can keep growing afterwards). */
  hex(): string {
    this.flush();
    return this.hash.copy().digest('hex').slice(0, 16);
  }
}

/**
 * Subscriptions to trace records by kind: the live trace's, and a recorded trace's (check-trace's
 * RecordedTrace). Subclasses deliver a record to `listeners.get(kind)` then to `anyListeners`.
 */
export class TraceSubscriptions {
  protected readonly listeners = new Map<string, TraceListener[]>();
  protected anyListeners: TraceListener[] = [];

  /** Subscribes to records of one kind, or of every kind with '*'. Returns an unsubscribe function. */
  on(kind: string, listener: TraceListener): () => void {
    // Copy-on-write: a listener that subscribes or unsubscribes while a record is being dispatched changes the
    // list the next record sees, never the one being iterated (an in-place splice made the loop skip the next
    // listener: found when two checks unsubscribed at the same fault record).
    const get = (): TraceListener[] => (kind === '*' ? this.anyListeners : (this.listeners.get(kind) ?? []));
    const set = (list: TraceListener[]): void => {
      if (kind === '*') this.anyListeners = list;
      else this.listeners.set(kind, list);
    };
    set([...get(), listener]);
    return () => {
      const list = get();
      const at = list.indexOf(listener);
      if (at >= 0) set([...list.slice(0, at), ...list.slice(at + 1)]);
    };
  }

  /** True when some listener subscribed to `kind` itself (not through '*'). */
  hasListener(kind: string): boolean {
    return (this.listeners.get(kind)?.length ?? 0) > 0;
  }
}

/** The trace of one simulation. */
export class Trace extends TraceSubscriptions {
  /** Records emitted so far. */
  count = 0;
  private readonly hash = new RollingHash();
  private readonly tail: (TraceRecord | undefined)[];
  private readonly tailSize: number;
  private readonly all: TraceRecord[] | null;
  private readonly sink: ((line: string) => void) | undefined;
  private readonly jsonCache = new Map<string, string>();

  constructor(
    private readonly clock: () => number,
    options: TraceOptions = {},
  ) {
    super();
    this.tailSize = Math.max(1, options.tailSize ?? 64);
    this.tail = new Array(this.tailSize);
    this.all = options.keepAll ? [] : null;
    this.sink = options.sink;
  }

  /**
   * Appends a record. `data` must hold JSON values only and must not be mutated afterwards. `dataJson`,
   * when given, is `JSON.stringify(data)` as the caller built it (a recorder that writes many records of
   * one shape serializes them faster than JSON.stringify, from JSON it caches): it must be exactly that text.
   */
  emit(node: string, kind: string, data: Record<string, unknown> = {}, dataJson?: string): TraceRecord {
    const rec: TraceRecord = { i: this.count++, t: this.clock(), node, kind, data };
    // Same text as JSON.stringify(rec), built from cached JSON of the node and kind strings (2x faster).
    const line = `{"i":${rec.i},"t":${rec.t},"node":${this.json(node)},"kind":${this.json(kind)},"data":${dataJson ?? JSON.stringify(data)}}`;
    this.hash.update(line);
    this.sink?.(line);
    this.tail[rec.i % this.tailSize] = rec;
    this.all?.push(rec);
    const ls = this.listeners.get(kind);
    if (ls !== undefined) for (const l of ls) l(rec);
    for (const l of this.anyListeners) l(rec);
    return rec;
  }

  private json(s: string): string {
    let j = this.jsonCache.get(s);
    if (j === undefined) {
      j = JSON.stringify(s);
      if (this.jsonCache.size < 10_000) this.jsonCache.set(s, j);
    }
    return j;
  }

  /** The rolling hash of all records so far, 16 hex digits. */
  hashHex(): string {
    return this.hash.hex();
  }

  /** The last `n` records (at most the tail size), oldest first. */
  recent(n = this.tailSize): TraceRecord[] {
    const k = Math.min(n, this.tailSize, this.count);
    const out: TraceRecord[] = [];
    for (let i = this.count - k; i < this.count; i++) out.push(this.tail[i % this.tailSize]!);
    return out;
  }

  /** Every record, when the trace was created with keepAll; otherwise null. */
  records(): readonly TraceRecord[] | null {
    return this.all;
  }
}
