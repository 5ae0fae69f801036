/**
 * invariant:pending-bound: a tab holds at most `pendingWritesMax` writes waiting for a result, and refuses
 * a write at once with EBUSY only when it holds that many (TabOptions.pendingWritesMax, docs/election.md
 * "Bounds"). No other check counts a tab's open writes: a bound off by one, or refusals while there is
 * room, pass every safety check.
 *
 * Evidence (never the implementation's word): the workload's own record (`workload.write`,
 * `workload.result`, `workload.lost`) and the tabs' lifecycle (`node.start`, `node.crash`, `node.stop`),
 * with the bound the scenario configured.
 *
 * A refusal reaches the workload a microtask after the write (the promise rejects at once), so within one
 * instant the workload's count may include writes the tab already refused or settled. The check therefore
 * judges a write once virtual time has moved past the instant it was issued, when every refusal of that
 * instant is known ("refused at once": EBUSY at the instant of issue):
 * - accepted although the tab held at least `pendingWritesMax` writes: counting only earlier writes of the
 *   same incarnation that were not refused at once and are still open (so were open at the issue too);
 * - refused at once although the tab held fewer: counting every earlier write not refused at once whose
 *   result the workload had not seen when it issued this one (an upper bound).
 */
import type { TraceRecord } from '../../sim/trace.ts';
import type { TraceCheck } from '../check.ts';

/** The invariant's name. */
export const PENDING_BOUND = 'invariant:pending-bound';

/** Trace kinds the check reads. */
export const PENDING_BOUND_KINDS: readonly string[] = ['workload.write', 'workload.result', 'workload.lost', 'node.start', 'node.crash', 'node.stop'];

interface Write {
  value: string;
  node: string;
  t: number;
  i: number;
  /** Earlier writes of the tab not refused at once and without a result when this one was issued (upper bound). */
  openAtIssue: Write[];
  /** Result: EBUSY at the instant of issue. */
  refusedAtOnce: boolean;
  settled: boolean;
}

/** The violation the watch reports. */
export interface PendingBoundViolation {
  check: string;
  message: string;
  details: Record<string, unknown>;
}

/** The check's state over one run. */
export class PendingBoundWatch {
  /** Tab -> its writes without a result (current incarnation), in issue order. */
  private readonly open = new Map<string, Write[]>();
  private readonly byValue = new Map<string, Write>();
  /** Writes issued at `instant`, judged once time moves on. */
  private judging: Write[] = [];
  private instant = -1;

  constructor(
    private readonly max: number,
    private readonly exercised: (name: string) => void = () => {},
  ) {}

  onRecord(rec: TraceRecord): PendingBoundViolation | null {
    if (rec.t > this.instant) {
      const v = this.judge();
      this.instant = rec.t;
      if (v !== null) return v;
    }
    const d = rec.data;
    switch (rec.kind) {
      case 'node.start':
      case 'node.crash':
      case 'node.stop':
        this.open.delete(rec.node);
        return null;
      case 'workload.write': {
        if (typeof d.value !== 'string' || typeof d.node !== 'string') return null;
        let list = this.open.get(d.node);
        if (list === undefined) this.open.set(d.node, (list = []));
        const w: Write = { value: d.value, node: d.node, t: rec.t, i: rec.i, openAtIssue: list.filter((x) => !x.refusedAtOnce), refusedAtOnce: false, settled: false };
        list.push(w);
        this.byValue.set(w.value, w);
        this.judging.push(w);
        return null;
      }
      case 'workload.result':
      case 'workload.lost': {
        const w = typeof d.value === 'string' ? this.byValue.get(d.value) : undefined;
        if (w === undefined) return null;
        this.byValue.delete(w.value);
        w.settled = true;
        if (rec.kind === 'workload.result' && d.ok === false && d.code === 'EBUSY' && rec.t === w.t) w.refusedAtOnce = true;
        const list = this.open.get(w.node);
        if (list !== undefined) {
          const at = list.indexOf(w);
          if (at >= 0) list.splice(at, 1);
        }
        return null;
      }
      default:
        return null;
    }
  }

  /** The end of the run: the last instant's writes. */
  final(): PendingBoundViolation | null {
    return this.judge();
  }

  /** Judges the writes of the instant that just ended. */
  private judge(): PendingBoundViolation | null {
    const writes = this.judging;
    this.judging = [];
    for (const w of writes) {
      this.exercised(PENDING_BOUND);
      if (w.refusedAtOnce) {
        const upper = w.openAtIssue.filter((x) => !x.refusedAtOnce).length;
        if (upper < this.max) return this.violation(w, `was refused at once with EBUSY while the tab held at most ${upper} writes waiting (pendingWritesMax ${this.max})`, upper);
        continue;
      }
      // Earlier writes not refused at once and still open now, at the end of the instant: open at the issue too.
      const lower = w.openAtIssue.filter((x) => !x.refusedAtOnce && !x.settled).length;
      if (lower >= this.max) return this.violation(w, `was accepted while the tab held at least ${lower} writes waiting for a result, the bound being pendingWritesMax ${this.max}: it should have failed at once with EBUSY`, lower);
    }
    return null;
  }

  private violation(w: Write, what: string, count: number): PendingBoundViolation {
    return {
      check: PENDING_BOUND,
      message: `write ${w.value} at ${w.node} (issued ${(w.t / 1000).toFixed(1)} ms, trace #${w.i}) ${what} (the workload's record of its writes)`,
      details: { value: w.value, node: w.node, count, pendingWritesMax: this.max },
    };
  }
}

/** invariant:pending-bound for tabs configured with `pendingWritesMax` (see the file comment). */
export function pendingBound(pendingWritesMax: number): TraceCheck {
  const key = 'election.watch.pending-bound';
  return {
    onTrace: true,
    name: 'pending-bound',
    covers: [PENDING_BOUND],
    setup(ctx) {
      const watch = new PendingBoundWatch(pendingWritesMax, (n) => ctx.exercised(n));
      ctx.runState.set(key, watch);
      for (const kind of PENDING_BOUND_KINDS) {
        ctx.trace.on(kind, (rec) => {
          const v = watch.onRecord(rec);
          if (v !== null) ctx.fail('correctness', v.check, v.message, { ...v.details, traceIndex: rec.i });
        });
      }
    },
    final(ctx) {
      const v = (ctx.runState.get(key) as PendingBoundWatch | undefined)?.final() ?? null;
      if (v !== null) ctx.fail('correctness', v.check, v.message, v.details);
    },
  };
}
