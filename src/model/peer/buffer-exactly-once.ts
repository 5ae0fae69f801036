/**
 * invariant:buffer-exactly-once — every live update buffered during backfill is applied exactly once,
 * unless a visible overflow discarded it (catch-up then re-fetches) or the process died.
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { str, type D } from './record-fields.ts';

/** Buffered live updates are applied exactly once (or visibly discarded). */
export function bufferCheck(nodes: readonly string[]): TraceCheck {
  const name = 'invariant:buffer-exactly-once';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      // Per run: a scenario object (and its checks) is reused for every seed.
      const pending = new Map<string, Set<string>>();
      const of = (n: string): Set<string> => {
        let s = pending.get(n);
        if (s === undefined) pending.set(n, (s = new Set()));
        return s;
      };
      const member = new Set(nodes);
      const reset = (r: TraceRecord): void => void (member.has(r.node) && of(r.node).clear());
      ctx.trace.on('node.crash', reset);
      ctx.trace.on('node.stop', reset);
      ctx.trace.on('peer.buffer.overflow', reset);
      ctx.trace.on('peer.buffer.push', (r) => void of(r.node).add(str((r.data as D).id)!));
      ctx.trace.on('peer.buffer.applied', (r) => {
        const p = of(r.node);
        ctx.exercised(name);
        for (const id of (r.data as D).ids as string[]) {
          if (!p.delete(id)) {
            ctx.fail('correctness', name, `${r.node} applied buffered update ${id} that was not pending (applied twice?) (trace #${r.i})`);
            return;
          }
        }
      });
      ctx.trace.on('peer.sync.ready', (r) => {
        const p = of(r.node);
        if (!member.has(r.node)) return;
        ctx.exercised(name);
        if (p.size > 0) {
          ctx.fail('correctness', name, `${r.node} became ready with ${p.size} buffered live updates never applied nor visibly discarded, e.g. ${[...p][0]} (trace #${r.i})`);
        }
      });
    },
  };
}
