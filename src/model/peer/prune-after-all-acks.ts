/**
 * invariant:prune-after-all-acks — a device prunes its shared log up to h only after every other member
 * sent it an acknowledgement covering h.
 */
import type { TraceCheck } from '../check.ts';
import { type D, str } from './record-fields.ts';

/** Log entries are pruned only after every other member acknowledged them. */
export function pruneCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:prune-after-all-acks';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const member = new Set(nodes);
      // `writer|resource|acker` -> the largest upTo of the acker's acknowledgements the network delivered
      // to the writer (fact.peer.ack): what the writer may know, not what the acker says it sent.
      const acked = new Map<string, string>();
      ctx.trace.on('fact.peer.ack', (r) => {
        const d = r.data as D;
        const key = `${str(d.to)}|${str(d.resource)}|${str(d.from)}`;
        const up = str(d.upTo)!;
        if (up > (acked.get(key) ?? '')) acked.set(key, up);
      });
      ctx.trace.on('peer.log.prune', (r) => {
        const d = r.data as D;
        const upTo = str(d.upTo)!;
        if (!member.has(r.node)) return;
        ctx.exercised(name);
        for (const peer of nodes) {
          if (peer === r.node) continue;
          const a = acked.get(`${r.node}|${str(d.resource)}|${peer}`);
          if (a === undefined || a < upTo) {
            ctx.fail('correctness', name, `${r.node} pruned its '${str(d.resource)}' log up to ${upTo} but the network delivered acknowledgements of ${peer} only up to ${a ?? 'nothing'} (trace #${r.i})`);
            return;
          }
        }
      });
    },
  };
}
