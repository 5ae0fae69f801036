/**
 * Who can reach whom: partitions (symmetric or one-way), isolated nodes and stalls. Pure bookkeeping:
 * the network asks `cut(from, to)` (no traffic at all) and `stalled(a, b, nowUs)` (connection traffic held)
 * and is told by the callers when something heals.
 */

/** One active partition between two sides. */
export interface Partition {
  readonly id: number;
  readonly a: ReadonlySet<string>;
  readonly b: ReadonlySet<string>;
  /** Only traffic from side a to side b is blocked. */
  readonly oneWay: boolean;
}

/** Partitions, isolation and stalls of one network. */
export class Reachability {
  private readonly parts = new Map<number, Partition>();
  private readonly isolated = new Set<string>();
  /** Unordered node pair key -> end of the stall, µs. */
  private readonly stalls = new Map<string, number>();
  private nextId = 1;

  /** Adds a partition and returns its id (1, 2, ...). */
  add(a: readonly string[], b: readonly string[], oneWay: boolean): number {
    const id = this.nextId++;
    this.parts.set(id, { id, a: new Set(a), b: new Set(b), oneWay });
    return id;
  }

  /** True when `id` was returned by `add` (healed or not). */
  issued(id: number): boolean {
    return Number.isInteger(id) && id >= 1 && id < this.nextId;
  }

  /** Removes partition `id`; returns false when it was not active. */
  remove(id: number): boolean {
    return this.parts.delete(id);
  }

  /** Removes every partition; returns their ids in creation order. */
  removeAll(): number[] {
    const ids = [...this.parts.keys()];
    this.parts.clear();
    return ids;
  }

  /** Cuts `node` off from everyone; returns false when it already was. */
  isolate(node: string): boolean {
    if (this.isolated.has(node)) return false;
    this.isolated.add(node);
    return true;
  }

  /** Lets `node` back; returns false when it was not isolated. */
  rejoin(node: string): boolean {
    return this.isolated.delete(node);
  }

  /** Isolated nodes, in isolation order. */
  isolatedNodes(): string[] {
    return [...this.isolated];
  }

  /** True when no traffic at all can go from `from` to `to`. */
  cut(from: string, to: string): boolean {
    if (this.isolated.size > 0 && (this.isolated.has(from) || this.isolated.has(to)) && from !== to) return true;
    if (this.parts.size === 0) return false;
    for (const p of this.parts.values()) {
      if (p.a.has(from) && p.b.has(to)) return true;
      if (!p.oneWay && p.b.has(from) && p.a.has(to)) return true;
    }
    return false;
  }

  /** Holds connection traffic between `a` and `b` (both ways) until `untilUs`. */
  stall(a: string, b: string, untilUs: number): void {
    const key = pairKey(a, b);
    this.stalls.set(key, Math.max(untilUs, this.stalls.get(key) ?? 0));
  }

  /** True while connection traffic between `a` and `b` is stalled. */
  stalled(a: string, b: string, nowUs: number): boolean {
    if (this.stalls.size === 0) return false;
    const until = this.stalls.get(pairKey(a, b));
    return until !== undefined && nowUs < until;
  }

  /** Forgets stalls that ended by `nowUs`; returns true when any did. */
  expireStalls(nowUs: number): boolean {
    let any = false;
    for (const [key, until] of this.stalls) {
      if (until <= nowUs) {
        this.stalls.delete(key);
        any = true;
      }
    }
    return any;
  }

  /** Ends every stall now. */
  clearStalls(): void {
    this.stalls.clear();
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
