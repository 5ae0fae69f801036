/**
 * The global view of the election across the tabs of each device, built from the trace alone, and the
 * safety invariants checked against it:
 *
 * - invariant:epoch-unique — an epoch is acquired by one tab only.
 * - invariant:no-stale-write — the store never accepts a write (or fence) whose epoch is below one it
 *   accepted earlier in its log.
 * - invariant:one-writer-per-epoch — every write the store accepted with epoch e comes from the tab that
 *   acquired e (and from a single tab).
 * - invariant:exactly-once — a value is in the store's log at most once; a write acknowledged to its
 *   caller is in it exactly once; a write that failed with a definite error is not in it.
 * - invariant:lease-exclusive (lease mode only) — no tab acquires an epoch while another tab's lease is
 *   still good by that tab's own reckoning ('election.leader' / 'election.renewed' carry `validMs`, read
 *   with a 1% allowance for clock rate), and a tab never begins a leader write with epoch e once a higher
 *   epoch was acquired: a lease holder finds out it was deposed before it writes.
 *
 * The store's log is reconstructed from 'store.fence' / 'store.write' records {seq, epoch, writer,
 * value}: they are emitted inside the store's serialised transactions, so a record for a seq that was
 * already seen means the earlier transaction did not commit (its successor reused the position), and the
 * log is truncated there.
 */
import type { TraceRecord } from '../../sim/trace.ts';

/** A broken invariant. */
export interface Violation {
  check: string;
  message: string;
  node?: string;
  details?: Record<string, unknown>;
}

/** Trace kinds the ledger reads. */
export const LEDGER_KINDS: readonly string[] = [
  'election.acquired',
  'election.leader',
  'election.renewed',
  'election.stepdown',
  'node.crash',
  'node.stop',
  'writer.begin',
  'store.fence',
  'store.write',
  'workload.result',
];

/** Options of the ledger. */
export interface LedgerOptions {
  /** Check invariant:lease-exclusive (only meaningful for lease-based elections). */
  leaseExclusive: boolean;
  /** Device of a node. */
  deviceOf(node: string): string;
}

/** A lease belief of `validMs` is read as ending after validMs * 0.99 of true time (clock rates differ). */
const BELIEF_ALLOWANCE = 0.99;

interface LogEntry {
  seq: number;
  epoch: number;
  writer: string;
  /** The written value, null for a fence. */
  value: string | null;
  traceIndex: number;
}

/** The global view of one device. */
class DeviceView {
  readonly acquiredBy = new Map<number, string>();
  maxAcquired = 0;
  maxAcquiredBy = '';
  /** Tab -> epoch it currently leads with (per the trace). */
  readonly leaders = new Map<string, number>();
  /** Tab -> the lease it believes it holds: epoch and the true time (µs) its belief ends. */
  readonly beliefs = new Map<string, { epoch: number; endUs: number }>();
  readonly log: LogEntry[] = [];
  /** prefixMax[i] = highest epoch among log[0..i]. */
  readonly prefixMax: number[] = [];
  readonly seqOfValue = new Map<string, number>();
  readonly writerOfEpoch = new Map<number, string>();
  readonly acknowledged = new Set<string>();
  readonly definitelyFailed = new Set<string>();

  /** Drops log entries from position `seq` on (their transactions did not commit) and re-indexes. */
  truncateFrom(seq: number): void {
    this.log.length = seq - 1;
    this.prefixMax.length = seq - 1;
    this.seqOfValue.clear();
    this.writerOfEpoch.clear();
    for (const e of this.log) this.index(e);
  }

  index(e: LogEntry): void {
    if (e.value !== null) this.seqOfValue.set(e.value, e.seq);
    if (!this.writerOfEpoch.has(e.epoch)) this.writerOfEpoch.set(e.epoch, e.writer);
  }

  push(e: LogEntry): void {
    const prev = this.prefixMax[this.prefixMax.length - 1] ?? 0;
    this.log.push(e);
    this.prefixMax.push(Math.max(prev, e.epoch));
    this.index(e);
  }
}

