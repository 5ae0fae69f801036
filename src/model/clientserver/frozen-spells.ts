/**
 * When each node of a run was frozen, for the client-server checks (cs-truth's `heldGreen`,
 * invariant:stuck-in-time, invariant:green-has-server-changes' server running time): a spell opens at
 * node.pause and closes at node.resume, or at node.crash, node.stop or node.start. A paused node that
 * crashes or is stopped goes down without a node.resume (the simulator resumes only a node still paused),
 * so a spell closed only by node.resume would stay open for the rest of the run and the checks would
 * never judge that node again (review findings #1 and #3). A crash or stop is no resume: `resumedUs`
 * (the resume grace) moves only at node.resume; a node that restarts starts afresh.
 *
 * One per trace source (`frozenOf`): the checks of a run share it, and a device view of the trace
 * (tabs-agree.ts `deviceChecks`) gets its own, keyed by the device's id. Its listeners run before those
 * of any later check on the same record kind, and a trace dispatches a kind's own listeners before '*'
 * ones (`ticking`), so a check always reads the spells as of the record being read.
 */
import type { TraceContext, TraceSource } from '../check.ts';

/** The frozen spells of one node, kept current by `FrozenSpells`. */
export interface NodeFrozen {
  /** Frozen now: its last spell is open. */
  readonly frozen: boolean;
  /** When it last resumed (node.resume, µs; -Infinity: never). */
  readonly resumedUs: number;
  /** Its spells [from, to) µs in trace order; `to` is Infinity while open. */
  readonly spells: readonly (readonly [number, number])[];
}

interface Spells {
  frozen: boolean;
  resumedUs: number;
  spells: [number, number][];
}

/** The frozen spells of every node of one trace. */
export class FrozenSpells {
  private readonly nodes = new Map<string, Spells>();

  constructor(trace: TraceSource) {
    trace.on('node.pause', (r) => {
      const s = this.spellsOf(r.node);
      if (s.frozen) return;
      s.frozen = true;
      s.spells.push([r.t, Infinity]);
    });
    trace.on('node.resume', (r) => {
      const s = this.spellsOf(r.node);
      this.close(s, r.t);
      s.resumedUs = r.t;
    });
    for (const k of ['node.crash', 'node.stop', 'node.start'] as const) trace.on(k, (r) => this.close(this.spellsOf(r.node), r.t));
  }

  /** `node`'s spells (a live view: it changes as the trace is read). */
  of(node: string): NodeFrozen {
    return this.spellsOf(node);
  }

  /** µs `node` was not frozen between `fromUs` and `nowUs`. */
  ranUs(node: string, fromUs: number, nowUs: number): number {
    const spells = this.nodes.get(node)?.spells ?? [];
    let us = nowUs - fromUs;
    for (let k = spells.length - 1; k >= 0; k--) {
      const [p, r] = spells[k]!;
      if (r <= fromUs) break;
      us -= Math.max(0, Math.min(r, nowUs) - Math.max(p, fromUs));
    }
    return us;
  }

  private spellsOf(node: string): Spells {
    let s = this.nodes.get(node);
    if (s === undefined) this.nodes.set(node, (s = { frozen: false, resumedUs: -Infinity, spells: [] }));
    return s;
  }

  private close(s: Spells, atUs: number): void {
    if (!s.frozen) return;
    s.frozen = false;
    s.spells.at(-1)![1] = atUs;
  }
}

const PER_TRACE = new WeakMap<TraceSource, FrozenSpells>();

/** The frozen spells of the trace `ctx` reads (made and subscribed by the first check that asks). */
export function frozenOf(ctx: TraceContext): FrozenSpells {
  let f = PER_TRACE.get(ctx.trace);
  if (f === undefined) PER_TRACE.set(ctx.trace, (f = new FrozenSpells(ctx.trace)));
  return f;
}
