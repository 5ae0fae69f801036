/**
 * Timelines of failing runs: the failing seed is re-run (a run is deterministic) with a trace sink that
 * keeps only a bounded window of records before the failure, plus the fault records (`fault.*`) from
 * before the window (few, and the cause of the failure is often among them), and these become lanes (one
 * per node), steps, messages between lanes (a send matched to its delivery), fault marks and the failing
 * step.
 */
import { runScenario } from '../scenario/run.ts';
import type { RunFn } from '../runner/isolated.ts';
import type { Scenario } from '../scenario/types.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { RunRow } from '../runner/results.ts';

/** One step on a lane. */
export interface TimelineStep {
  /** Trace position. */
  i: number;
  /** Virtual time, µs. */
  t: number;
  lane: number;
  kind: string;
  /** Short JSON of the record's data (truncated). */
  text: string;
  fault: boolean;
}

/** A message drawn from the sender's step to the receiver's step. */
export interface TimelineMessage {
  /** Indexes into `steps`. */
  from: number;
  to: number;
}

/** What the report draws for one failing run. */
export interface Timeline {
  scenario: string;
  seed: number;
  lanes: string[];
  steps: TimelineStep[];
  messages: TimelineMessage[];
  /** Index into `steps` of the failing step (the record at the failure's trace position), or -1. */
  failing: number;
  /** When the failure names a node: that node's last step up to the failure (its last act), or -1. */
  failingNodeStep: number;
  /** Records before the window that were left out. */
  skipped: number;
  /**
   * Index into `steps` of the first record of the contiguous window; the steps before it are the fault
   * records kept from earlier (0 when there are none).
   */
  windowStart: number;
  /** The trace hash of the re-run; equal to the sweep's when the run is deterministic. */
  traceHash: string;
}

/** Most records a timeline keeps (the last ones up to the failure, plus a few after). */
export const TIMELINE_STEPS_MAX = 600;
/** Most fault records kept from before the window (the latest ones). */
export const TIMELINE_EARLY_FAULTS_MAX = 200;
/** Records kept after the failing step. */
const AFTER_FAILURE = 20;
const TEXT_MAX = 160;

const SEND_RE = /\.(send|sent|post|posted)$/;
const RECV_RE = /\.(deliver|delivered|recv|receive|received)$/;

/**
 * A message's identity: connection and sequence number, datagram id, or a generic id field (the tab bus
 * numbers its posts: `msg`).
 */
