/**
 * The evidence shared by three live peer checks, each a check of its own (one can be turned off alone), all
 * judging a claim that a device holds a writer's own stream (docs/peer-sync.md, Receiving, watermarks and
 * catch-up; Messages):
 *
 * - invariant:watermark-complete (watermark-complete.ts): a watermark M a device stores for writer W's
 *   stream in resource R (kv store `meta`, key `wm/<W>/<R>`) is complete: the device's kv store holds every
 *   version of W's stream in R up to M, judged when the watermark commit is applied, on the device's
 *   committed (visible) image.
 * - invariant:ack-held (ack-held.ts): an acknowledgement `AckSharedChanges {resource, upTo}` is true when
 *   the network delivers it: its sender durably holds every version of the addressee's stream in the
 *   resource up to upTo, judged on the sender's durable image (the protocol promises the changes durable:
 *   the addressee prunes them and stops resending them).
 * - invariant:log-pruned-after-acks (log-pruned-after-acks.ts): every own log entry a device deletes from
 *   its kv store (store `log`, key `<resource>/<hlc>`) is covered by an acknowledgement of every other
 *   member that the network delivered to it before the deleting commit.
 *
 * "W's stream": the versions W committed of records of R that are still W's current version of the record
 * in W's own kv store. A version of W that another writer's newer one (or a tombstone) has replaced at W is
 * no longer in W's stream: W never serves it, and a device gets the replacing version from its writer's
 * stream instead. So the prefix is judged as W's store holds it when the claim is judged, and a version
 * that some other writer's committed version beats (a relay holding that one rightly leaves W's out of W's
 * stream) is excused: the device gets the better one from that writer's stream, which is judged in turn.
 * A device holds a version when its kv store holds it or one that beats it by the merge rule (atLeast).
 * W's later versions of a record sort after the claim's point (a device's HLC only grows), so nothing W
 * writes afterwards can fall below it. A watermark or acknowledgement moved over a gap (a live change after
 * a lost one, a relay serving past what it holds, a digest adopted wrongly) makes the device skip, or the
 * writer stop resending, the records in between for good.
 *
 * Evidence, all from the simulator (never the devices' traces): every commit the kv stores applied
 * (`SimKv.observeCommits`): W's own versions as W's commits wrote them (store `rec`, key
 * `<resource>/<uuid>`, value `{u, w, t, d}` with `w` = W), the watermark writes and the log deletes of each
 * device; the acknowledgements the network delivered (`fact.peer.ack`); the records each side holds, read
 * from their kv stores: W's current versions and the watermark holder's records from the committed images
 * (`visibleGet`: a commit's observers run before a strict commit is made durable, and every peer commit is
 * strict), the acknowledging device's from its durable image (`durableGet`). Judged incrementally: each
 * (device, writer, resource) from the highest point already judged for that claim, so each of W's versions
 * is looked at once per device and claim. The `'*'` resource of the one-watermark-per-peer variant covers
 * every resource.
 *
 * The evidence is gathered once per run and node list (two checks given different node lists each get their
 * own), whichever of the three checks are on. Live checks (they read the simulator's kv stores):
 * check-trace lists them as not run on a recorded trace.
 */
import type { SimKv } from '../../sim/disk/kv.ts';
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import { compareKey, type Key } from './change-keys.ts';
import { nodeDevices } from './node-devices.ts';
import { atLeast, isStored, storedRecord, str, type D, type Stored } from './record-fields.ts';

export const NAME = 'invariant:watermark-complete';
export const ACK_NAME = 'invariant:ack-held';
export const PRUNE_NAME = 'invariant:log-pruned-after-acks';

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

/** Inserts `v` in key order (a writer's keys grow, so almost always at the end); a repeat is kept once (the one already there). */
function insert(list: Version[], v: Version): void {
  let i = list.length;
  while (i > 0 && compareKey(list[i - 1]!, v) > 0) i--;
  if (i > 0 && compareKey(list[i - 1]!, v) === 0) return;
  if (i === list.length) list.push(v);
  else list.splice(i, 0, v);
}

/**
 * Inserts one commit's versions of a list (`batch`, in commit order) as inserting them one by one in that
 * order would: the result is the sorted list of distinct keys keeping, of equal keys, the one inserted
 * first, whatever the order of insertion among different keys. So the batch is sorted first (stably:
 * equal keys keep their commit order), and each insert then stops at the end of the list. One commit
 * writes a whole batch at a single HLC with uuids in any order: inserted in commit order, each would walk
 * back over the batch (quadratic in the batch size).
 */
