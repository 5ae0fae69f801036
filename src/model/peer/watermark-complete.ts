/**
 * invariant:watermark-complete — when a device stores a watermark M for writer W's stream in resource R
 * (kv store `meta`, key `wm/<W>/<R>`, value `{ts, uuid}`; docs/peer-sync.md, Receiving, watermarks and
 * catch-up), it holds W's own stream in R completely up to M: for every version W committed of a record of
 * R with a key (ts, uuid) at or below M that is still W's current version of that record in W's own kv
 * store, the device's kv store holds that version or one that beats it by the merge rule. A watermark
 * moved over a gap (a live change after a lost one, a relay serving past what it holds, a digest adopted
 * wrongly) makes the device skip the records in between for good: catch-up starts from the watermark.
 *
 * Why "still W's current version": a device's own stream is the set of records whose current version it
 * wrote. A version of W that another writer's newer one (or a tombstone) has replaced at W is no longer in
 * W's stream: W never serves it, and a device gets the replacing version from its writer's stream instead.
 * So the prefix is judged as W's store holds it when the watermark is stored, and a version that some other
 * writer's committed version beats (a relay holding that one rightly leaves W's out of W's stream) is
 * excused: the device gets the better one from that writer's stream, which this check judges in turn. W's
 * later versions of a record sort after M (a device's HLC only grows), so nothing W writes afterwards can
 * fall below M.
 *
 * Evidence, all from the simulator (never the devices' traces): every commit the kv stores applied
 * (`SimKv.observeCommits`): W's own versions as W's commits wrote them (store `rec`, key
 * `<resource>/<uuid>`, value `{u, w, t, d}` with `w` = W), and the watermark writes of each device; the
 * records each side holds, read from their kv stores' committed images (`visibleGet`: a commit's
 * observers run before a strict commit is made durable, and every peer commit is strict). Judged
 * incrementally: each (device, writer, resource) from the highest watermark already judged, so each of W's
 * versions is looked at once per device. The `'*'` resource of the one-watermark-per-peer variant covers
 * every resource.
 *
 * A live check (it reads the simulator's kv stores): check-trace lists it as not run on a recorded trace.
 */
import type { SimKv } from '../../sim/disk/kv.ts';
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { compareKey, type Key } from './change-keys.ts';
import { atLeast, storedRecord } from './record-fields.ts';

const NAME = 'invariant:watermark-complete';

/** One version of a record as a writer's commit stored it. */
interface Version extends Key {
  dead: boolean;
  /** Its kv key, `<resource>/<uuid>` (the string the commit wrote: reading with it hashes nothing new). */
  kvKey: string;
}

/** What the check keeps per run. */
interface RunState {
  /** Writer device -> resource -> its own versions, in key order. */
  versions: Map<string, Map<string, Version[]>>;
  /** `device\0writer\0resource` -> index into the writer's versions below which all were judged, and the key judged up to. */
  judged: Map<string, { next: number; upTo: Key }>;
}

/** Inserts `v` in key order (a writer's keys grow, so almost always at the end); a repeat is kept once. */
function insert(list: Version[], v: Version): void {
  let i = list.length;
  while (i > 0 && compareKey(list[i - 1]!, v) > 0) i--;
  if (i > 0 && compareKey(list[i - 1]!, v) === 0) return;
  list.splice(i, 0, v);
}

/** A stored watermark `{ts, uuid}`, or null when the value is not one. */
function decodeMark(v: unknown): Key | null {
  const o = v as { ts?: unknown; uuid?: unknown } | undefined;
  return typeof o === 'object' && o !== null && typeof o.ts === 'string' && typeof o.uuid === 'string' ? { ts: o.ts, uuid: o.uuid } : null;
}

/** True when some device's kv store holds a version of `v`'s record, written by another writer than `writer`, that beats `v`. */
function beatenElsewhere(kvOf: ReadonlyMap<string, SimKv>, writer: string, v: Version): boolean {
  for (const kv of kvOf.values()) {
    const r = storedRecord(kv.visibleGet('rec', v.kvKey));
    if (r !== undefined && r.w !== writer && r.t !== v.ts && atLeast(r, v.ts, v.dead)) return true;
  }
  return false;
}