function msgId(d: Record<string, unknown>): string {
  if (d.conn !== undefined && d.seq !== undefined) return `${String(d.conn)}:${String(d.seq)}`;
  if (d.dgram !== undefined) return `d${String(d.dgram)}`;
  for (const k of ['id', 'msg', 'msgId', 'seq']) {
    const v = d[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return '';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Builds a timeline from trace records (oldest first) and the failure's trace position. `windowStart`:
 * how many of `records` are fault records kept from before the window (drawn before a break).
 */
export function timelineOf(
  scenario: string,
  seed: number,
  records: readonly TraceRecord[],
  failureIndex: number,
  skipped: number,
  traceHash: string,
  failureNode?: string,
  windowStart = 0,
): Timeline {
  const lanes: string[] = [];
  const laneOf = new Map<string, number>();
  const lane = (node: string): number => {
    let l = laneOf.get(node);
    if (l === undefined) {
      l = lanes.length;
      lanes.push(node);
      laneOf.set(node, l);
    }
    return l;
  };
  lane('fault');
  const steps: TimelineStep[] = [];
  const messages: TimelineMessage[] = [];
  const pending = new Map<string, number[]>();
  /** Broadcasts (a send whose `to` is a receiver count, as 'bus.post'): one send, many deliveries. */
  const broadcasts = new Map<string, number>();
  let failing = -1;
  for (const r of records) {
    const text = JSON.stringify(r.data);
    const at = steps.length;
    steps.push({ i: r.i, t: r.t, lane: lane(r.node), kind: r.kind, text: text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX)}…` : text, fault: r.kind.startsWith('fault.') });
    if (r.i === failureIndex || (failing === -1 && r.kind === 'sim.failure')) failing = at;
    const area = r.kind.split('.')[0] ?? '';
    if (SEND_RE.test(r.kind) && typeof r.data.to === 'number') {
      broadcasts.set(`${area}|${r.node}|${msgId(r.data)}`, at);
    } else if (SEND_RE.test(r.kind)) {
      const to = str(r.data.to) ?? str(r.data.peer) ?? '';
      const key = `${area}|${r.node}|${to}|${msgId(r.data)}`;
      const q = pending.get(key) ?? pending.set(key, []).get(key)!;
      q.push(at);
    } else if (RECV_RE.test(r.kind)) {
      const from = str(r.data.from) ?? str(r.data.peer) ?? '';
      const key = `${area}|${from}|${r.node}|${msgId(r.data)}`;
      const sent = pending.get(key)?.shift() ?? broadcasts.get(`${area}|${from}|${msgId(r.data)}`);
      if (sent !== undefined) messages.push({ from: sent, to: at });
    }
  }
  let failingNodeStep = -1;
  const nodeLane = failureNode === undefined ? undefined : laneOf.get(failureNode);
  for (let k = failing; k >= 0 && nodeLane !== undefined; k--) {
    if (steps[k]!.lane === nodeLane) {
      failingNodeStep = k;
      break;
    }
  }
  return { scenario, seed, lanes, steps, messages, failing, failingNodeStep, skipped, windowStart, traceHash };
}

/** The record of a JSONL trace line when it is a fault record ('fault.*'), else null (cheap for the rest). */
function faultRecord(line: string): TraceRecord | null {
  if (!line.includes('"kind":"fault.')) return null;
  const r = JSON.parse(line) as TraceRecord;
  return r.kind.startsWith('fault.') ? r : null;
}

/**
 * Re-runs a failed run with a trace window and returns its timeline. The window keeps the last
 * TIMELINE_STEPS_MAX records up to a little after the failure, so memory is bounded for long runs; the
 * fault records that fall out of the window are kept (the latest TIMELINE_EARLY_FAULTS_MAX), so the
 * fault that led to the failure is marked even when it came long before.
 */
export async function captureTimeline(scenario: Scenario, row: RunRow, run: RunFn = runScenario): Promise<Timeline> {
  const failureIndex = row.failure?.traceIndex ?? Number.MAX_SAFE_INTEGER;
  const lastKept = failureIndex + AFTER_FAILURE;
  const ring: string[] = new Array(TIMELINE_STEPS_MAX);
  const early: TraceRecord[] = [];
  let n = 0;
  const result = await run(scenario, row.seed, {
    variant: row.variant,
    traceSink: (line) => {
      if (n <= lastKept) {
        const slot = n % TIMELINE_STEPS_MAX;
        // The record this one evicts is older than any window: keep it if it is a fault.
        const evicted = n >= TIMELINE_STEPS_MAX ? faultRecord(ring[slot]!) : null;
        if (evicted !== null && early.push(evicted) > TIMELINE_EARLY_FAULTS_MAX) early.shift();
        ring[slot] = line;
      }
      n++;
    },
  });
  // A run on a thread that could not finish (its setup threw, it hung, it ran out of memory) has no timeline.
  if (result.failure?.check.startsWith('runner') === true) throw new Error(result.failure.message);
  const end = Math.min(n, lastKept + 1);
  const start = Math.max(0, end - TIMELINE_STEPS_MAX);
  const records: TraceRecord[] = [...early];
  for (let i = start; i < end; i++) records.push(JSON.parse(ring[i % TIMELINE_STEPS_MAX]!) as TraceRecord);
  return timelineOf(row.scenario, row.seed, records, failureIndex, start - early.length, result.traceHash, row.failure?.node, early.length);
}
