/**
 * The block versions the simulator damaged at rest, per store (device, backend, root): its `disk.corrupt
 * {device, path: <root>/blocks/<id>.<v>}` and `kv.corrupt {device, store: <root>:blocks, key}` records. A
 * version is forgotten once a later `fact.store-blocks` shows it current and intact: the store wrote that
 * name again (a commit number reused after a rollback). Shared by invariant:last-copy-kept and
 * invariant:no-false-corruption, which both read the facts and must not take old damage for new.
 */
import type { TraceSource } from '../check.ts';

/** The key of a store in a `DamagedAtRest`. */
export const storeKey = (device: string, backend: string, root: string): string => `${device}\u0000${backend}\u0000${root}`;

export class DamagedAtRest {
  private readonly byStore = new Map<string, Set<string>>();

  constructor(trace: TraceSource) {
    trace.on('disk.corrupt', (rec) => {
      const m = /^(.*)\/blocks\/([^/]+)$/.exec(String(rec.data.path));
      if (m !== null) this.add(storeKey(String(rec.data.device), 'file', m[1]!), m[2]!);
    });
    trace.on('kv.corrupt', (rec) => {
      const m = /^(.*):blocks$/.exec(String(rec.data.store));
      if (m !== null) this.add(storeKey(String(rec.data.device), 'kv', m[1]!), String(rec.data.key));
    });
  }

  private add(key: string, name: string): void {
    let set = this.byStore.get(key);
    if (set === undefined) this.byStore.set(key, (set = new Set()));
    set.add(name);
  }

  /** True when version `name` of store `key` was damaged at rest and not written again since. */
  has(key: string, name: string): boolean {
    return this.byStore.get(key)?.has(name) === true;
  }

  /** A fact of store `key`: forgets the damaged versions it shows current and intact (`bad`: missing or damaged). */
  heal(key: string, current: readonly string[] | null, bad: (name: string) => boolean): void {
    const set = this.byStore.get(key);
    if (set === undefined || current === null) return;
    for (const n of current) if (set.has(n) && !bad(n)) set.delete(n);
  }
}
