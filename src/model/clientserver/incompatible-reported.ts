/**
 * invariant:incompatible-reported (the seed's promise 4) — a client is never green more than
 * `incompatibleMs` after the server's durable identity (site id, schema) stopped matching the one it
 * remembers and runs. Evidence: cs-truth.ts.
 */
import type { TraceCheck } from '../check.ts';
import { heldGreen, truthOf } from './cs-truth.ts';
import { ms, ticking } from './cs-time.ts';

/** (4) Never green once the server became incompatible for longer than the bound. */
export function incompatibleCheck(clients: readonly string[], boundMs: number): TraceCheck {
  const name = 'invariant:incompatible-reported';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Client -> since when (µs) the server's durable identity does not match it.
      const since = new Map<string, number>();
      const update = (nowUs: number): void => {
        for (const c of truth.clients.values()) {
          const bad = c.remembered !== null && truth.serverSite !== null && (truth.serverSite !== c.remembered || truth.serverSchema !== c.schema);
          if (!bad) since.delete(c.id);
          else if (!since.has(c.id)) since.set(c.id, nowUs);
        }
      };
      const check = (nowUs: number): void => {
        update(nowUs);
        for (const c of truth.clients.values()) {
          const s = since.get(c.id);
          if (s === undefined) continue;
          // Real input: a client's status while the server is incompatible with it (green or not).
          ctx.exercised(name);
          if (!heldGreen(c, nowUs) || nowUs - s < boundMs * 1000) continue;
          ctx.fail('correctness', name, `${c.id} shows ${c.status} ${ms(nowUs - s)} after the server became incompatible with it (server ${truth.serverSite?.slice(0, 8)} schema ${String(truth.serverSchema)}; it remembers ${c.remembered?.slice(0, 8)}, runs schema ${c.schema}; bound ${boundMs} ms)`);
          return;
        }
      };
      truth.on('fact.cs.server', (r) => update(r.t));
      truth.on('fact.cs.client', (r) => update(r.t));
      truth.on('cs.client.start', (r) => update(r.t));
      ticking(ctx, 50_000, check);
    },
  };
}
