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
 * write of a cell since (`fact.cs.client` cells: a cell written with a value replaces the damaged one; a
 * deletion does not), a new durable site id (a Nuke and Resync wipes the database: nothing damaged is
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
        if (sites.has(device) && sites.get(device) !== site) d.clear();
        sites.set(device, site);
        for (const c of r.data.cells as unknown[][]) if ((c[2] as number) >= 0) d.delete(c[0] as string);
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