function insertAll(list: Version[], batch: Version[]): void {
  if (batch.length > 1) batch.sort(compareKey);
  for (const v of batch) insert(list, v);
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

/** The value of `key` in a device's kv store `rec`: durable, else visible (committed). */
function readRec(kv: SimKv, durable: boolean, key: string): unknown {
  return durable ? kv.durableGet('rec', key) : kv.visibleGet('rec', key);
}

/** atLeast(storedRecord(value), v.ts, v.dead), without building the record: the stored value holds `v` or better. */
function holds(value: unknown, v: Version): boolean {
  return isStored(value) && (value.t === v.ts || ((value.d === null) !== v.dead ? value.d === null : value.t > v.ts));
}

/** A version of the writer's stream a device lacks below a mark, with what it holds of that record instead. */
interface Missing {
  v: Version;
  res: string;
  held: ReturnType<typeof storedRecord>;
}

/**
 * The first version of `writer`'s own stream in `resource` (every resource for '*') at or below `mark` that
 * is still the writer's current version in its kv store and that `device`'s kv store holds neither as is nor
 * beaten (by the merge rule, there or by another writer's version anywhere); null when there is none.
 * Incremental through `judged` (one map per claim: watermarks, acknowledgements): each of the writer's
 * versions is looked at once per device and claim. `exercised` is told when some version was judged.
 * `durable`: read what `device` holds from its durable kv image (an acknowledgement), else from its
 * committed one (a watermark, stored in the commit being observed).
 */
function firstMissing(
  st: RunState,
  judged: RunState['judged'],
  kvOf: ReadonlyMap<string, SimKv>,
  device: string,
  writer: string,
  resource: string,
  mark: Key,
  durable: boolean,
  exercised: () => void,
): Missing | null {
  const own = st.versions.get(writer);
  const writerKv = kvOf.get(writer);
  const kv = kvOf.get(device);
  if (own === undefined || writerKv === undefined || kv === undefined) return null;
  const resources = resource === '*' ? [...own.keys()] : [resource];
  for (const res of resources) {
    const list = own.get(res);
    if (list === undefined) continue;
    const key = `${device}\u0000${writer}\u0000${res}`;
    let at = judged.get(key);
    if (at === undefined) judged.set(key, (at = { next: 0, upTo: { ts: '', uuid: '' } }));
    if (compareKey(mark, at.upTo) <= 0) continue;
    // Versions inserted below the judged point later (a writer's keys grow: none) are not judged again.
    while (at.next < list.length && compareKey(list[at.next]!, at.upTo) <= 0) at.next++;
    let judgedAny = false;
    for (; at.next < list.length && compareKey(list[at.next]!, mark) <= 0; at.next++) {
      const v = list[at.next]!;
      // (Stored values are read as they are, not decoded into new objects: this runs for every version.)
      // Once some version was judged, one the device holds passes whether or not it is still the writer's
      // current version: then the writer's store is read only for a version the device lacks.
      let value: unknown;
      if (judgedAny) {
        value = readRec(kv, durable, v.kvKey);
        if (holds(value, v)) continue;
      }
      const current = writerKv.visibleGet('rec', v.kvKey);
      // Replaced at the writer by another writer's version (or a newer one of its own, judged as itself): no
      // longer in the writer's stream.
      if (!isStored(current) || current.w !== writer || current.t !== v.ts) continue;
      if (!judgedAny) {
        judgedAny = true;
        value = readRec(kv, durable, v.kvKey);
        if (holds(value, v)) continue;
      }
      // Another writer's version that beats this one exists: the device gets it from that writer's stream
      // (from which a relay serving the writer's stream rightly left this record out). A committed version
      // is never lost (every peer commit is strict) and only a better one replaces it, so such a version
      // exists exactly when some device's kv store holds a version by another writer beating this one.
      if (beatenElsewhere(kvOf, writer, v)) continue;
      exercised();
      return { v, res, held: storedRecord(value) };
    }
    if (judgedAny) exercised();
    at.upTo = mark;
  }
  return null;
}

/** What a device holds of a record, for messages. */
function heldText(m: Missing): string {
  return m.held === undefined ? 'no version of it' : `version ${m.held.t}${m.held.dead ? ' (a tombstone)' : ''}`;
}

/** The missing version, for messages. */
function missingText(writer: string, m: Missing): string {
  return `${writer}'s record ${m.v.uuid} in '${m.res}' (version ${m.v.ts}${m.v.dead ? ', a tombstone' : ''}, still ${writer}'s current one)`;
}

/**
 * A log key `<resource>/<hlc>`, split at the first '/' followed by an HLC (`PPPPPPPPPPPPPPP-CCCCCC-device`,
 * docs/peer-sync.md, HLC): neither at the first '/' (a plugged-in node may name a resource with one) nor at
 * the last (a device id, the HLC's tail, may hold one: src/impl/peer/hlc.ts).
 */
const LOG_KEY = /^(.+?)\/(\d{15}-\d{6}-.+)$/;

/** After every uuid (uuids are at most 64 printable ASCII characters): a shared HLC as a key covering its change. */
const AFTER_ANY_UUID = '\uffff';

/** The claims judged on this evidence, each a check of its own (one can be turned off alone). */
export type Claim = typeof NAME | typeof ACK_NAME | typeof PRUNE_NAME;

/** Per run and node list: the evidence gathered once, whichever of the three checks are on. */
interface Shared {
  on: Set<Claim>;
}

/**
 * The shared evidence, set up by the first of the three checks to start: per run (its context), then per
 * node list (checks given different lists judge each on its own devices; none silently takes another's).
 */
const runs = new WeakMap<ScenarioContext, Map<string, Shared>>();

/**
 * Sets up the evidence of a run and node list once: the writers' own versions, the watermark writes and log
 * deletes of every kv commit, and the acknowledgements the network delivers; then judges the claims that
 * are on.
 */
function sharedOf(ctx: ScenarioContext, nodes: readonly string[]): Shared {
  let byNodes = runs.get(ctx);
  if (byNodes === undefined) runs.set(ctx, (byNodes = new Map()));
  const nodesKey = nodes.join('\u0000');
  const existing = byNodes.get(nodesKey);
  if (existing !== undefined) return existing;
  const sh: Shared = { on: new Set() };
  byNodes.set(nodesKey, sh);
  const st: RunState = { versions: new Map(), judged: new Map() };
  /** Acknowledgements judged so far, as `judged` is for watermarks. */
  const ackJudged: RunState['judged'] = new Map();
  /** `writer\0resource\0acker` -> the largest upTo of the acker's acknowledgements the network delivered to the writer. */
  const delivered = new Map<string, string>();
  const kvOf = new Map<string, SimKv>();
  const deviceOf = nodeDevices(ctx, nodes);
  const devices = new Set(deviceOf.values());
  for (const device of devices) kvOf.set(device, ctx.sim.device(device).kv);

  const judgeMark = (device: string, writer: string, resource: string, mark: Key, tx: number): void => {
    const m = firstMissing(st, st.judged, kvOf, device, writer, resource, mark, false, () => ctx.exercised(NAME));
    if (m === null) return;
    ctx.fail(
      'correctness',
      NAME,
      `${device} stored its watermark for ${writer}'s stream in '${resource}' at ${mark.ts} ${mark.uuid} (kv commit tx ${tx}), but it does not hold ` +
        `${missingText(writer, m)}: it holds ${heldText(m)}. The watermark moved over a gap in ` +
        `${writer}'s stream, and catch-up, which starts from the watermark, will never fetch the record`,
      { device, writer, resource: m.res, mark, missing: m.v, tx },
    );
  };

  // An acknowledgement says its sender durably holds every change of the addressee in the resource up to
  // upTo (docs/peer-sync.md, Messages): judged as the network delivers it, on the sender's durable image
  // (between the send and the delivery its kv store only takes in better versions, and what was durable
  // stays so).
  ctx.trace.on('fact.peer.ack', (r) => {
    const d = r.data as D;
    const acker = deviceOf.get(str(d.from) ?? '');
    const writer = deviceOf.get(str(d.to) ?? '');
    const resource = str(d.resource);
    const upTo = str(d.upTo);
    if (acker === undefined || writer === undefined || resource === null || upTo === null) return;
    const key = `${writer}\u0000${resource}\u0000${acker}`;
    if (upTo > (delivered.get(key) ?? '')) delivered.set(key, upTo);
    if (!sh.on.has(ACK_NAME) || ctx.sim.failure !== null) return;
    const m = firstMissing(st, ackJudged, kvOf, acker, writer, resource, { ts: upTo, uuid: AFTER_ANY_UUID }, true, () => ctx.exercised(ACK_NAME));
    if (m === null) return;
    ctx.fail(
      'correctness',
      ACK_NAME,
      `${acker} acknowledged ${writer}'s changes in '${resource}' up to ${upTo} (delivered, trace #${r.i}), but it does not durably hold ${missingText(writer, m)}: ` +
        `it durably holds ${heldText(m)}. ${writer} prunes what every peer acknowledged and stops resending it`,
      { acker, writer, resource: m.res, upTo, missing: m.v },
    );
  });

  /** Judges the own log entries a commit of `device` deletes (store `log`, key `<resource>/<hlc>`). */
  const judgePrune = (device: string, deleted: string[], tx: number): void => {
    for (const key of deleted) {
      const split = LOG_KEY.exec(key);
      if (split === null) continue;
      const resource = split[1]!;
      const hlc = split[2]!;
      ctx.exercised(PRUNE_NAME);
      for (const peer of devices) {
        if (peer === device) continue;
        const a = delivered.get(`${device}\u0000${resource}\u0000${peer}`);
        if (a !== undefined && a >= hlc) continue;
        ctx.fail(
          'correctness',
          PRUNE_NAME,
          `${device} deleted its log entry ${hlc} of '${resource}' from its kv store (kv commit tx ${tx}), but the network delivered acknowledgements of ${peer} ` +
            `only up to ${a ?? 'nothing'}: an entry is pruned only once every other member acknowledged it`,
          { device, resource, hlc, peer, acked: a ?? null, tx },
        );
        return;
      }
    }
  };

  for (const device of devices) {
    /** The list of the last resource this device's own versions went to (resources are few: no slice, no lookup per version). */
    let lastResource = '';
    let lastList: Version[] | null = null;
    kvOf.get(device)!.observeCommits((c) => {
      // One pass over the writes: the commit's own versions are taken in, its watermark writes and log
      // deletes (rare) are judged after, with the versions of the same commit held.
      let marks: { key: string; value: unknown }[] | null = null;
      let deleted: string[] | null = null;
      /** The commit's own versions per list, inserted after the pass (nothing reads the lists during it). */
      let batches: [Version[], Version[]][] | null = null;
      let batch: Version[] | null = null;
      for (const w of c.writes) {
        if (typeof w.key !== 'string') continue;
        if (w.store === 'meta') {
          if (w.key.startsWith('wm/')) (marks ??= []).push({ key: w.key, value: w.value });
          continue;
        }
        if (w.store === 'log') {
          if (w.value === undefined) (deleted ??= []).push(w.key);
          continue;
        }
        // Most records a device stores are other writers' (a backfill, catch-up): looked at no further.
        if (w.store !== 'rec' || (w.value as { w?: unknown } | undefined)?.w !== device) continue;
        const r = w.value as Stored;
        if (!isStored(r) || r.w !== device) continue;
        // The key is `<resource>/<uuid>` (checked without building strings: this runs for every own record).
        const at = w.key.length - r.u.length - 1;
        if (at < 1 || w.key.charCodeAt(at) !== 47 || !w.key.endsWith(r.u)) continue;
        if (lastList === null || at !== lastResource.length || !w.key.startsWith(lastResource)) {
          const resource = w.key.slice(0, at);
          let byResource = st.versions.get(device);
          if (byResource === undefined) st.versions.set(device, (byResource = new Map()));
          let list = byResource.get(resource);
          if (list === undefined) byResource.set(resource, (list = []));
          lastResource = resource;
          lastList = list;
          batch = null;
        }
        if (batch === null) {
          const list = lastList;
          batch = batches?.find((b) => b[0] === list)?.[1] ?? null;
          if (batch === null) (batches ??= []).push([list, (batch = [])]);
        }
        batch.push({ ts: r.t, uuid: r.u, dead: r.d === null, kvKey: w.key });
      }
      if (batches !== null) for (const [list, b] of batches) insertAll(list, b);
      if (ctx.sim.failure !== null) return;
      if (deleted !== null && sh.on.has(PRUNE_NAME)) judgePrune(device, deleted, c.tx);
      if (marks === null || !sh.on.has(NAME)) return;
      for (const m of marks) {
        // `wm/<writer>/<resource>`: a device id may hold a '/', a resource name does not (src/impl/peer/options.ts).
        const slash = m.key.lastIndexOf('/');
        const mark = decodeMark(m.value);
        if (slash > 3 && mark !== null) judgeMark(device, m.key.slice(3, slash), m.key.slice(slash + 1), mark, c.tx);
      }
    });
  }
  return sh;
}

/** One of the three checks on the shared evidence of `nodes` (see the file comment). */
export function streamClaimCheck(name: Claim, nodes: readonly string[]): Check {
  return {
    name,
    covers: [name],
    setup(ctx: ScenarioContext) {
      sharedOf(ctx, nodes).on.add(name);
    },
  };
}
