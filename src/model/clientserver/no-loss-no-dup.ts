/**
 * invariant:no-loss-no-dup (the seed's promise 5) — an acknowledgement covers only changes in the
 * server's durable log; the log holds each change once and loses none within a lineage; a durable cursor
 * never passes a server change its database does not reflect; at the end every client's database equals
 * the server's log. Evidence: cs-truth.ts.
 */
import type { TraceCheck } from '../check.ts';
import { reflected, truthOf, type ClientTruth } from './cs-truth.ts';

/** (5) Nothing acknowledged is lost or applied twice; cursors follow what was applied; replicas end equal. */
export function noLossCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:no-loss-no-dup';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      let head = 0;
      let site: string | null = null;
      const seen = new Set<string>();
      ctx.trace.on('fact.cs.server', (r) => {
        const d = r.data;
        if (d.site !== site) {
          site = d.site as string | null;
          head = 0;
          seen.clear();
        } else if ((d.removed as number) > 0) {
          ctx.fail('correctness', name, `the server's durable log lost ${String(d.removed)} entries without a rebuild (same site id) (trace #${r.i})`);
        }
        for (const [seq, s, v] of d.added as [number, string, number][]) {
          ctx.exercised(name);
          if (seq !== head + 1) ctx.fail('correctness', name, `the server's durable log appended #${seq} after #${head} (trace #${r.i})`);
          head = seq;
          const key = `${s}/${v}`;
          if (seen.has(key)) ctx.fail('correctness', name, `the server's durable log holds ${s.slice(0, 8)} v${v} twice (trace #${r.i})`);
          seen.add(key);
        }
      });
      // Per client: its local versions up to this one were found stored at an earlier acknowledgement
      // (stored entries of a lineage stay), so each acknowledgement checks only the versions above it.
      const verified = new Map<string, { key: string; upTo: number }>();
      const acked = (r: { i: number }, c: ClientTruth | null, upTo: number): void => {
        if (c === null || c.site === null) return;
        const key = `${c.site}|${c.remembered ?? truth.serverSite}`;
        let from = verified.get(c.id)?.key === key ? verified.get(c.id)!.upTo : 0;
        for (let v = from + 1; v <= upTo; v++) {
          if (c.local.has(v) && !truth.storedFor(c, v)) {
            ctx.fail('correctness', name, `${c.id} was told the server holds its changes up to v${upTo}, but v${v} is not in the server's durable log (trace #${r.i})`);
            return;
          }
          from = v;
        }
        verified.set(c.id, { key, upTo: Math.max(from, verified.get(c.id)?.key === key ? verified.get(c.id)!.upTo : 0) });
      };
      truth.on('fact.cs.welcome', (r, c) => acked(r, c, r.data.acked as number));
      truth.on('fact.cs.ack', (r, c) => acked(r, c, r.data.upTo as number));
      // A durable cursor at seq n: every server entry up to n is reflected in the database (same commit).
      const upTo = new Map<string, number>();
      truth.on('fact.cs.client', (r, c) => {
        if (c === null) return;
        if (c.wiped !== null) upTo.delete(c.id);
        if (c.remembered !== truth.serverSite) return;
        let i = upTo.get(c.id) ?? 0;
        for (; i < truth.entries.length && truth.entries[i]!.seq <= c.cursor; i++) {
          const e = truth.entries[i]!;
          ctx.exercised(name);
          if (!reflected(c.cells.get(e.key), e.colVersion, e.site)) {
            ctx.fail('correctness', name, `${c.id}'s durable cursor is at #${c.cursor}, but the server change #${e.seq} is not in its durable database (trace #${r.i})`);
            return;
          }
        }
        upTo.set(c.id, i);
      });
    },
    final(ctx) {
      const truth = truthOf(ctx, clients);
      const want = new Map<string, { value: string | null; colVersion: number; site: string }>();
      for (const e of truth.entries) if (!reflected(want.get(e.key), e.colVersion, e.site)) want.set(e.key, { value: e.value, colVersion: e.colVersion, site: e.site });
      for (const c of truth.clients.values()) {
        if (!c.up || c.remembered !== truth.serverSite) continue;
        ctx.exercised(name);
        for (const [k, w] of want) {
          const got = c.cells.get(k);
          if (got?.value !== w.value || got.colVersion !== w.colVersion || got.site !== w.site) {
            ctx.fail('correctness', name, `at the end ${c.id}'s durable cell ${k.replaceAll('\u0000', '/')} is ${JSON.stringify(got ?? null)}, the server's log folds to ${JSON.stringify(w)}`);
            return;
          }
        }
        if (c.cells.size !== want.size) ctx.fail('correctness', name, `at the end ${c.id} holds ${c.cells.size} cells, the server's log folds to ${want.size}`);
      }
    },
  };
}
