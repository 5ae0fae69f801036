import type { TraceCheck } from '../check.ts';
import { truthOf } from './cs-truth.ts';

/**
 * `client`'s Nuke and Resync found a compatible server: every local change it wiped is in the server's
 * durable log (pushed first), none kept as unsaved. Evidence: fact.cs.client (the wipe) and
 * fact.cs.server (cs-truth.ts).
 */
export function nukePushedFirst(client: string, clients: readonly string[]): TraceCheck {
  const name = `expect:${client}-nuke-pushed-first`;
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      truth.on('fact.cs.client', (r, c) => {
        if (c?.id !== client || c.wiped === null) return;
        ctx.runState.set(name, true);
        const { site, lineage, local } = c.wiped;
        const missing = local.filter((v) => !truth.stored(site, v, lineage));
        if (missing.length > 0 || c.unsavedAdded.length > 0) {
          ctx.fail('correctness', name, `${client}'s Nuke and Resync met a server that answered, yet ${missing.length} of its ${local.length} changes never reached its durable log and ${c.unsavedAdded.length} were reported unsaved (trace #${r.i})`);
        }
      });
    },
    final(ctx) {
      ctx.exercised(name);
      if (ctx.runState.get(name) !== true) ctx.fail('correctness', name, `${client} was never nuked (no new durable site id)`);
    },
  };
}
