/**
 * The trace: every observable step of a run as a structured record, a rolling hash over all of them,
 * subscriptions for monitors, a bounded in-memory tail for failure reports, and an optional JSONL sink.
 *
 * Record format (one JSON object per line in JSONL; documented in docs/trace-format.md):
 *   { "i": 17, "t": 1500, "node": "A", "kind": "net.deliver", "data": { ... } }
 * - i: position in the trace (0-based, dense)
 * - t: virtual time in microseconds
 * - node: the node the step belongs to ('sim' for the simulator itself, 'fault' for the fault injector)
 * - kind: dotted name, first segment is the area (sim, net, disk, kv, bus, lock, clock, node, fault, app...)
 * - data: kind-specific fields (JSON values only)
 *
 * The trace hash is a 64-bit hash over the JSON text of every record in order, so two runs have the
 * same hash exactly when they produced the same records. Memory stays flat: only the last `tailSize`
 * records are kept unless `keepAll` is set (replay).
 */

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
  /** How many of the latest records to keep for failure reports. Default 2000. */
  tailSize?: number;
  /** Called with each record's JSON line (no newline), e.g. to stream JSONL to a file. */
  sink?: (line: string) => void;
}

/** Streaming 64-bit hash (two 32-bit multiplicative lanes, murmur-style finaliser). */
export class RollingHash {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  /** Mixes a string into the hash. */
  update(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // record separator, so ["ab","c"] and ["a","bc"] differ
    h1 = Math.imul(h1 ^ 10, 2654435761);
    h2 = Math.imul(h2 ^ 10, 1597334677);
    this.h1 = h1;
    this.h2 = h2;
  }

  /** The current value as 16 hex digits. */
  hex(): string {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
  }
}

/** The trace of one simulation. */
export class Trace {
  /** Records emitted so far. */
  count = 0;
  private readonly hash = new RollingHash();
  private readonly listeners = new Map<string, TraceListener[]>();
  private readonly anyListeners: TraceListener[] = [];
  private readonly tail: (TraceRecord | undefined)[];
  private readonly tailSize: number;
  private readonly all: TraceRecord[] | null;
  private readonly sink: ((line: string) => void) | undefined;

  constructor(
    private readonly clock: () => number,
    options: TraceOptions = {},
  ) {
    this.tailSize = Math.max(1, options.tailSize ?? 2000);
    this.tail = new Array(this.tailSize);
    this.all = options.keepAll ? [] : null;
    this.sink = options.sink;
  }

  /** Appends a record. `data` must hold JSON values only and must not be mutated afterwards. */
  emit(node: string, kind: string, data: Record<string, unknown> = {}): TraceRecord {
    const rec: TraceRecord = { i: this.count++, t: this.clock(), node, kind, data };
    const line = JSON.stringify(rec);
    this.hash.update(line);
    this.sink?.(line);
    this.tail[rec.i % this.tailSize] = rec;
    this.all?.push(rec);
    const ls = this.listeners.get(kind);
    if (ls !== undefined) for (const l of ls) l(rec);
    for (const l of this.anyListeners) l(rec);
    return rec;
  }

  /** Subscribes to records of one kind, or of every kind with '*'. Returns an unsubscribe function. */
  on(kind: string, listener: TraceListener): () => void {
    const list = kind === '*' ? this.anyListeners : this.listeners.get(kind) ?? [];
    if (kind !== '*' && !this.listeners.has(kind)) this.listeners.set(kind, list);
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
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
