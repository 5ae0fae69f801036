/**
 * A client's local database in its device's kv store (docs/client-server.md, "Storage"), every write a
 * strict transaction, so a crash at any await loses nothing that was reported done and applies nothing
 * twice:
 *
 *   cells    '<table>\0<pk>\0<col>' -> [value, colVersion, site, check]   the database (LWW per column);
 *            check: FNV-1a of the key and the cell (cellCheck), so damage at rest is found at load
 *   local    version (number) -> [table, pk, col, value, colVersion]     this site's own change log
 *   meta     'site' (this client's site id), 'version' (its last version), 'cursor' (last server seq
 *            applied), 'acked' (its highest version the server acknowledged), 'server' (the server site
 *            id it remembers)
 *   unsaved  '<site>/<version>' -> [table, pk, col, value, colVersion]   changes a Nuke and Resync kept
 *            because the server had not acknowledged them (reported, never silently dropped)
 *
 * A pulled batch and its cursor are one transaction: the cursor never passes a partly applied batch.
 *
 * Damage at rest (a cell whose check fails, or that is not a cell at all): found at load, the damaged cells
 * are deleted and the cursor goes back to 0 in one transaction, after the client's own changes of those
 * cells are folded back from its change log: the next handshake downloads the server's whole log, which
 * holds every other change that ever won a cell, so nothing damaged is shown or kept. A cell without a
 * check (three elements: a database written before checks) is taken as it is. (Weakened variants:
 * cs-cells-unchecked ignores the check; cs-damage-keeps-cursor deletes the damaged cells but trusts the
 * cursor, so they are never downloaded again; cs-repair-no-fold does not fold the client's own changes back.)
 */
import type { KvStore, KvTx, Value } from '../env.ts';
import { wins, type Change, type LoggedChange } from './messages.ts';

const CELLS = 'cells';
const LOCAL = 'local';
const META = 'meta';
const UNSAVED = 'unsaved';

/** The client's durable sync state. */
export interface ClientMeta {
  site: string;
  version: number;
  cursor: number;
  acked: number;
  server: string | null;
  unsaved: number;
}

/** A cell as stored. */
export interface Cell {
  value: string | null;
  colVersion: number;
  site: string;
}

export const cellKey = (c: { table: string; pk: string; col: string }): string => `${c.table}\u0000${c.pk}\u0000${c.col}`;

