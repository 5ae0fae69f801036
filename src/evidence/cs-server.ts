/**
 * `fact.cs.server`: the sync server's durable change log and identity, decoded from the server device's
 * kv image by this recorder's own code (the layout of docs/client-server.md, "Storage", read here
 * independently of `src/impl`), never from the server's trace.
 *
 *   fact.cs.server {device, site, schema, head, added, removed}   (node 'sim')
 *
 * - site, schema, head: the durable `meta` values `site`, `schema`, `head` (null when absent);
 * - added: the log entries that became durable in this commit, `[seq, site, dbVersion, table, pk, col,
 *   value, colVersion]` (origin site and version preserved);
 * - removed: how many durable log entries this commit deleted (a rebuild replaces the log).
 *
 * Emitted right after each strict kv commit of the server device that wrote `log` or `meta` (the server
 * commits strictly only: a strict commit is durable when it commits, so the values are read with
 * `durableGet`). A relaxed commit is not recorded: the server never makes one, and a change it made
 * would be missing from the facts until a later strict commit, failing the checks that expect it.
 */
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

/** A durable server log entry as the fact carries it. */
export type ServerEntry = [seq: number, site: string, dbVersion: number, table: string, pk: string, col: string, value: string | null, colVersion: number];

/** The fields of `fact.cs.server`. */
export interface CsServerFact {
  device: string;
  site: string | null;
  schema: number | null;
  head: number | null;
  added: ServerEntry[];
  removed: number;
}

/** Decodes a stored log entry `[table, pk, col, value, colVersion, site, dbVersion]` (null: not one). */
export function decodeServerEntry(seq: number, v: unknown): ServerEntry | null {
  if (!Array.isArray(v) || v.length !== 7) return null;
  const [table, pk, col, value, colVersion, site, dbVersion] = v as unknown[];
  if (typeof table !== 'string' || typeof pk !== 'string' || typeof col !== 'string' || typeof site !== 'string') return null;
  if ((value !== null && typeof value !== 'string') || typeof colVersion !== 'number' || typeof dbVersion !== 'number') return null;
  return [seq, site, dbVersion, table, pk, col, value, colVersion];
}

/** Records `fact.cs.server` for the server device `device`. */
export function csServerEvidence(device: string): EvidenceRecorder {
  return {
    name: 'cs-server-durable',
    produces: ['fact.cs.server'],
    install(sim: Simulation) {
      const kv = sim.device(device).kv;
      const meta = (key: string): unknown => kv.durableGet('meta', key);
      kv.observeCommits((c) => {
        if (c.durability !== 'strict') return;
        const added: ServerEntry[] = [];
        let removed = 0;
        let touched = false;
        for (const w of c.writes) {
          if (w.store === 'meta') touched = true;
          if (w.store !== 'log' || typeof w.key !== 'number') continue;
          touched = true;
          const e = decodeServerEntry(w.key, kv.durableGet('log', w.key));
          if (e === null) removed++;
          else added.push(e);
        }
        if (!touched) return;
        const site = meta('site');
        const schema = meta('schema');
        const head = meta('head');
        const fact: CsServerFact = {
          device,
          site: typeof site === 'string' ? site : null,
          schema: typeof schema === 'number' ? schema : null,
          head: typeof head === 'number' ? head : null,
          added: added.sort((a, b) => a[0] - b[0]),
          removed,
        };
        sim.trace.emit('sim', 'fact.cs.server', fact as unknown as Record<string, unknown>);
      });
    },
  };
}
