/**
 * Operation rules: the part of the injector that sits in the kernel's interceptor chain.
 *
 * A rule watches the operations of one node (area, operation names, optional target) and fires at the
 * nth match, or at each match with a probability (drawn from the fault kind's own stream, so enabling one
 * kind never shifts another's draws). Triggers of triggered events and armed storage faults are both
 * rules. At most one rule answers an operation with a FaultAction: when two would, the earlier one wins
 * and the later one's match is not counted, so it fires at the next matching operation instead.
 *
 * The hot path (every disk, kv and network operation of every node) is a Map lookup by node and a short
 * loop; it allocates only when a rule finishes.
 */
import type { Rng } from '../sim/rng.ts';
import type { FaultAction, OpInfo } from '../sim/types.ts';
import type { FaultKind } from './plan.ts';

/** A rule on the operations of one node. */
export interface OpRule {
  /** Index of the plan event the rule belongs to. */
  readonly index: number;
  /** Fault kind (names the random stream of probabilistic rules). */
  readonly kind: FaultKind;
  readonly node: string;
  readonly area: string;
  /** Operation names that match; null matches every operation of the area. */
  readonly ops: readonly string[] | null;
  /** Only operations on this target match. */
  readonly target: string | undefined;
  /** Fire at this match (1-based); 0 when the rule is probabilistic. */
  readonly nth: number;
  /** Probability per match when nth is 0. */
  readonly probability: number;
  /** The rule expires after this virtual time (µs); Infinity for never. */
  readonly untilUs: number;
  /** True when firing answers the operation with a FaultAction (at most one per operation). */
  readonly acts: boolean;
  /** What firing does; returns the action for the operation, or null to let it proceed. */
  readonly fire: (op: OpInfo) => FaultAction | null;
  /** Matches counted so far. */
  count: number;
  /** Fired (nth rules) or expired. */
  done: boolean;
}

/** The fields a caller sets to make a rule. */
export type RuleSpec = Omit<OpRule, 'count' | 'done'>;

/** The rules of one injector, indexed by node. */
export class RuleBook {
  private readonly byNode = new Map<string, OpRule[]>();
  private readonly streams = new Map<FaultKind, Rng>();

  constructor(
    private readonly nowUs: () => number,
    private readonly stream: (name: string) => Rng,
  ) {}

  /** Adds a rule; it sees operations from the next one on. */
  add(spec: RuleSpec): void {
    const rule: OpRule = { ...spec, count: 0, done: false };
    const list = this.byNode.get(rule.node);
    if (list === undefined) this.byNode.set(rule.node, [rule]);
    else list.push(rule);
  }

  /** Removes every rule. */
  clear(): void {
    this.byNode.clear();
  }

  /** Rules still armed (for tests and reports). */
  armed(): number {
    let n = 0;
    for (const list of this.byNode.values()) n += list.length;
    return n;
  }

  /** The interceptor: counts the operation against the node's rules and returns the action, if any. */
  intercept(op: OpInfo): FaultAction | null {
    const rules = this.byNode.get(op.node);
    if (rules === undefined) return null;
    const now = this.nowUs();
    let action: FaultAction | null = null;
    let finished = false;
    const n = rules.length; // rules added while firing see the next operation, not this one
    for (let i = 0; i < n; i++) {
      const r = rules[i]!;
      if (r.done || !matches(r, op)) continue;
      if (now > r.untilUs) {
        r.done = finished = true;
        continue;
      }
      if (action !== null && r.acts) continue;
      if (!this.hits(r)) continue;
      if (r.nth > 0) r.done = finished = true;
      const a = r.fire(op);
      if (a !== null) action = a;
    }
    if (finished) this.compact(op.node);
    return action;
  }

  private hits(r: OpRule): boolean {
    if (r.nth > 0) return ++r.count === r.nth;
    r.count++;
    let s = this.streams.get(r.kind);
    if (s === undefined) {
      s = this.stream(`fault/${r.kind}`);
      this.streams.set(r.kind, s);
    }
    return s.chance(r.probability);
  }

  private compact(node: string): void {
    const left = (this.byNode.get(node) ?? []).filter((r) => !r.done);
    if (left.length === 0) this.byNode.delete(node);
    else this.byNode.set(node, left);
  }
}

function matches(r: OpRule, op: OpInfo): boolean {
  if (r.area !== op.area) return false;
  if (r.ops !== null && !r.ops.includes(op.op)) return false;
  return r.target === undefined || r.target === op.target;
}
