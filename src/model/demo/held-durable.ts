/**
 * invariant:held-durable, a live check of the demo's gossip nodes (src/impl/demo/gossip.ts, scenarios/demo/gossip.ts): it reads
 * their sets through their handles (gossip-reads.ts) against the trace and its evidence. Described below.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { afterRecovery, deviceOf, durableItems, readSet } from './gossip-reads.ts';

/**
 * The set is the log: every item a node holds is in its durable log (a node stores an item, merged or
 * added, before it takes it into its set, and recovery fsyncs what it read back). Checked after every
 * `demo.added` and `demo.merged` of the node, right after each recovery and at the end. Catches a merge
 * that takes items it did not store or stored in a form that does not decode (a bad separator, a
 * checksum off the format), which a peer's anti-entropy would otherwise hide. Excused on a device whose
 * log was damaged at rest (`disk.corrupt`) since its process started. Evidence: fact.demo.log and the
 * check's reads of the set.
 */
export const heldDurable: Check = {
  name: 'invariant:held-durable',
  covers: ['invariant:held-durable'],
  setup(ctx) {
    const damaged = new Set<string>(); // devices damaged at rest since their process started
    ctx.shared.set(DAMAGED, damaged);
    durableItems(ctx);
    ctx.trace.on('disk.corrupt', (rec) => damaged.add(rec.data.device as string));
    ctx.trace.on('node.start', (rec) => damaged.delete(deviceOf(ctx, rec.node)));
    ctx.trace.on('demo.added', (rec) => judgeHeld(ctx, rec.node, `after adding '${String(rec.data.item)}'`, rec.i));
    ctx.trace.on('demo.merged', (rec) => judgeHeld(ctx, rec.node, 'after a merge', rec.i));
    afterRecovery(ctx, (rec) => judgeHeld(ctx, rec.node, 'right after its recovery', rec.i));
  },
  final(ctx) {
    for (const id of ctx.sim.nodes.keys()) judgeHeld(ctx, id, 'at the end');
  },
};

/** invariant:held-durable for `node` now: its set against its device's durable log, unless the log was damaged at rest since it started. */
function judgeHeld(ctx: ScenarioContext, node: string, when: string, at?: number): void {
  const check = heldDurable.name;
  const device = deviceOf(ctx, node);
  if ((ctx.shared.get(DAMAGED) as Set<string>).has(device)) return;
  const got = readSet(ctx, check, node);
  if (got === null) return;
  ctx.exercised(check);
  const log = durableItems(ctx).get(device) ?? new Set<string>();
  const missing = got.filter((i) => !log.has(i));
  if (missing.length > 0) {
    ctx.fail('correctness', check, `${node} holds ${missing.length} item(s) its durable log has no valid line for (e.g. '${missing[0]}'), ${when}`, at === undefined ? {} : { traceIndex: at });
  }
}

const DAMAGED = 'demo.damaged-devices';
