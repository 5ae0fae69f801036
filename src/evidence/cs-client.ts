/**
 * `fact.cs.client`: a sync client's durable local database, decoded from its device's kv image by this
 * recorder's own code (docs/client-server.md, "Storage"), never from the client's trace.
 *
 *   fact.cs.client {device, site, server, cursor, acked, version, local, localRemoved, cells, unsaved,
 *                   unsavedRemoved}   (node 'sim')
 *
 * - site: the client's durable site id; server: the server site id it remembers (null: none); cursor,
 *   acked, version: the durable `meta` values (0 when absent);
 * - local: the versions of this site's change log that became durable in this commit; localRemoved: how
 *   many log entries it deleted (a Nuke and Resync);
 * - cells: the cells it wrote, `[key, value, colVersion, site]` (key `<table>\0<pk>\0<col>`), or
 *   `[key, null, -1, '']` for a deleted cell;
 * - unsaved: the keys `<site>/<version>` of the changes a Nuke and Resync kept aside that this commit stored;
 *   unsavedRemoved: the keys of kept changes this commit deleted (a change the user was told about that
 *   is no longer kept: invariant:nuke-reports judges each).
 *
 * Emitted right after each strict kv commit of a client device (every client commit is strict: durable
 * when it commits). Relaxed commits are not recorded (the client never makes one).
 */
import type { Simulation } from '../sim/simulation.ts';
import { cachedJson, numJson } from './json-text.ts';
import type { EvidenceRecorder } from './types.ts';

/** A cell as the fact carries it. */
export type ClientCell = [key: string, value: string | null, colVersion: number, site: string];

/** The fields of `fact.cs.client`. */
export interface CsClientFact {
  device: string;
  site: string | null;
  server: string | null;
  cursor: number;
  acked: number;
  version: number;
  local: number[];
  localRemoved: number;
  cells: ClientCell[];
  unsaved: string[];
  unsavedRemoved: string[];
}

/**
 * The empty list of a fact's list field, shared: most commits store no local change and no kept change, so
 * three of a fact's lists are usually empty, and a fact lives until the trace's tail lets it go. Frozen:
 * record data is never mutated (Trace.emit), and a listener that tried would throw, not corrupt others.
 */
const NONE = Object.freeze([]) as unknown as never[];

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * `JSON.stringify(fact)` for the trace, built faster (a client writes a fact at every commit, the most
 * frequent record of a client-server run): the same text, field by field in the fact's key order, with the
 * JSON of the strings that repeat (devices, site ids, cell keys, which hold NUL bytes to escape) cached and
 * the header `{"device":..,"site":..,"server":..,"cursor":` kept per device while its site and server stay.
 */
export function clientFactJson(): (fact: CsClientFact) => string {
  const str = cachedJson();
  const heads = new Map<string, { site: string | null; server: string | null; json: string }>();
  return (f) => {
    let h = heads.get(f.device);
    if (h === undefined || h.site !== f.site || h.server !== f.server) {
      h = { site: f.site, server: f.server, json: `{"device":${str(f.device)},"site":${str(f.site)},"server":${str(f.server)},"cursor":` };
      heads.set(f.device, h);
    }
    let out = `${h.json}${numJson(f.cursor)},"acked":${numJson(f.acked)},"version":${numJson(f.version)},"local":[`;
    for (let i = 0; i < f.local.length; i++) out += i > 0 ? `,${numJson(f.local[i]!)}` : numJson(f.local[i]!);
    out += `],"localRemoved":${numJson(f.localRemoved)},"cells":[`;
    for (let i = 0; i < f.cells.length; i++) {
      const [key, value, colVersion, site] = f.cells[i]!;
      out += `${i > 0 ? ',' : ''}[${str(key)},${value === null ? 'null' : JSON.stringify(value)},${numJson(colVersion)},${str(site)}]`;
    }
    out += '],"unsaved":[';
    for (let i = 0; i < f.unsaved.length; i++) out += `${i > 0 ? ',' : ''}${JSON.stringify(f.unsaved[i])}`;
    out += '],"unsavedRemoved":[';
    for (let i = 0; i < f.unsavedRemoved.length; i++) out += `${i > 0 ? ',' : ''}${JSON.stringify(f.unsavedRemoved[i])}`;
    return `${out}]}`;
  };
}

/** Records `fact.cs.client` for the devices of `clients` (node id = device id). */
export function csClientEvidence(clients: readonly string[]): EvidenceRecorder {
  return {
    name: 'cs-client-durable',
    produces: ['fact.cs.client'],
    install(sim: Simulation) {
      const json = clientFactJson();
      for (const device of clients) {
        const kv = sim.device(device).kv;
        kv.observeCommits((c) => {
          if (c.durability !== 'strict' || c.writes.length === 0) return;
          // The lists are made when they get an item (NONE otherwise: the same JSON, '[]').
          let local: number[] | null = null;
          let localRemoved = 0;
          const cells: ClientCell[] = [];
          let unsaved: string[] | null = null;
          let unsavedRemoved: string[] | null = null;
          for (const w of c.writes) {
            const v = kv.durableGet(w.store, w.key);
            if (w.store === 'local' && typeof w.key === 'number') {
              if (v === undefined) localRemoved++;
              else (local ??= []).push(w.key);
            } else if (w.store === 'cells' && typeof w.key === 'string') {
              // [value, colVersion, site] and, from the built-in client, its check (not read here).
              const a = Array.isArray(v) && (v.length === 3 || v.length === 4) ? (v as unknown[]) : null;
              cells.push(a === null ? [w.key, null, -1, ''] : [w.key, str(a[0]), num(a[1]), str(a[2]) ?? '']);
            } else if (w.store === 'unsaved' && typeof w.key === 'string') {
              if (v === undefined) (unsavedRemoved ??= []).push(w.key);
              else (unsaved ??= []).push(w.key);
            }
          }
          local?.sort((a, b) => a - b);
          const fact: CsClientFact = {
            device,
            site: str(kv.durableGet('meta', 'site')),
            server: str(kv.durableGet('meta', 'server')),
            cursor: num(kv.durableGet('meta', 'cursor')),
            acked: num(kv.durableGet('meta', 'acked')),
            version: num(kv.durableGet('meta', 'version')),
            local: local ?? NONE,
            localRemoved,
            cells,
            unsaved: unsaved ?? NONE,
            unsavedRemoved: unsavedRemoved ?? NONE,
          };
          sim.trace.emit('sim', 'fact.cs.client', fact as unknown as Record<string, unknown>, json(fact));
        });
      }
    },
  };
}
