/**
 * invariant:incompatible-reported (the seed's promise 4: "never green while incompatible; a server rebuild
 * or schema change is reported as incompatible within a bound, even when the HTTP meta channel is
 * blocked"), two halves, both bounded by `incompatibleMs`:
 * - never green: a client is not green longer than the bound after the server's durable identity (site
 *   id, schema: fact.cs.server) stopped matching the server site id its durable database remembers
 *   (fact.cs.client) or the schema its last Hello announced on the wire (fact.cs.hello);
 * - reported: once a Welcome delivered to a running client shows a server it may not sync with (another
 *   site id than it remembers, another schema than the Hello on that connection announced, or a log head
 *   below that Hello's cursor), or a Meta answer delivered to it shows another site id or schema (the
 *   schema when a Hello of this run of the client told it), it shows `incompatible` within the bound,
 *   before its durable site id changes (a Nuke and Resync must not hide an incompatibility it never
 *   reported), unless it goes down. Not raised during a Nuke and Resync (from the user's workload.nuke to
 *   the new site id: its own connection is no sync attempt); the bound restarts at a resume (node.resume).
 * The schema is the one on the wire, not the client's configuration (cs.client.start).
 */
import type { TraceCheck } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { heldGreen, truthOf, type ClientTruth } from './cs-truth.ts';
import { ms, ticking } from './cs-time.ts';

/** Why a server (site, schema, head) is not one a client may sync with; null: compatible or unknown. */
function mismatch(remembered: string | null, schema: number | null, site: string | null, serverSchema: number | null, cursor: number | null, head: number | null): string | null {
  if (site === null) return 'the server has no such database';
  if (remembered !== null && site !== remembered) return `its site id is ${site.slice(0, 8)}, the client remembers ${remembered.slice(0, 8)}`;
  if (schema !== null && serverSchema !== schema) return `it runs schema ${String(serverSchema)}, the client announced ${schema}`;
  if (cursor !== null && head !== null && cursor > head) return `its log ends at ${head}, below the client's cursor ${cursor}`;
  return null;
}

interface Wire {
  /** Schema and cursor of the Hello delivered on each of its connections (this run of the client). */
  hellos: Map<string, { schema: number; cursor: number }>;
  /** The schema of its latest Hello in this run, or null. */
  schema: number | null;
  nuking: boolean;
  /** Since when (µs) it must show incompatible, and why; null: not required. */
  required: { sinceUs: number; why: string } | null;
}

/** (4) Never green against an incompatible server, and incompatible reported in time. */
export function incompatibleCheck(clients: readonly string[], boundMs: number): TraceCheck {
  const name = 'invariant:incompatible-reported';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      const truth = truthOf(ctx, clients);
      const wire = new Map<string, Wire>(clients.map((id) => [id, { hellos: new Map(), schema: null, nuking: false, required: null }]));
      // Each client of the truth (in its order) with its wire and since when (µs) the server's durable
      // identity does not match it (undefined: it matches). Held side by side: every fact updates all.
      const all = [...truth.clients.values()].map((c) => ({ c, w: wire.get(c.id)!, since: undefined as number | undefined }));
      const update = (nowUs: number): void => {
        for (const x of all) {
          const c = x.c;
          const schema = x.w.schema;
          const bad = c.remembered !== null && truth.serverSite !== null && (truth.serverSite !== c.remembered || (schema !== null && truth.serverSchema !== schema));
          if (!bad) x.since = undefined;
          else if (x.since === undefined) x.since = nowUs;
        }
      };
      const require = (r: TraceRecord, c: ClientTruth | undefined, why: string | null): void => {
        const w = c === undefined ? undefined : wire.get(c.id);
        if (c === undefined || w === undefined || why === null || !c.up || w.nuking || c.status === 'incompatible' || w.required !== null) return;
        w.required = { sinceUs: r.t, why: `${why} (trace #${r.i})` };
      };
      const client = (id: unknown): ClientTruth | undefined => (typeof id === 'string' ? truth.clients.get(id) : undefined);
      ctx.trace.on('fact.cs.hello', (r) => {
        const w = wire.get(r.data.client as string);
        if (w === undefined) return;
        w.schema = r.data.schema as number;
        w.hellos.set(r.data.conn as string, { schema: w.schema, cursor: r.data.cursor as number });
      });
      ctx.trace.on('fact.cs.welcome', (r) => {
        const c = client(r.data.client);
        const h = c === undefined ? undefined : wire.get(c.id)!.hellos.get(r.data.conn as string);
        if (c === undefined || h === undefined) return;
        const why = mismatch(c.remembered, h.schema, r.data.site as string, r.data.schema as number, h.cursor, r.data.head as number);
        require(r, c, why === null ? null : `a Welcome showed the server incompatible: ${why}`);
      });
      ctx.trace.on('fact.cs.meta', (r) => {
        const c = client(r.data.client);
        if (c === undefined) return;
        const why = mismatch(c.remembered, wire.get(c.id)!.schema, r.data.site as string | null, r.data.schema as number | null, null, null);
        require(r, c, why === null ? null : `a Meta answer showed the server incompatible: ${why}`);
      });
      ctx.trace.on('workload.nuke', (r) => {
        const w = wire.get(r.data.node as string);
        if (w !== undefined) w.nuking = true;
      });
      ctx.trace.on('workload.nuke-failed', (r) => {
        const w = wire.get(r.data.node as string);
        if (w !== undefined) w.nuking = false;
      });
      truth.on('cs.client.start', (r, c) => {
        if (c !== null) Object.assign(wire.get(c.id)!, { hellos: new Map(), schema: null, nuking: false, required: null });
        update(r.t);
      });
      truth.on('down', (_r, c) => {
        if (c !== null) Object.assign(wire.get(c.id)!, { nuking: false, required: null });
      });
      truth.on('cs.status', (_r, c) => {
        if (c !== null && c.status === 'incompatible') wire.get(c.id)!.required = null;
      });
      truth.on('fact.cs.server', (r) => update(r.t));
      truth.on('fact.cs.client', (r, c) => {
        update(r.t);
        if (c?.wiped == null) return;
        const w = wire.get(c.id)!;
        w.nuking = false;
        if (w.required === null) return;
        ctx.fail('correctness', name, `${c.id}'s database was replaced (a new site id) without it ever showing incompatible after ${w.required.why} (trace #${r.i})`);
      });
      const check = (nowUs: number): void => {
        update(nowUs);
        for (const x of all) {
          const c = x.c;
          const req = x.w.required;
          if (req !== null && !c.proc.frozen) {
            ctx.exercised(name);
            if (nowUs - Math.max(req.sinceUs, c.proc.resumedUs) > boundMs * 1000) {
              ctx.fail('correctness', name, `${c.id} shows ${c.status} ${ms(nowUs - req.sinceUs)} after ${req.why}; it must show incompatible within ${boundMs} ms`);
              x.w.required = null;
              return;
            }
          }
          const s = x.since;
          if (s === undefined) continue;
          // Real input: a client's status while the server is incompatible with it (green or not).
          ctx.exercised(name);
          if (!heldGreen(c, nowUs) || nowUs - s < boundMs * 1000) continue;
          ctx.fail('correctness', name, `${c.id} shows ${c.status} ${ms(nowUs - s)} after the server became incompatible with it (server ${truth.serverSite?.slice(0, 8)} schema ${String(truth.serverSchema)}; it remembers ${c.remembered?.slice(0, 8)}, announced schema ${String(wire.get(c.id)!.schema)}; bound ${boundMs} ms)`);
          return;
        }
      };
      ticking(ctx, 50_000, check);
    },
  };
}
