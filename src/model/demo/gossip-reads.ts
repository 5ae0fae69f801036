/**
 * How the demo's checks read a gossip node (src/impl/demo/gossip.ts): its set through its public handle
 * (`ItemSetView`, structurally: src/model does not import src/impl), the device it runs on, the instant
 * right after it recovered, and its durable log as the simulator's evidence decodes it (`fact.demo.log`).
 * These checks are live: they read the handles of the running nodes.
 */
import type { ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';

/** The part of a gossip node's handle the checks read: its items, sorted without duplicates (documented). */
export interface ItemSetView {
  items(): string[];
}

/**
 * Reads a node's set through its handle, checking the handle's documented contract on the way (sorted,
 * no duplicates): the checks below all read it this way.
 */
export function readSet(ctx: ScenarioContext, check: string, node: string): string[] | null {
  const h = ctx.handle<ItemSetView>(node);
  if (h === null) return null;
  const got = h.items();
  for (let k = 1; k < got.length; k++) {
    if (!(got[k - 1]! < got[k]!)) {
      ctx.fail('correctness', check, `${node}.items() is not sorted without duplicates ('${got[k - 1]}' then '${got[k]}'), as the handle documents`);
      return null;
    }
  }
  return got;
}

/** The device a node runs on. */
export const deviceOf = (ctx: ScenarioContext, node: string): string => ctx.sim.nodes.get(node)?.deviceId ?? node;

/**
 * Calls `fn(rec)` right after a node finished starting: at the same virtual instant as its
 * `demo.recovered` (the handle is available once that event's microtasks ran), before any peer could have
 * sent it anything; not when the node went down again meanwhile.
 */
export function afterRecovery(ctx: ScenarioContext, fn: (rec: TraceRecord) => void): void {
  ctx.trace.on('demo.recovered', (rec) => {
    const inc = ctx.sim.nodes.get(rec.node)?.incarnation;
    ctx.at(ctx.nowMs(), () => {
      if (ctx.sim.nodes.get(rec.node)?.incarnation === inc) fn(rec);
    });
  });
}

/** The latest `fact.demo.log` items per device (what a power loss now would leave in its log). */
export function durableItems(ctx: ScenarioContext): Map<string, ReadonlySet<string>> {
  const key = 'demo.durable-items';
  let m = ctx.shared.get(key) as Map<string, ReadonlySet<string>> | undefined;
  if (m === undefined) {
    const made = new Map<string, ReadonlySet<string>>();
    m = made;
    ctx.shared.set(key, made);
    ctx.trace.on('fact.demo.log', (rec) => made.set(rec.data.device as string, new Set(rec.data.items as string[])));
  }
  return m;
}
