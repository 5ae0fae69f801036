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
 *   still good by that tab's own reckoning ('election.leader' / 'election.renewed' carry `validMs`,
 *   converted to true time with the tab's clock rate when the world tells it, else with a 1% allowance),
 *   and a tab never begins a leader write with epoch e once a higher
 *   epoch was acquired: a lease holder finds out it was deposed before it writes. The first half needs
 *   `validMs`, which an implementation may leave out; the second reads 'writer.begin' (traced by the
 *   single writer, whatever the implementation) and 'election.acquired', so it holds any lease election
 *   to the promise.
 *
 * The store's log is reconstructed from 'fenced.fence' / 'fenced.write' records {pos, epoch, writer,
 * value}, emitted once a call committed: `pos` is its unique position in the store's commit order. A
 * record may arrive late (its tab froze right after the commit) or never (it crashed), so the checks are
 * order-independent: a stale write is any pair of positions p < q whose epochs decrease.
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
  'fenced.fence',
  'fenced.write',
  'workload.result',
];

/** Options of the ledger. */
export interface LedgerOptions {
  /** Check invariant:lease-exclusive (only meaningful for lease-based elections). */
  leaseExclusive: boolean;
  /** Device of a node. */
  deviceOf(node: string): string;
  /**
   * The rate of a node's clock now (true time per clock time is 1 / rate), from the simulated world.
   * Without it a belief of `validMs` is read as ending after validMs * 0.99 of true time.
   */
  clockRate?(node: string): number;
}

/** Without clock rates, a lease belief of `validMs` is read as ending after validMs * 0.99 of true time. */
const BELIEF_ALLOWANCE = 0.99;

interface LogEntry {
  pos: number;
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
  /** Position -> committed call (as far as the trace told). */
  readonly log = new Map<number, LogEntry>();
  readonly posOfValue = new Map<string, number>();
  readonly writerOfEpoch = new Map<number, string>();
  readonly acknowledged = new Set<string>();
  readonly definitelyFailed = new Set<string>();
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
      case 'fenced.fence':
      case 'fenced.write':
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
    const rate = this.options.clockRate?.(rec.node);
    const endUs = rec.t + (rate === undefined ? validMs * 1000 * BELIEF_ALLOWANCE : (validMs * 1000) / rate - 1);
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
    const e: LogEntry = { pos: num(d.pos), epoch: num(d.epoch), writer, value: typeof d.value === 'string' ? d.value : null, traceIndex: rec.i };
    const v = this.view(this.options.deviceOf(rec.node));
    const same = v.log.get(e.pos);
    if (same !== undefined) {
      if (same.writer === e.writer && same.epoch === e.epoch && same.value === e.value) return null;
      return { check: 'invariant:store-log', message: `two commits at store position ${e.pos} (trace #${same.traceIndex} and #${rec.i})`, node: rec.node };
    }
    const bad = this.stale(v, e) ?? this.foreign(v, e) ?? this.duplicate(v, e);
    v.log.set(e.pos, e);
    if (e.value !== null) v.posOfValue.set(e.value, e.pos);
    if (!v.writerOfEpoch.has(e.epoch)) v.writerOfEpoch.set(e.epoch, e.writer);
    return bad;
  }

  /** A pair of positions p < q with epoch(p) > epoch(q): the store accepted q from a stale epoch. */
  private stale(v: DeviceView, e: LogEntry): Violation | null {
    for (const o of v.log.values()) {
      const [earlier, later] = o.pos < e.pos ? [o, e] : [e, o];
      if (earlier.epoch <= later.epoch) continue;
      return {
        check: 'invariant:no-stale-write',
        message:
          `the store accepted ${later.value === null ? 'a fence' : `write '${later.value}'`} from '${later.writer}' with epoch ` +
          `${later.epoch} at position ${later.pos} after accepting epoch ${earlier.epoch} at position ${earlier.pos}`,
        node: later.writer,
        details: { pos: later.pos, epoch: later.epoch, earlierPos: earlier.pos, earlierEpoch: earlier.epoch },
      };
    }
    return null;
  }

  /** A write with an epoch another tab acquired (or already wrote with). */
  private foreign(v: DeviceView, e: LogEntry): Violation | null {
    const owner = v.acquiredBy.get(e.epoch) ?? v.writerOfEpoch.get(e.epoch);
    if (e.epoch === 0 || owner === undefined || owner === e.writer) return null;
    return {
      check: 'invariant:one-writer-per-epoch',
      message: `'${e.writer}' wrote with epoch ${e.epoch} at store position ${e.pos} (trace #${e.traceIndex}), an epoch owned by '${owner}'`,
      node: e.writer,
      details: { pos: e.pos, epoch: e.epoch, owner },
    };
  }

  private duplicate(v: DeviceView, e: LogEntry): Violation | null {
    if (e.value === null) return null;
    const earlier = v.posOfValue.get(e.value);
    if (earlier === undefined) return null;
    return {
      check: 'invariant:exactly-once',
      message: `write '${e.value}' applied twice: at store positions ${earlier} and ${e.pos} (trace #${e.traceIndex})`,
      node: e.writer,
      details: { value: e.value, first: earlier, second: e.pos },
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
        if (!v.posOfValue.has(value)) {
          return { check: 'invariant:exactly-once', message: `write '${value}' was acknowledged but is not in the store of device '${device}'` };
        }
      }
      for (const value of v.definitelyFailed) {
        const pos = v.posOfValue.get(value);
        if (pos !== undefined) {
          return { check: 'invariant:exactly-once', message: `write '${value}' failed with a definite error but is at store position ${pos} of device '${device}'` };
        }
      }
    }
    return null;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
