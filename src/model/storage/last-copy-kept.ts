/**
 * invariant:last-copy-kept: nothing (above all no recovery) gives up the last durable, intact copy of a
 * committed block version. Evidence: `fact.store-blocks` (src/evidence/store-blocks.ts), the simulator's
 * durable image of each store before and after every durable change, including every recovery's (a fact
 * at each `node.start`, then after each of its fsyncs or kv commits). Never the store's own trace.
 *
 * Between two consecutive facts of a store, every committed version that was intact before must be
 * (a) still current and intact, or (b) superseded: the durable commit point moved forward and the block
 * was written again by a later commit (a higher version) or deallocated. Anything else lost it: unlinked,
 * overwritten, rolled back to an older version, or orphaned by metadata that no longer refers to it.
 * A version that was already damaged or missing at rest may go (that is what a repair is for), and so may
 * one the simulator damaged at rest since (its `disk.corrupt` / `kv.corrupt` records: a corrupt fault).
 */
import { DamagedAtRest, storeKey } from './damaged-at-rest.ts';
import type { TraceCheck, TraceContext } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';

/** The invariant's name (failures and `covers`). */
export const LAST_COPY = 'invariant:last-copy-kept';

/** One `fact.store-blocks` (the fields the check reads). */
export interface BlocksFact {
  commit: number | null;
  current: readonly string[] | null;
  missing: readonly string[];
  damaged: readonly string[];
}

/** A committed version a change lost, and how. */
export interface LostCopy {
  /** `<id>.<v>`. */
  version: string;
  /** 'removed' (no durable entry), 'overwritten' (other bytes), 'rolled-back' (an older version is current), 'orphaned' (no longer current, not superseded). */
  how: 'removed' | 'overwritten' | 'rolled-back' | 'orphaned';
}

const split = (name: string): [number, number] => {
  const dot = name.indexOf('.');
  return [Number(name.slice(0, dot)), Number(name.slice(dot + 1))];
};

/** The committed versions `before` held intact. */
export function intactVersions(f: BlocksFact): string[] {
  if (f.current === null) return [];
  const gone = new Set([...f.missing, ...f.damaged]);
  return f.current.filter((v) => !gone.has(v));
}

/** What the change from `before` to `after` lost (empty: every intact committed version kept or superseded). */
export function lostCopies(before: BlocksFact, after: BlocksFact): LostCopy[] {
  const intact = intactVersions(before);
  if (intact.length === 0) return [];
  const now = new Map<number, number>();
  for (const name of after.current ?? []) {
    const [id, v] = split(name);
    now.set(id, v);
  }
  const missing = new Set(after.missing);
  const damaged = new Set(after.damaged);
  const advanced = after.commit !== null && before.commit !== null && after.commit > before.commit;
  const out: LostCopy[] = [];
  for (const name of intact) {
    const [id, v] = split(name);
    const w = now.get(id);
    if (w === v) {
      if (missing.has(name)) out.push({ version: name, how: 'removed' });
      else if (damaged.has(name)) out.push({ version: name, how: 'overwritten' });
      continue;
    }
    if (advanced && (w === undefined || w > v)) continue; // written again, or deallocated, by a later commit
    out.push({ version: name, how: w !== undefined && w < v ? 'rolled-back' : 'orphaned' });
  }
  return out;
}

/** The fact in a `fact.store-blocks` record. */
function factOf(rec: TraceRecord): BlocksFact {
  const d = rec.data as { commit?: number | null; current?: string[] | null; missing?: string[]; damaged?: string[] };
  return { commit: d.commit ?? null, current: d.current ?? null, missing: d.missing ?? [], damaged: d.damaged ?? [] };
}

function message(rec: TraceRecord, before: BlocksFact, after: BlocksFact, lost: readonly LostCopy[]): string {
  const what = lost.slice(0, 4).map((l) => `${l.version} ${l.how}`).join(', ');
  const more = lost.length > 4 ? ` and ${lost.length - 4} more` : '';
  const commits = before.commit === after.commit ? `at commit ${String(after.commit)}` : `from commit ${String(before.commit)} to ${String(after.commit)}`;
  return `${String(rec.data.device)}:${String(rec.data.root)}: the last intact durable copy of committed block version(s) ${what}${more} was lost ${commits} (${after.current === null ? 'the committed metadata is gone' : 'durable image'})`;
}

/** The check: put it in a storage scenario's `checks` with `storeBlocksEvidence()` in its `evidence`. */
export function lastCopyCheck(): TraceCheck {
  return {
    onTrace: true,
    name: LAST_COPY,
    covers: [LAST_COPY],
    setup(ctx: TraceContext) {
      const last = new Map<string, BlocksFact>();
      // Versions the simulator damaged at rest (a corrupt fault), per store: no longer intact copies, whatever
      // a fact taken before the damage said; the store may give them up (a repair, a stray deleted).
      const damaged = new DamagedAtRest(ctx.trace);
      ctx.trace.on('fact.store-blocks', (rec) => {
        const key = storeKey(String(rec.data.device), String(rec.data.backend), String(rec.data.root));
        const after = factOf(rec);
        const before = last.get(key);
        last.set(key, after);
        // A damaged name the store wrote again (a commit number reused after a rollback) is intact once more:
        // forget the damage after this fact is judged, or a later loss of the new, good copy would be excused.
        const heal = (): void => damaged.heal(key, after.current, (n) => after.damaged.includes(n) || after.missing.includes(n));
        if (before === undefined || intactVersions(before).length === 0) return heal();
        ctx.exercised(LAST_COPY);
        const lost = lostCopies(before, after).filter((l) => !damaged.has(key, l.version));
        heal();
        if (lost.length === 0) return;
        ctx.fail('correctness', LAST_COPY, message(rec, before, after, lost), { traceIndex: rec.i, before, after, lost });
      });
    },
  };
}
