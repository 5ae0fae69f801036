/**
 * A bounded window of a trace for a viewer page: the last `max` records up to a little after the failure,
 * plus, from before the window, the `sim.begin` record and the latest fault records (few, and the cause of
 * a failure is often among them), as the report's timelines keep them. Lines are kept as text and parsed
 * once at the end, so a long run costs little beyond the window.
 */
import type { TraceRecord } from '../../sim/trace.ts';

/** Records kept after the failing one. */
export const AFTER_FAILURE = 200;
/** Most fault records kept from before the window. */
export const EARLY_FAULTS_MAX = 500;

/** True for a line worth keeping from before the window: a fault record or the run's `sim.begin`. */
function early(line: string): boolean {
  return line.includes('"kind":"fault.') || line.includes('"kind":"sim.begin"');
}

/** Keeps a window of trace lines (see the file comment). */
export class TraceWindow {
  private readonly ring: string[];
  private readonly early: string[] = [];
  private n = 0;
  /** Lines seen after the window's end (left out). */
  private cut = 0;

  /**
   * @param max most records in the window
   * @param failureAt the failure's position in the trace (records after it + AFTER_FAILURE are left out);
   *   unknown (Infinity): learnt from the first `sim.failure` line
   */
  constructor(
    readonly max: number,
    private failureAt = Infinity,
  ) {
    this.ring = new Array<string>(max);
  }

  /** Adds the next line of the trace (its `n`th, from 0). */
  add(line: string, kind?: string): void {
    if (this.n > this.failureAt + AFTER_FAILURE) {
      this.cut++;
      this.n++;
      return;
    }
    if (this.failureAt === Infinity && (kind === undefined ? line.includes('"kind":"sim.failure"') : kind === 'sim.failure')) this.failureAt = this.n;
    const slot = this.n % this.max;
    if (this.n >= this.max) {
      const evicted = this.ring[slot]!;
      if (early(evicted) && this.early.push(evicted) > EARLY_FAULTS_MAX) this.early.splice(this.early[0]!.includes('"kind":"sim.begin"') ? 1 : 0, 1);
    }
    this.ring[slot] = line;
    this.n++;
  }

  /** The records kept (early ones first, then the window), and how many were left out before and after. */
  result(): { records: TraceRecord[]; before: number; after: number; windowStart: number } {
    const kept = this.n - this.cut;
    const start = Math.max(0, kept - this.max);
    const records: TraceRecord[] = this.early.map((l) => JSON.parse(l) as TraceRecord);
    for (let k = start; k < kept; k++) records.push(JSON.parse(this.ring[k % this.max]!) as TraceRecord);
    const windowStart = records[this.early.length]?.i ?? 0;
    return { records, before: start - this.early.length, after: this.cut, windowStart };
  }
}