/** Feeds on trace records; answers with the first violation it sees. */
export class ElectionLedger {
  private readonly devices = new Map<string, DeviceView>();

  constructor(private readonly options: LedgerOptions) {}

  /** The view of `device` (created on first use). */
  view(device: string): DeviceView {
    let v = this.devices.get(device);
    if (v === undefined) this.devices.set(device, (v = new DeviceView()));
    return v;
  }

  /** Tabs that lead right now per the trace, with their epochs. */
  leaders(device: string): [string, number][] {
    return [...this.view(device).leaders.entries()];
  }

  /** Processes one record; returns a violation or null. */
  onRecord(rec: TraceRecord): Violation | null {
    const d = rec.data;
    switch (rec.kind) {
      case 'election.acquired':
        return this.acquired(rec.node, num(d.epoch), rec);
      case 'election.leader':
        this.view(this.options.deviceOf(rec.node)).leaders.set(rec.node, num(d.epoch));
        this.believe(rec);
        return null;
      case 'election.renewed':
        this.believe(rec);
        return null;
      case 'election.stepdown':
      case 'node.crash':
      case 'node.stop': {
        if (rec.node === 'sim') return null;
        const v = this.view(this.options.deviceOf(rec.node));
        v.leaders.delete(rec.node);
        v.beliefs.delete(rec.node);
        return null;
      }
      case 'writer.begin':
        return this.writeBegins(rec.node, num(d.epoch), rec);
      case 'store.fence':
      case 'store.write':
        return this.logged(rec);
      case 'workload.result':
        this.result(d);
        return null;
      default:
        return null;
    }
  }

  /** Records how long the tab believes its lease is good (clock rates may differ by 1%: read it shorter). */
  private believe(rec: TraceRecord): void {
    const validMs = rec.data.validMs;
    if (typeof validMs !== 'number') return;
    const endUs = rec.t + validMs * 1000 * BELIEF_ALLOWANCE;
    this.view(this.options.deviceOf(rec.node)).beliefs.set(rec.node, { epoch: num(rec.data.epoch), endUs });
  }

  /** A tab acquiring `epoch` while another still believes in its lease of an older epoch. */
  private overlapping(v: DeviceView, tab: string, epoch: number, rec: TraceRecord): Violation | null {
    if (!this.options.leaseExclusive) return null;
    for (const [other, b] of v.beliefs) {
      if (other === tab || b.epoch >= epoch || b.endUs <= rec.t) continue;
      return {
        check: 'invariant:lease-exclusive',
        message:
          `'${tab}' acquired epoch ${epoch} (trace #${rec.i}) while '${other}' still held the lease of epoch ${b.epoch} ` +
          `by its own reckoning for ${Math.round((b.endUs - rec.t) / 1000)} ms more: two tabs believed they held the lease`,
        node: tab,
        details: { epoch, other, otherEpoch: b.epoch, overlapUs: b.endUs - rec.t },
      };
    }
    return null;
  }

  private acquired(tab: string, epoch: number, rec: TraceRecord): Violation | null {
    const v = this.view(this.options.deviceOf(tab));
    const overlap = this.overlapping(v, tab, epoch, rec);
    if (overlap !== null) return overlap;
    const holder = v.acquiredBy.get(epoch);
    if (holder !== undefined && holder !== tab) {
      return {
        check: 'invariant:epoch-unique',
        message: `epoch ${epoch} acquired by '${tab}' (trace #${rec.i}) was already acquired by '${holder}'`,
        node: tab,
        details: { epoch, tab, holder },
      };
    }
    v.acquiredBy.set(epoch, tab);
    if (epoch > v.maxAcquired) {
      v.maxAcquired = epoch;
      v.maxAcquiredBy = tab;
    }
    return null;
  }

