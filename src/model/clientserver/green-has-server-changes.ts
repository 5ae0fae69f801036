/**
 * invariant:green-has-server-changes (the seed's promise 1) — while a client shows green, every server
 * change durable for longer than `serverChangesMs` is in its durable local database (its cell is at least
 * as new). "While green" excludes a frozen client and the first 0.5 s after it resumes (`heldGreen`).
 * Evidence: the simulator's ground truth (cs-truth.ts), never what a client says of itself beyond its status.
 */
import type { TraceCheck } from '../check.ts';
import { heldGreen, reflected, truthOf } from './cs-truth.ts';
import { ms, ticking } from './cs-time.ts';

/** (1) While green, server changes older than the bound are local. */
export function greenServerChangesCheck(clients: readonly string[], boundMs: number): TraceCheck {
  const name = 'invariant:green-has-server-changes';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Per client: entries[0..verified) are reflected in its database (cells only grow until a nuke).
      const verified = new Map<string, number>();
      let lineage = truth.serverSite;
      const check = (nowUs: number): void => {
        if (truth.serverSite !== lineage) {
          lineage = truth.serverSite;
          verified.clear();
        }
        for (const c of truth.clients.values()) {
          if (!heldGreen(c, nowUs)) continue;
          let i = verified.get(c.id) ?? 0;
          const es = truth.entries;
          while (i < es.length && reflected(c.cells.get(es[i]!.key), es[i]!.colVersion, es[i]!.site)) i++;
          verified.set(c.id, i);
          const e = es[i];
          if (e === undefined || nowUs - e.durableUs < boundMs * 1000) continue;
          ctx.exercised(name);
          ctx.fail('correctness', name, `${c.id} shows ${c.status} while the server change #${e.seq} (${e.site.slice(0, 8)} v${e.version}), durable for ${ms(nowUs - e.durableUs)}, is not in its database (bound ${boundMs} ms)`);
          return;
        }
      };
      truth.on('fact.cs.client', (_r, c) => c?.wiped && verified.delete(c.id));
      truth.on('cs.status', (r, c) => {
        if (c?.green) ctx.exercised(name);
        check(r.t);
      });
      ticking(ctx, 50_000, check);
    },
  };
}
