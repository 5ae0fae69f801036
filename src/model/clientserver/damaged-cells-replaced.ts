/**
 * invariant:damaged-cells-replaced: a client never shows green on cells damaged at rest that it loaded.
 *
 * The medium under a client's database can be damaged at rest (the fault library's `corrupt` of a kv value:
 * a flipped bit or zeroed characters in a cell's value or origin). A running client holds its cells in
 * memory, so damage it has not loaded changes nothing it shows; a client that starts (a restart, a reload)
 * loads it. It must not show the damaged cell, or build on it: it must find the damage (the built-in
 * client keeps a check of each cell) and replace the cell with the truth (its own change log, the server's
 * log downloaded again) before its footer turns green. A client that shows the damaged value, or deletes
 * the damaged cell and trusts its cursor (the server's changes of it are never downloaded again), shows
 * green on a database that is not the server's.
 *
 * Evidence, from the simulator only: the damage (`kv.corrupt {device, store: 'cells', key}`), every durable
 * write of a cell since (`fact.cs.client` cells) that replaces it: a deletion does not, and neither does the
 * damaged cell written back (say under a recomputed check). The damaged content is not in the trace, so a
 * write replaces the damaged cell when it is not a variant of the cell as it was before the damage (the
 * last durable write of it: the damage changes a value or an origin, never the column version): a write
 * of another column version, the intact cell itself, or a cell the server's durable log holds
 * (`fact.cs.server` added: a change of another site that wins a tie of column versions), a new durable site id (a Nuke and Resync wipes the database: nothing damaged is
 * left), the client's process starts (`node.start`) and the statuses it shows (`cs.status`). At each green
 * status of a process, every cell that was damaged before the process started and not written since fails.
 */
import { devicesOf, type TraceCheck } from '../check.ts';

const GREEN = new Set(['synced', 'syncing']);

/** invariant:damaged-cells-replaced for the clients `clients` (node ids). */
export function damagedCellsReplacedCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:damaged-cells-replaced';
  const watched = new Set(clients);
  return {
    name,
    onTrace: true,
    covers: [name],
    setup(ctx) {
      const devices = devicesOf(ctx);
      /** Device -> cell key -> when it was damaged (µs), while no durable write replaced it. */
      const damaged = new Map<string, Map<string, number>>();
      /** Device -> cell key -> the cell's last durable write (value, colVersion, site), as JSON. */
      const intact = new Map<string, Map<string, string>>();
      /** Cell key -> the (value, colVersion, site) of every change the server's durable log holds for it, as JSON. */
      const serverHas = new Map<string, Set<string>>();
      const cellJson = (value: unknown, colVersion: unknown, site: unknown): string => JSON.stringify([value ?? null, colVersion, site]);
      /** Whether a durable write (value, colVersion, site) of a damaged cell `key` on `device` replaces it. */
      const replaces = (device: string, key: string, value: unknown, colVersion: unknown, site: unknown): boolean => {
        const was = intact.get(device)?.get(key);
        if (was === undefined) return true;
        const now = cellJson(value, colVersion, site);
        return now === was || (JSON.parse(was) as unknown[])[1] !== colVersion || serverHas.get(key)?.has(now) === true;
      };
      /** Device -> its durable site id (a change: a Nuke and Resync wiped the database). */
      const sites = new Map<string, string | null>();
      /** Client node -> the damaged cells it loaded at its start (key -> damaged at, µs), and the start. */
      const loaded = new Map<string, { atUs: number; keys: Map<string, number> }>();
      const of = (device: string): Map<string, number> => {
        let m = damaged.get(device);
        if (m === undefined) damaged.set(device, (m = new Map()));
        return m;
      };
      ctx.trace.on('kv.corrupt', (r) => {
        if (r.data.store !== 'cells' || typeof r.data.key !== 'string') return;
        of(r.data.device as string).set(r.data.key, r.t);
      });
      ctx.trace.on('fact.cs.client', (r) => {
        const device = r.data.device as string;
        const d = of(device);
        const site = r.data.site as string | null;
        if (sites.has(device) && sites.get(device) !== site) {
          d.clear();
          intact.get(device)?.clear();
        }
        sites.set(device, site);
        let cells = intact.get(device);
        if (cells === undefined) intact.set(device, (cells = new Map()));
        for (const c of r.data.cells as unknown[][]) {
          const key = c[0] as string;
          if ((c[2] as number) < 0) continue;
          if (d.has(key) && replaces(device, key, c[1], c[2], c[3])) d.delete(key);
          if (!d.has(key)) cells.set(key, cellJson(c[1], c[2], c[3]));
        }
      });
      ctx.trace.on('fact.cs.server', (r) => {
        // [seq, site, dbVersion, table, pk, col, value, colVersion]
        for (const a of r.data.added as unknown[][]) {
          const key = `${String(a[3])}\u0000${String(a[4])}\u0000${String(a[5])}`;
          let s = serverHas.get(key);
          if (s === undefined) serverHas.set(key, (s = new Set()));
          s.add(cellJson(a[6], a[7], a[1]));
        }
      });
      ctx.trace.on('node.start', (r) => {
        if (!watched.has(r.node)) return;
        const device = devices.get(r.node) ?? r.node;
        loaded.set(r.node, { atUs: r.t, keys: new Map(of(device)) });
      });
      ctx.trace.on('cs.status', (r) => {
        if (!watched.has(r.node) || !GREEN.has(r.data.status as string)) return;
        const l = loaded.get(r.node);
        if (l === undefined) return;
        const d = of(devices.get(r.node) ?? r.node);
        if (l.keys.size > 0) ctx.exercised(name);
        for (const [key, atUs] of l.keys) {
          if (!d.has(key) || d.get(key) !== atUs) {
            l.keys.delete(key);
            continue;
          }
          ctx.fail('correctness', name, `${r.node} shows ${String(r.data.status)} with cell ${JSON.stringify(key)} damaged at rest at ${(atUs / 1000).toFixed(0)} ms, before its start at ${(l.atUs / 1000).toFixed(0)} ms, and never written since: it shows or builds on a damaged cell`, { client: r.node, key });
          return;
        }
      });
    },
  };
}
