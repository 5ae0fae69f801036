/**
 * Operation rules: the part of the injector that sits in the kernel's interceptor chain.
 *
 * A rule watches the operations of one node (area, operation names, optional target) and fires at the
 * nth match, or at each match with a probability (drawn from the fault kind's own stream, so enabling one
 * kind never shifts another's draws). Triggers of triggered events and armed storage faults are both
 * rules. At most one rule answers an operation with a FaultAction: when two would, the earlier one wins
 * and the later one's match is not counted, so it fires at the next matching operation instead.
 *
 * A rule whose trigger names its node with a selector (select.ts) watches every node's operations and
 * counts those performed by a node the selector describes at that moment (`nodeMatches`); such rules are
 * consulted after the rules of the operation's own node.
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
  /** The node whose operations count; null: any node that `nodeMatches` at the operation. */
  readonly node: string | null;
  /** With `node` null: whether the node performing an operation counts for this rule now. */
  readonly nodeMatches?: (node: string) => boolean;
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
  /** Rules on whichever node a selector describes at each operation. */
  private anyNode: OpRule[] = [];
  private readonly streams = new Map<FaultKind, Rng>();

  constructor(
    private readonly nowUs: () => number,
    private readonly stream: (name: string) => Rng,
  ) {}

  /** Adds a rule; it sees operations from the next one on. */
  add(spec: RuleSpec): void {
    const rule: OpRule = { ...spec, count: 0, done: false };
    if (rule.node === null) {
      this.anyNode.push(rule);
      return;
    }
    const list = this.byNode.get(rule.node);
    if (list === undefined) this.byNode.set(rule.node, [rule]);
    else list.push(rule);
  }

  /** Removes every rule. */
  clear(): void {
    this.byNode.clear();
    this.anyNode = [];
  }

  /** Rules still armed (for tests and reports). */
  armed(): number {
    let n = 0;
    for (const list of this.byNode.values()) n += list.length;
    return n + this.anyNode.length;
  }

  /** The interceptor: counts the operation against the node's rules and returns the action, if any. */
  intercept(op: OpInfo): FaultAction | null {
    const rules = this.byNode.get(op.node);
    const any = this.anyNode;
    if (rules === undefined && any.length === 0) return null;
    const now = this.nowUs();
    let action: FaultAction | null = null;
    let finished = false;
    let finishedAny = false;
    // Rules added while firing see the next operation, not this one.
    const n = rules?.length ?? 0;
    const m = any.length;
    for (let i = 0; i < n + m; i++) {
      const r = i < n ? rules![i]! : any[i - n]!;
      if (r.done || !matches(r, op)) continue;
      if (now > r.untilUs) {
        r.done = true;
        if (i < n) finished = true;
        else finishedAny = true;
        continue;
      }
      if (action !== null && r.acts) continue;
      if (r.node === null && r.nodeMatches?.(op.node) !== true) continue;
      if (!this.hits(r)) continue;
      if (r.nth > 0) {
        r.done = true;
        if (i < n) finished = true;
        else finishedAny = true;
      }
      const a = r.fire(op);
      if (a !== null) action = a;
    }
    if (finished) this.compact(op.node);
    if (finishedAny) this.anyNode = this.anyNode.filter((r) => !r.done);
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
