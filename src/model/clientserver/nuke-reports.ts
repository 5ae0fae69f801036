/**
 * invariant:nuke-reports (the seed's promise 6) — a Nuke and Resync keeps (durable `unsaved`) every local
 * change the server's durable log lacks. Evidence: cs-truth.ts.
 */
import type { TraceCheck } from '../check.ts';
import { truthOf } from './cs-truth.ts';

/** (6) A Nuke and Resync keeps every local change the server's durable log lacks. */
export function nukeReportsCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:nuke-reports';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      truth.on('fact.cs.client', (r, c) => {
        if (c?.wiped == null) return;
        const { site, lineage, local } = c.wiped;
        ctx.exercised(name);
        const lost = local.filter((v) => !truth.stored(site, v, lineage) && !c.unsaved.has(`${site}/${v}`));
        if (lost.length > 0) {
          ctx.fail('correctness', name, `${c.id}'s Nuke and Resync wiped ${lost.length} local change(s) the server never stored (v${lost.slice(0, 5).join(', v')}) without keeping them (durable unsaved) (trace #${r.i})`);
        }
      });
    },
  };
}