/** Every watermark a device stores covers its writer's stream completely (see the file comment). */
export function watermarkCompleteCheck(nodes: readonly string[]): Check {
  function judge(ctx: ScenarioContext, st: RunState, kvOf: Map<string, SimKv>, device: string, writer: string, resource: string, mark: Key, tx: number): void {
    const own = st.versions.get(writer);
    const writerKv = kvOf.get(writer);
    if (own === undefined || writerKv === undefined) return;
    const kv = kvOf.get(device)!;
    const resources = resource === '*' ? [...own.keys()] : [resource];
    for (const res of resources) {
      const list = own.get(res);
      if (list === undefined) continue;
      const key = `${device}\u0000${writer}\u0000${res}`;
      let at = st.judged.get(key);
      if (at === undefined) st.judged.set(key, (at = { next: 0, upTo: { ts: '', uuid: '' } }));
      if (compareKey(mark, at.upTo) <= 0) continue;
      // Versions inserted below the judged point later (a writer's keys grow: none) are not judged again.
      while (at.next < list.length && compareKey(list[at.next]!, at.upTo) <= 0) at.next++;
      let judgedAny = false;
      for (; at.next < list.length && compareKey(list[at.next]!, mark) <= 0; at.next++) {
        const v = list[at.next]!;
        const current = storedRecord(writerKv.visibleGet('rec', v.kvKey));
        // Replaced at the writer by another writer's version (or a newer one of its own, judged as itself): no
        // longer in the writer's stream.
        if (current === undefined || current.w !== writer || current.t !== v.ts) continue;
        judgedAny = true;
        const held = storedRecord(kv.visibleGet('rec', v.kvKey));
        if (atLeast(held, v.ts, v.dead)) continue;
        // Another writer's version that beats this one exists: the device gets it from that writer's stream
        // (from which a relay serving the writer's stream rightly left this record out). A committed version
        // is never lost (every peer commit is strict) and only a better one replaces it, so such a version
        // exists exactly when some device's kv store holds a version by another writer beating this one.
        if (beatenElsewhere(kvOf, writer, v)) continue;
        ctx.fail(
          'correctness',
          NAME,
          `${device} stored its watermark for ${writer}'s stream in '${resource}' at ${mark.ts} ${mark.uuid} (kv commit tx ${tx}), but it does not hold ` +
            `${writer}'s record ${v.uuid} in '${res}' (version ${v.ts}${v.dead ? ', a tombstone' : ''}, still ${writer}'s current one): it holds ` +
            `${held === undefined ? 'no version of it' : `version ${held.t}${held.dead ? ' (a tombstone)' : ''}`}. The watermark moved over a gap in ` +
            `${writer}'s stream, and catch-up, which starts from the watermark, will never fetch the record`,
          { device, writer, resource: res, mark, missing: v, tx },
        );
        return;
      }
      if (judgedAny) ctx.exercised(NAME);
      at.upTo = mark;
    }
  }

  return {
    name: NAME,
    covers: [NAME],
    setup(ctx: ScenarioContext) {
      const st: RunState = { versions: new Map(), judged: new Map() };
      const kvOf = new Map<string, SimKv>();
      const devices = new Set(nodes.map((id) => ctx.sim.node(id).deviceId));
      for (const device of devices) kvOf.set(device, ctx.sim.device(device).kv);
      for (const device of devices) {
        kvOf.get(device)!.observeCommits((c) => {
          // One pass over the writes: the commit's own versions are taken in, its watermark writes (rare) are
          // judged after, with the versions of the same commit held.
          let marks: { key: string; value: unknown }[] | null = null;
          for (const w of c.writes) {
            if (typeof w.key !== 'string') continue;
            if (w.store === 'meta') {
              if (w.key.startsWith('wm/')) (marks ??= []).push({ key: w.key, value: w.value });
              continue;
            }
            // Most records a device stores are other writers' (a backfill, catch-up): looked at no further.
            if (w.store !== 'rec' || (w.value as { w?: unknown } | undefined)?.w !== device) continue;
            const r = storedRecord(w.value);
            if (r === undefined || r.w !== device) continue;
            // The key is `<resource>/<uuid>` (checked without building strings: this runs for every own record).
            const at = w.key.length - r.u.length - 1;
            if (at < 1 || w.key.charCodeAt(at) !== 47 || !w.key.endsWith(r.u)) continue;
            const resource = w.key.slice(0, at);
            let byResource = st.versions.get(device);
            if (byResource === undefined) st.versions.set(device, (byResource = new Map()));
            let list = byResource.get(resource);
            if (list === undefined) byResource.set(resource, (list = []));
            insert(list, { ts: r.t, uuid: r.u, dead: r.dead, kvKey: w.key });
          }
          if (marks === null || ctx.sim.failure !== null) return;
          for (const m of marks) {
            const slash = m.key.indexOf('/', 3);
            const mark = decodeMark(m.value);
            if (slash > 0 && mark !== null) judge(ctx, st, kvOf, device, m.key.slice(3, slash), m.key.slice(slash + 1), mark, c.tx);
          }
        });
      }
    },
  };
}
