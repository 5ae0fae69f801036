/**
 * The server's durable database in the device's kv store (docs/client-server.md, "Storage"), written only
 * in strict transactions: a transaction that resolved survives any crash, and an ACK is sent only after
 * the transaction holding the acknowledged changes resolved.
 *
 *   log   seq (number) -> [table, pk, col, value, colVersion, site, dbVersion]   the change log
 *   meta  'site' -> string, 'schema' -> number, 'generation' -> number, 'head' -> number (last seq),
 *         'client/<site>' -> number (the highest version of that client in the log)
 */
import type { KvStore, KvTx, Value } from '../env.ts';
import type { Change, LoggedChange } from './messages.ts';

const LOG = 'log';
const META = 'meta';

/** What the server knows of itself at start. */
export interface ServerMeta {
  site: string | null;
  schema: number | null;
  generation: number;
  head: number;
}

/** The stored form of a log entry. */
export function encodeEntry(c: Change): Value {
  return [c.table, c.pk, c.col, c.value, c.colVersion, c.site, c.dbVersion];
}

/** A stored log entry back into a change (null when it is not one). */
export function decodeEntry(seq: number, v: Value | undefined): LoggedChange | null {
  if (!Array.isArray(v) || v.length !== 7) return null;
  const [table, pk, col, value, colVersion, site, dbVersion] = v as readonly unknown[];
  if (typeof table !== 'string' || typeof pk !== 'string' || typeof col !== 'string' || typeof site !== 'string') return null;
  if ((value !== null && typeof value !== 'string') || typeof colVersion !== 'number' || typeof dbVersion !== 'number') return null;
  return { seq, table, pk, col, value, colVersion, site, dbVersion };
}

const num = (v: Value | undefined, dflt: number): number => (typeof v === 'number' ? v : dflt);

/** The server's storage. */
export class ServerStore {
  constructor(private readonly kv: KvStore) {}

  /** Reads the server's identity and head. */
  loadMeta(): Promise<ServerMeta> {
    return this.kv.transaction([META], 'readonly', async (tx) => {
      const site = await tx.get(META, 'site');
      const schema = await tx.get(META, 'schema');
      return { site: typeof site === 'string' ? site : null, schema: typeof schema === 'number' ? schema : null, generation: num(await tx.get(META, 'generation'), 0), head: num(await tx.get(META, 'head'), 0) };
    });
  }

  /**
   * Starts a new lineage in one transaction: every log entry and client record deleted, a new site id,
   * schema and generation (a rebuild; also the first start).
   */
  rebuild(site: string, schema: number, generation: number): Promise<void> {
    return this.kv.transaction(
      [LOG, META],
      'readwrite',
      async (tx) => {
        for (const k of await tx.keys(LOG)) await tx.delete(LOG, k);
        for (const k of await tx.keys(META)) await tx.delete(META, k);
        await tx.put(META, 'site', site);
        await tx.put(META, 'schema', schema);
        await tx.put(META, 'generation', generation);
        await tx.put(META, 'head', 0);
      },
      { durability: 'strict' },
    );
  }

  /** Records a schema migration (the data is kept: this model's migrations add no columns). */
  migrate(schema: number): Promise<void> {
    return this.kv.transaction([META], 'readwrite', (tx) => tx.put(META, 'schema', schema), { durability: 'strict' });
  }

  /** The highest version of client `site` in the log (0: none). */
  acked(site: string): Promise<number> {
    return this.kv.transaction([META], 'readonly', async (tx) => num(await tx.get(META, `client/${site}`), 0));
  }

  /** The log after `cursor` up to the head, and the highest version of client `site` in it. */
  readAfter(cursor: number, site: string): Promise<{ head: number; acked: number; entries: LoggedChange[] }> {
    return this.kv.transaction([LOG, META], 'readonly', async (tx) => {
      const head = num(await tx.get(META, 'head'), 0);
      const acked = num(await tx.get(META, `client/${site}`), 0);
      const entries: LoggedChange[] = [];
      if (cursor < head) {
        for (const k of await tx.keys(LOG, { lower: cursor + 1, upper: head })) {
          const e = decodeEntry(k as number, await tx.get(LOG, k));
          if (e !== null) entries.push(e);
        }
      }
      return { head, acked, entries };
    });
  }

  /**
   * Appends the changes of client `site` it does not have yet (versions above the client's record: a
   * resend after a lost ACK is skipped), in one strict transaction; a change past a gap (a version after
   * the client's record + 1) and all after it are refused (`gap`). Resolves with the appended entries
   * and the client's highest stored version, once durable.
   */
  append(site: string, changes: readonly Change[]): Promise<{ entries: LoggedChange[]; upTo: number; skipped: number; gap: boolean }> {
    return this.kv.transaction(
      [LOG, META],
      'readwrite',
      async (tx) => {
        let upTo = num(await tx.get(META, `client/${site}`), 0);
        let head = num(await tx.get(META, 'head'), 0);
        const entries: LoggedChange[] = [];
        let skipped = 0;
        for (const c of changes) {
          if (c.dbVersion <= upTo) {
            skipped++;
            continue;
          }
          // The client's versions are stored without gaps, so an ACK's upTo covers all before it.
          if (c.dbVersion !== upTo + 1) return { entries, upTo, skipped, gap: true };
          const e: LoggedChange = { ...c, site, seq: ++head };
          await tx.put(LOG, e.seq, encodeEntry(e));
          entries.push(e);
          upTo = c.dbVersion;
        }
        if (entries.length > 0) await writeHead(tx, head, site, upTo);
        return { entries, upTo, skipped, gap: false };
      },
      { durability: 'strict' },
    );
  }

  /** Writes changes made on the server itself (origin: the server's site, version = seq). */
  exec(site: string, rows: readonly Omit<Change, 'site' | 'dbVersion' | 'colVersion'>[], colVersionOf: (r: Omit<Change, 'site' | 'dbVersion' | 'colVersion'>) => number): Promise<LoggedChange[]> {
    return this.kv.transaction(
      [LOG, META],
      'readwrite',
      async (tx) => {
        let head = num(await tx.get(META, 'head'), 0);
        const entries: LoggedChange[] = [];
        for (const r of rows) {
          head++;
          const e: LoggedChange = { ...r, colVersion: colVersionOf(r), site, dbVersion: head, seq: head };
          await tx.put(LOG, head, encodeEntry(e));
          entries.push(e);
        }
        await tx.put(META, 'head', head);
        return entries;
      },
      { durability: 'strict' },
    );
  }
}

async function writeHead(tx: KvTx, head: number, site: string, upTo: number): Promise<void> {
  await tx.put(META, 'head', head);
  await tx.put(META, `client/${site}`, upTo);
}
