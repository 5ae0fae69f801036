/**
 * `fact.cs.*` (wire): what the simulated network delivered between sync clients, the sync server and the
 * meta endpoint, decoded from the message bodies (the protocol of docs/client-server.md, read here
 * independently of `src/impl`). Emitted on node 'sim' right after the delivery's `net.deliver` record,
 * before the receiver's handler runs; `conn` is that record's connection.
 *
 *   fact.cs.hello   {client, conn, site, server, schema, cursor}        a Hello delivered to the server
 *   fact.cs.push    {client, conn, n, first, last}                      a Push delivered to the server (versions)
 *   fact.cs.welcome {client, conn, site, schema, head, acked, total, bytes}   a Welcome delivered to a client
 *   fact.cs.changes {client, conn, n, first, last, bytes}               a Changes batch delivered to a client
 *                                                                        (seqs; bytes: UTF-16 units of the values)
 *   fact.cs.ack     {client, conn, upTo}                                an Ack delivered to a client
 *   fact.cs.meta    {client, site, schema}                              a Meta answer delivered to a client
 *
 * Messages that do not decode are skipped (the receiver drops them too).
 */
import type { Simulation } from '../sim/simulation.ts';
import { cachedJson } from './json-text.ts';
import type { EvidenceRecorder } from './types.ts';

type Obj = { readonly [k: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nat = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The fact kinds `csWireEvidence` writes. */
export const CS_WIRE_FACTS = ['fact.cs.hello', 'fact.cs.push', 'fact.cs.welcome', 'fact.cs.changes', 'fact.cs.ack', 'fact.cs.meta'] as const;

/** Seqs or versions of a list of changes, and the bytes of their values; null when it is not one. */
function summarize(list: unknown, pos: 'seq' | 'dbVersion'): { n: number; first: number; last: number; bytes: number } | null {
  if (!Array.isArray(list) || list.length === 0) return null;
  let bytes = 0;
  for (const c of list as unknown[]) {
    if (!isObj(c) || !nat(c[pos])) return null;
    if (typeof c.value === 'string') bytes += c.value.length;
  }
  return { n: list.length, first: (list[0] as Obj)[pos] as number, last: (list[list.length - 1] as Obj)[pos] as number, bytes };
}

/** Records `fact.cs.*` for every delivered message between `server` (or `meta`) and a client. */
export function csWireEvidence(server: string, meta: string): EvidenceRecorder {
  return {
    name: 'cs-wire',
    produces: CS_WIRE_FACTS,
    install(sim: Simulation) {
      let conn: unknown = null;
      sim.trace.on('net.deliver', (r) => (conn = r.data.conn));
      const emit = (kind: string, data: Record<string, unknown>, json?: string): void => void sim.trace.emit('sim', kind, data, json);
      // JSON of the client and connection ids (few, repeated): the two most frequent facts (changes, ack)
      // are written by hand, the same text as JSON.stringify(data) (`conn` a string; otherwise emit does it).
      const idJson = cachedJson();
      sim.network.observeDeliveries((from, to, m) => {
        if (!isObj(m) || typeof m.type !== 'string') return;
        if (to === server) {
          if (m.type === 'Hello' && typeof m.client === 'string' && nat(m.schema) && nat(m.cursor)) {
            return emit('fact.cs.hello', { client: from, conn, site: m.client, server: typeof m.server === 'string' ? m.server : null, schema: m.schema, cursor: m.cursor });
          }
          const sum = m.type === 'Push' ? summarize(m.changes, 'dbVersion') : null;
          if (sum !== null) emit('fact.cs.push', { client: from, conn, n: sum.n, first: sum.first, last: sum.last });
          return;
        }
        if (from === meta && m.type === 'Meta') {
          return emit('fact.cs.meta', { client: to, site: typeof m.site === 'string' ? m.site : null, schema: nat(m.schema) ? m.schema : null });
        }
        if (from !== server) return;
        if (m.type === 'Welcome' && typeof m.site === 'string' && nat(m.schema) && nat(m.head) && nat(m.acked) && nat(m.total) && nat(m.bytes)) {
          return emit('fact.cs.welcome', { client: to, conn, site: m.site, schema: m.schema, head: m.head, acked: m.acked, total: m.total, bytes: m.bytes });
        }
        if (m.type === 'Ack' && nat(m.upTo)) {
          return emit('fact.cs.ack', { client: to, conn, upTo: m.upTo }, typeof conn === 'string' ? `{"client":${idJson(to)},"conn":${idJson(conn)},"upTo":${m.upTo}}` : undefined);
        }
        const sum = m.type === 'Changes' ? summarize(m.changes, 'seq') : null;
        if (sum !== null) {
          // n, first, last and bytes are whole numbers (nat, a count, a sum of lengths): their JSON is their decimal.
          const json = typeof conn === 'string' ? `{"client":${idJson(to)},"conn":${idJson(conn)},"n":${sum.n},"first":${sum.first},"last":${sum.last},"bytes":${sum.bytes}}` : undefined;
          emit('fact.cs.changes', { client: to, conn, n: sum.n, first: sum.first, last: sum.last, bytes: sum.bytes }, json);
        }
      });
    },
  };
}