/** The check of a cell: FNV-1a (32 bits) over the UTF-16 code units of `key \x01 value (\x02 null) \x01 colVersion \x01 site`. */
export function cellCheck(key: string, c: Cell): number {
  const line = `${key}\u0001${c.value ?? '\u0002'}\u0001${c.colVersion}\u0001${c.site}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < line.length; i++) h = Math.imul(h ^ line.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const cellValue = (key: string, c: Cell): Value => [c.value, c.colVersion, c.site, cellCheck(key, c)];

/**
 * A stored cell, or 'damaged' when it is not a well-formed cell or its check fails (`unchecked`, variant
 * cs-cells-unchecked: the check is not compared); undefined when absent.
 */
function decodeCell(key: string, v: Value | undefined, unchecked = false): Cell | 'damaged' | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || (v.length !== 3 && v.length !== 4)) return 'damaged';
  const [value, colVersion, site, check] = v as readonly unknown[];
  if ((value !== null && typeof value !== 'string') || typeof colVersion !== 'number' || typeof site !== 'string') return 'damaged';
  const cell: Cell = { value, colVersion, site };
  if (v.length === 4 && !unchecked && check !== cellCheck(key, cell)) return 'damaged';
  return cell;
}

const num = (v: Value | undefined): number => (typeof v === 'number' ? v : 0);
const STRICT = { durability: 'strict' } as const;

/** The client's storage. */
export class ClientStore {
  constructor(private readonly kv: KvStore) {}

  /**
   * Loads the sync state and the cells; a first start draws the site id `fresh`. `forgetAcked` (weakened
   * variant cs-acked-not-reloaded only): the acknowledged version is not read back (0); `unchecked`
   * (cs-cells-unchecked): the cells' checks are not compared; `forgetUnsaved` (cs-unsaved-not-reloaded):
   * the changes a Nuke and Resync kept are not counted (0).
   */
  load(fresh: string, forgetAcked = false, unchecked = false, forgetUnsaved = false): Promise<{ meta: ClientMeta; cells: Map<string, Cell>; damaged: string[] }> {
    return this.kv.transaction([CELLS, META, UNSAVED], 'readwrite', async (tx) => {
      let site = await tx.get(META, 'site');
      if (typeof site !== 'string') {
        site = fresh;
        await tx.put(META, 'site', site);
      }
      const server = await tx.get(META, 'server');
      const meta: ClientMeta = {
        site,
        version: num(await tx.get(META, 'version')),
        cursor: num(await tx.get(META, 'cursor')),
        acked: forgetAcked ? 0 : num(await tx.get(META, 'acked')),
        server: typeof server === 'string' ? server : null,
        unsaved: forgetUnsaved ? 0 : (await tx.keys(UNSAVED)).length,
      };
      const cells = new Map<string, Cell>();
      const damaged: string[] = [];
      for (const k of await tx.keys(CELLS)) {
        const c = decodeCell(k as string, await tx.get(CELLS, k), unchecked);
        if (c === 'damaged') damaged.push(k as string);
        else if (c !== undefined) cells.set(k as string, c);
      }
      return { meta, cells, damaged };
    }, STRICT);
  }

  /**
   * Replaces damaged cells (`damaged`, found by `load`), in one transaction: each is deleted, this site's
   * own changes of it are folded back from the change log (the server may not have them yet), and the
   * cursor goes back to 0 so the next handshake downloads every other change (`keepCursor`, variant
   * cs-damage-keeps-cursor: the cursor is trusted; `noFold`, variant cs-repair-no-fold: nothing is folded
   * back, so a cell whose winner is a change the server lacks is missing until the push comes back;
   * `recheck`, variant cs-repair-rechecks-damage: a damaged cell that still decodes is written back under a
   * check recomputed over its damaged content and kept). Returns the cells folded back and the new cursor.
   */
  repair(site: string, damaged: readonly string[], keepCursor = false, noFold = false, recheck = false): Promise<{ cells: Map<string, Cell>; cursor: number }> {
    return this.kv.transaction([CELLS, LOCAL, META], 'readwrite', async (tx) => {
      const wanted = new Set(damaged);
      const cells = new Map<string, Cell>();
      for (const k of damaged) {
        const v = recheck ? await tx.get(CELLS, k) : undefined;
        if (Array.isArray(v) && (v[0] === null || typeof v[0] === 'string') && typeof v[1] === 'number' && typeof v[2] === 'string') {
          const c: Cell = { value: v[0], colVersion: v[1], site: v[2] };
          await tx.put(CELLS, k, cellValue(k, c));
          cells.set(k, c);
        } else await tx.delete(CELLS, k);
      }
      for (const k of await tx.keys(LOCAL)) {
        const v = (await tx.get(LOCAL, k)) as readonly unknown[] | undefined;
        if (!Array.isArray(v)) continue;
        const key = cellKey({ table: v[0] as string, pk: v[1] as string, col: v[2] as string });
        if (!wanted.has(key) || noFold) continue;
        const c: Cell = { value: v[3] as string | null, colVersion: v[4] as number, site };
        if (wins(c, cells.get(key))) cells.set(key, c);
      }
      for (const [k, c] of cells) await tx.put(CELLS, k, cellValue(k, c));
      const cursor = keepCursor ? num(await tx.get(META, 'cursor')) : 0;
      await tx.put(META, 'cursor', cursor);
      return { cells, cursor };
    }, STRICT);
  }

  /** A local write: the next version, the cell and the change log entry, in one transaction. */
  write(site: string, version: number, change: Omit<Change, 'site' | 'dbVersion'>): Promise<void> {
    return this.kv.transaction([CELLS, LOCAL, META], 'readwrite', async (tx) => {
      await tx.put(LOCAL, version, [change.table, change.pk, change.col, change.value, change.colVersion]);
      const key = cellKey(change);
      await tx.put(CELLS, key, cellValue(key, { value: change.value, colVersion: change.colVersion, site }));
      await tx.put(META, 'version', version);
    }, STRICT);
  }

  /** This site's changes after version `after`, at most `max`, in version order. */
  localAfter(site: string, after: number, max: number): Promise<Change[]> {
    return this.kv.transaction([LOCAL], 'readonly', async (tx) => {
      const out: Change[] = [];
      for (const k of await tx.keys(LOCAL, { lower: after + 1 })) {
        if (out.length >= max) break;
        const v = (await tx.get(LOCAL, k)) as readonly unknown[] | undefined;
        if (!Array.isArray(v)) continue;
        out.push({ table: v[0] as string, pk: v[1] as string, col: v[2] as string, value: v[3] as string | null, colVersion: v[4] as number, dbVersion: k as number, site });
      }
      return out;
    });
  }

  /**
   * Applies a pulled batch (each change where it wins) and moves the cursor to its last seq, in one
   * transaction. Returns the cells that changed.
   */
  applyPulled(batch: readonly LoggedChange[], cells: ReadonlyMap<string, Cell>): Promise<Map<string, Cell>> {
    return this.kv.transaction([CELLS, META], 'readwrite', async (tx) => {
      const changed = new Map<string, Cell>();
      for (const c of batch) {
        const k = cellKey(c);
        if (!wins(c, changed.get(k) ?? cells.get(k))) continue;
        const cell: Cell = { value: c.value, colVersion: c.colVersion, site: c.site };
        changed.set(k, cell);
        await tx.put(CELLS, k, cellValue(k, cell));
      }
      await tx.put(META, 'cursor', batch[batch.length - 1]!.seq);
      return changed;
    }, STRICT);
  }

  /** Records what the server acknowledged (and the server's identity, on a first handshake). */
  acknowledge(acked: number, server: string | null): Promise<void> {
    return this.kv.transaction([META], 'readwrite', async (tx) => {
      await tx.put(META, 'acked', acked);
      if (server !== null) await tx.put(META, 'server', server);
    }, STRICT);
  }

  /**
   * Nuke and Resync's wipe, in one transaction: `keep` (the changes the server has not acknowledged) go to
   * `unsaved`, then cells, the change log and the sync state are deleted and the new site id `site` is
   * stored. Returns how many changes are unsaved in all. `forgetEarlier` (weakened variant
   * cs-nuke-forgets-export only): an earlier Nuke's export is replaced, while the count still adds both.
   * `keepLog` (weakened variant cs-nuke-keeps-log only): the change log is not deleted, so the first writes
   * after the Nuke reuse its versions and the push sends the old entries after them under the new site id.
   */
  wipe(site: string, keep: readonly Change[], forgetEarlier = false, keepLog = false): Promise<number> {
    return this.kv.transaction([CELLS, LOCAL, META, UNSAVED], 'readwrite', async (tx) => {
      const before = (await tx.keys(UNSAVED)).length;
      if (forgetEarlier) await clear(tx, UNSAVED);
      for (const c of keep) await tx.put(UNSAVED, `${c.site}/${c.dbVersion}`, [c.table, c.pk, c.col, c.value, c.colVersion]);
      await clear(tx, CELLS);
      if (!keepLog) await clear(tx, LOCAL);
      await clear(tx, META);
      await tx.put(META, 'site', site);
      return forgetEarlier ? before + keep.length : (await tx.keys(UNSAVED)).length;
    }, STRICT);
  }
}

async function clear(tx: KvTx, store: string): Promise<void> {
  for (const k of await tx.keys(store)) await tx.delete(store, k);
}
