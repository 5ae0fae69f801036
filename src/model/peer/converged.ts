/**
 * invariant:converged — at the end, when every device is up and ready, they hold exactly the same records
 * (uuid, writer, version, data or tombstone), compared record by record: the liveness condition only
 * compares the implementation's own 32-bit digests, which a digest bug or a collision would fool. A live
 * check (reads each node's `PeerView`).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { readyViews, sameRecord, showRecord, type ViewRecord } from './peer-view.ts';

/** Records by uuid (a repeated uuid is kept once: `size` then tells it). */
const byUuid = (list: readonly ViewRecord[]): Map<string, ViewRecord> => {
  const m = new Map<string, ViewRecord>();
  for (const r of list) m.set(r.uuid, r);
  return m;
};

/** True when `a` and `b` (of equal lengths) hold the same record at every position. */
function samePositions(a: readonly ViewRecord[], b: readonly ViewRecord[]): boolean {
  for (let i = 0; i < a.length; i++) if (!sameRecord(a[i], b[i])) return false;
  return true;
}

/** The first difference between two devices' records of one resource (`ma`: the first's, by uuid), or null. */
function firstDifference(a: readonly ViewRecord[], ma: ReadonlyMap<string, ViewRecord>, b: readonly ViewRecord[]): { uuid: string; a?: ViewRecord; b?: ViewRecord } | null {
  // Views list records in no particular order, but equal tables of one implementation list theirs in the
  // same order (its key order): b equal to a position by position, with a's uuids distinct (ma.size), is
  // b equal to a as a set, with b's uuids distinct too, which is what the test below decides (null).
  if (b.length === a.length && ma.size === a.length && samePositions(a, b)) return null;
  // Equal sets are the common case: one pass over b against the Map of a decides it; only when something
  // differs are the uuids sorted, so the reported difference is the first in uuid order (deterministic),
  // not whichever came first in memory.
  // (Sizes: a repeated uuid in either list must not hide a record only the other has.)
  if (b.length === ma.size && ma.size === a.length && b.every((r) => sameRecord(r, ma.get(r.uuid)))) {
    const mb = byUuid(b);
    if (mb.size === b.length) return null;
  }
  const mb = byUuid(b);
  const uuids = new Set([...ma.keys(), ...mb.keys()]);
  for (const uuid of [...uuids].sort()) if (!sameRecord(ma.get(uuid), mb.get(uuid))) return { uuid, a: ma.get(uuid), b: mb.get(uuid) };
  return null;
}

/** At the end, all ready devices hold the same records, compared one by one (not by digest). */
export function convergedCheck(nodes: readonly string[]): Check {
  const name = 'invariant:converged';
  return {
    name,
    covers: [name],
    final(ctx: ScenarioContext) {
      const views = readyViews(ctx, nodes);
      if (views === null || views.length < 2) return;
      const [refId, ref] = views[0]!;
      ctx.exercised(name);
      for (const resource of ref.resources()) {
        const want = ref.records(resource);
        const index = byUuid(want);
        for (const [id, v] of views.slice(1)) {
          const d = firstDifference(want, index, v.records(resource));
          if (d !== null) {
            ctx.fail('correctness', name, `'${resource}' ${d.uuid}: ${refId} holds ${showRecord(d.a)}, ${id} holds ${showRecord(d.b)} (digests ${ref.digest() === v.digest() ? 'equal' : 'differ'})`);
            return;
          }
        }
      }
    },
  };
}
