/**
 * invariant:recovered-from-log, a live check of the demo's gossip nodes (src/impl/demo/gossip.ts, scenarios/demo/gossip.ts): it reads
 * their sets through their handles (gossip-reads.ts) against the trace and its evidence. Described below.
 */
import type { Check } from '../../scenario/types.ts';
import { afterRecovery, readSet } from './gossip-reads.ts';

const RECOVERED = 'demo.recovered-nodes';

/**
 * Recovery reads everything back: right after a node finished starting (its handle is available, at the
 * same virtual instant as its `demo.recovered`, before any peer could have sent it anything), it holds
 * every item of the valid lines of its durable log as the process found it at `node.start`
 * (fact.demo.log `starting`). Anti-entropy would hide a recovery that drops items from every convergence
 * check: this is the only check that sees it. Excused: a read fault injected into that start's reads
 * (the node then skips a line it could not trust, and a peer sends the item back). Also: every node that
 * is up at the end traced `demo.recovered` for its current process, so this check cannot be bypassed.
 */
export const recoveredFromLog: Check = {
  name: 'invariant:recovered-from-log',
  covers: ['invariant:recovered-from-log'],
  setup(ctx) {
    const found = new Map<string, ReadonlySet<string>>(); // node -> durable items at its start
    const readFault = new Set<string>();
    const recovered = new Set<string>(); // nodes whose current process traced demo.recovered (or is gone)
    ctx.shared.set(RECOVERED, recovered);
    ctx.trace.on('node.start', (rec) => {
      found.delete(rec.node);
      readFault.delete(rec.node);
      recovered.delete(rec.node);
    });
    ctx.trace.on('fact.demo.log', (rec) => {
      if (typeof rec.data.starting === 'string') found.set(rec.data.starting, new Set(rec.data.items as string[]));
    });
    ctx.trace.on('disk.fault', (rec) => {
      if (typeof rec.data.op === 'string' && rec.data.op.startsWith('read')) readFault.add(rec.node);
    });
    ctx.trace.on('demo.recovered', (rec) => recovered.add(rec.node));
    afterRecovery(ctx, (rec) => {
      const want = found.get(rec.node);
      if (want === undefined || want.size === 0 || readFault.has(rec.node)) return;
      const got = readSet(ctx, this.name, rec.node);
      if (got === null) return;
      ctx.exercised(this.name);
      const have = new Set(got);
      const missing = [...want].filter((i) => !have.has(i));
      if (missing.length > 0) {
        ctx.fail('correctness', this.name, `${rec.node} recovered without ${missing.length} of the ${want.size} items of its durable log (e.g. '${missing[0]}')`, { traceIndex: rec.i });
      }
    });
    ctx.trace.on('node.crash', (rec) => recovered.add(rec.node));
    ctx.trace.on('node.stop', (rec) => recovered.add(rec.node));
  },
  final(ctx) {
    const recovered = ctx.shared.get(RECOVERED) as Set<string>;
    for (const id of ctx.sim.nodes.keys()) {
      if (ctx.handle(id) !== null && !recovered.has(id)) ctx.fail('correctness', this.name, `${id} is up but its current process never traced demo.recovered`);
    }
  },
};
