/**
 * invariant:green-has-server-changes (the seed's promise 1) — while a client shows green, every server
 * change durable for longer than `serverChangesMs` is in its durable local database (its cell is at least
 * as new). "While green" excludes a frozen client and the first 0.5 s after it resumes (`heldGreen`).
 * A change's age counts the time the server node ran since it became durable: a server frozen
 * (node.pause to node.resume, or to its crash or stop: frozen-spells.ts) can relay nothing, and one
 * frozen between the durable commit point and the end of its commit (the block store's finalize) learns
 * of the change only at its resume, after the handshakes queued meanwhile (cs-swarm-long seed 16: #1792
 * durable 0.3 ms before a 2.25 s pause, a client green on a Welcome answered at the resume, the relay
 * 2 ms later).
 * Evidence: the simulator's ground truth (cs-truth.ts), never what a client says of itself beyond its status.
 */
import type { TraceCheck } from '../check.ts';
import { heldGreen, reflected, truthOf } from './cs-truth.ts';
import { ms, ticking } from './cs-time.ts';

/** (1) While green, server changes older than the bound are local. */
export function greenServerChangesCheck(clients: readonly string[], boundMs: number, server?: string): TraceCheck {
  const name = 'invariant:green-has-server-changes';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      // Per client (in the truth's order): entries[0..i) are reflected in its database (cells only grow
      // until a nuke), found by a scan that stopped at entry i when the client had taken in `facts` facts
      // and the log was `log` with `entries` entries. With none of these changed since, a scan would stop
      // at i again (same cells, same entry): it is not repeated (a status is checked at every emission,
      // for every client).
      const scans = [...truth.clients.values()].map((c) => ({ c, i: 0, facts: -1, log: truth.entries, entries: -1 }));
      const reset = (s: (typeof scans)[number]): void => {
        s.i = 0;
        s.facts = -1;
        s.entries = -1;
      };
      let lineage = truth.serverSite;
      /** µs the server ran between `fromUs` and `nowUs` (every µs without a server node to follow). */
      const ranUs = (fromUs: number, nowUs: number): number => (server === undefined ? nowUs - fromUs : truth.frozen.ranUs(server, fromUs, nowUs));
      const check = (nowUs: number): void => {
        if (truth.serverSite !== lineage) {
          lineage = truth.serverSite;
          scans.forEach(reset);
        }
        for (const s of scans) {
          const c = s.c;
          if (!heldGreen(c, nowUs)) continue;
          let i = s.i;
          const es = truth.entries;
          if (s.facts !== c.facts || s.log !== es || s.entries !== es.length) {
            while (i < es.length && reflected(c.cells.get(es[i]!.key), es[i]!.colVersion, es[i]!.site)) i++;
            s.i = i;
            s.facts = c.facts;
            s.log = es;
            s.entries = es.length;
          }
          const e = es[i];
          if (e === undefined || nowUs - e.durableUs < boundMs * 1000) continue;
          const ran = ranUs(e.durableUs, nowUs);
          if (ran < boundMs * 1000) continue;
          ctx.exercised(name);
          const froze = nowUs - e.durableUs - ran;
          ctx.fail('correctness', name, `${c.id} shows ${c.status} while the server change #${e.seq} (${e.site.slice(0, 8)} v${e.version}), durable for ${ms(nowUs - e.durableUs)}${froze > 0 ? ` (the server frozen ${ms(froze)} of it)` : ''}, is not in its database (bound ${boundMs} ms)`);
          return;
        }
      };
      truth.on('fact.cs.client', (_r, c) => {
        if (c?.wiped) reset(scans.find((s) => s.c === c)!);
      });
      truth.on('cs.status', (r, c) => {
        if (c?.green) ctx.exercised(name);
        check(r.t);
      });
      ticking(ctx, 50_000, check);
    },
  };
}