  private writeBegins(tab: string, epoch: number, rec: TraceRecord): Violation | null {
    if (!this.options.leaseExclusive) return null;
    const v = this.view(this.options.deviceOf(tab));
    if (v.maxAcquired <= epoch) return null;
    return {
      check: 'invariant:lease-exclusive',
      message:
        `'${tab}' began a leader write with epoch ${epoch} (trace #${rec.i}) after '${v.maxAcquiredBy}' had ` +
        `acquired epoch ${v.maxAcquired}: two tabs believed they held the lease`,
      node: tab,
      details: { epoch, newer: v.maxAcquired, newerHolder: v.maxAcquiredBy },
    };
  }

  private logged(rec: TraceRecord): Violation | null {
    const d = rec.data;
    const writer = typeof d.writer === 'string' ? d.writer : rec.node;
    const e: LogEntry = { seq: num(d.seq), epoch: num(d.epoch), writer, value: typeof d.value === 'string' ? d.value : null, traceIndex: rec.i };
    const v = this.view(this.options.deviceOf(rec.node));
    if (e.seq <= v.log.length) v.truncateFrom(e.seq);
    if (e.seq !== v.log.length + 1) {
      return { check: 'invariant:store-log', message: `store log position ${e.seq} follows ${v.log.length} (trace #${rec.i}): a gap`, node: rec.node };
    }
    const bad = this.staleOrForeign(v, e) ?? this.duplicate(v, e);
    v.push(e);
    return bad;
  }

  private staleOrForeign(v: DeviceView, e: LogEntry): Violation | null {
    const before = v.prefixMax[v.prefixMax.length - 1] ?? 0;
    if (e.epoch < before) {
      return {
        check: 'invariant:no-stale-write',
        message:
          `the store accepted ${e.value === null ? 'a fence' : `write '${e.value}'`} from '${e.writer}' with epoch ${e.epoch} ` +
          `at log position ${e.seq} (trace #${e.traceIndex}) after accepting epoch ${before}`,
        node: e.writer,
        details: { seq: e.seq, epoch: e.epoch, highest: before },
      };
    }
    const first = v.writerOfEpoch.get(e.epoch);
    const acquirer = v.acquiredBy.get(e.epoch);
    const owner = acquirer ?? first;
    if (e.epoch > 0 && owner !== undefined && owner !== e.writer) {
      return {
        check: 'invariant:one-writer-per-epoch',
        message: `'${e.writer}' wrote with epoch ${e.epoch} at log position ${e.seq} (trace #${e.traceIndex}), an epoch owned by '${owner}'`,
        node: e.writer,
        details: { seq: e.seq, epoch: e.epoch, owner },
      };
    }
    return null;
  }

  private duplicate(v: DeviceView, e: LogEntry): Violation | null {
    if (e.value === null) return null;
    const earlier = v.seqOfValue.get(e.value);
    if (earlier === undefined) return null;
    return {
      check: 'invariant:exactly-once',
      message: `write '${e.value}' applied twice: at log positions ${earlier} and ${e.seq} (trace #${e.traceIndex})`,
      node: e.writer,
      details: { value: e.value, first: earlier, second: e.seq },
    };
  }

  private result(d: Record<string, unknown>): void {
    if (typeof d.node !== 'string' || typeof d.value !== 'string') return;
    const v = this.view(this.options.deviceOf(d.node));
    if (d.ok === true) v.acknowledged.add(d.value);
    else if (d.definite === true) v.definitelyFailed.add(d.value);
  }

  /** End of run: acknowledged writes are in the log exactly once, definitely failed ones are not. */
  finalCheck(): Violation | null {
    for (const [device, v] of this.devices) {
      for (const value of v.acknowledged) {
        if (!v.seqOfValue.has(value)) {
          return { check: 'invariant:exactly-once', message: `write '${value}' was acknowledged but is not in the store log of device '${device}'` };
        }
      }
      for (const value of v.definitelyFailed) {
        const seq = v.seqOfValue.get(value);
        if (seq !== undefined) {
          return { check: 'invariant:exactly-once', message: `write '${value}' failed with a definite error but is at log position ${seq} of device '${device}'` };
        }
      }
    }
    return null;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
