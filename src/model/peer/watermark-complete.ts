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
import { atLeast, storedRecord, str, type D } from './record-fields.ts';

const NAME = 'invariant:watermark-complete';
const ACK_NAME = 'invariant:ack-held';
const PRUNE_NAME = 'invariant:log-pruned-after-acks';

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
 */
function firstMissing(
  st: RunState,
  judged: RunState['judged'],
  kvOf: ReadonlyMap<string, SimKv>,
  device: string,
  writer: string,
  resource: string,
  mark: Key,
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
      if (judgedAny) exercised();
      return { v, res, held };
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

/** After every uuid (uuids are at most 64 printable ASCII characters): a shared HLC as a key covering its change. */
const AFTER_ANY_UUID = '\uffff';

/** The claims judged on this evidence, each a check of its own (one can be turned off alone). */
type Claim = typeof NAME | typeof ACK_NAME | typeof PRUNE_NAME;

/** Per run: the evidence gathered once, whichever of the three checks are on. */
interface Shared {
  on: Set<Claim>;
}

/** The run's shared evidence, set up by the first of the three checks to start (keyed by the run's context). */
const runs = new WeakMap<ScenarioContext, Shared>();

/**
 * Sets up the run's evidence once: the writers' own versions, the watermark writes and log deletes of every
 * kv commit, and the acknowledgements the network delivers; then judges the claims that are on.
 */
function sharedOf(ctx: ScenarioContext, nodes: readonly string[]): Shared {
  const existing = runs.get(ctx);
  if (existing !== undefined) return existing;
  const sh: Shared = { on: new Set() };
  runs.set(ctx, sh);
  const st: RunState = { versions: new Map(), judged: new Map() };
  /** Acknowledgements judged so far, as `judged` is for watermarks. */
  const ackJudged: RunState['judged'] = new Map();
  /** `writer\0resource\0acker` -> the largest upTo of the acker's acknowledgements the network delivered to the writer. */
  const delivered = new Map<string, string>();
  const kvOf = new Map<string, SimKv>();
  const deviceOf = new Map(nodes.map((id) => [id, ctx.sim.node(id).deviceId] as const));
  const devices = new Set(deviceOf.values());
  for (const device of devices) kvOf.set(device, ctx.sim.device(device).kv);

  const judgeMark = (device: string, writer: string, resource: string, mark: Key, tx: number): void => {
    const m = firstMissing(st, st.judged, kvOf, device, writer, resource, mark, () => ctx.exercised(NAME));
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
  // upTo (docs/peer-sync.md, Messages): judged as the network delivers it, on the sender's committed image
  // (between the send and the delivery its kv store only takes in better versions).
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
    const m = firstMissing(st, ackJudged, kvOf, acker, writer, resource, { ts: upTo, uuid: AFTER_ANY_UUID }, () => ctx.exercised(ACK_NAME));
    if (m === null) return;
    ctx.fail(
      'correctness',
      ACK_NAME,
      `${acker} acknowledged ${writer}'s changes in '${resource}' up to ${upTo} (delivered, trace #${r.i}), but it does not hold ${missingText(writer, m)}: ` +
        `it holds ${heldText(m)}. ${writer} prunes what every peer acknowledged and stops resending it`,
      { acker, writer, resource: m.res, upTo, missing: m.v },
    );
  });

  /** Judges the own log entries a commit of `device` deletes (store `log`, key `<resource>/<hlc>`). */
  const judgePrune = (device: string, deleted: string[], tx: number): void => {
    for (const key of deleted) {
      const slash = key.indexOf('/');
      if (slash < 1) continue;
      const resource = key.slice(0, slash);
      const hlc = key.slice(slash + 1);
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
    kvOf.get(device)!.observeCommits((c) => {
      // One pass over the writes: the commit's own versions are taken in, its watermark writes and log
      // deletes (rare) are judged after, with the versions of the same commit held.
      let marks: { key: string; value: unknown }[] | null = null;
      let deleted: string[] | null = null;
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
      if (ctx.sim.failure !== null) return;
      if (deleted !== null && sh.on.has(PRUNE_NAME)) judgePrune(device, deleted, c.tx);
      if (marks === null || !sh.on.has(NAME)) return;
      for (const m of marks) {
        const slash = m.key.indexOf('/', 3);
        const mark = decodeMark(m.value);
        if (slash > 0 && mark !== null) judgeMark(device, m.key.slice(3, slash), m.key.slice(slash + 1), mark, c.tx);
      }
    });
  }
  return sh;
}

/** One of the three checks on the shared evidence. */
function claimCheck(name: Claim, nodes: readonly string[]): Check {
  return {
    name,
    covers: [name],
    setup(ctx: ScenarioContext) {
      sharedOf(ctx, nodes).on.add(name);
    },
  };
}

/** Every watermark a device stores covers its writer's stream completely (see the file comment). */
export function watermarkCompleteCheck(nodes: readonly string[]): Check {
  return claimCheck(NAME, nodes);
}

/**
 * invariant:ack-held — every acknowledgement a device sends (`AckSharedChanges {resource, upTo}`) is true
 * when the network delivers it: the sender's kv store holds every shared change of the addressee in the
 * resource up to upTo that is still the addressee's current version (or a version beating it), judged as
 * watermarks are. An acknowledgement sent after a gap makes its addressee prune the missing change and
 * stop resending it; only catch-up can then bring it.
 */
export function ackHeldCheck(nodes: readonly string[]): Check {
  return claimCheck(ACK_NAME, nodes);
}

/**
 * invariant:log-pruned-after-acks — every own log entry a device deletes from its kv store (store `log`,
 * key `<resource>/<hlc>`) is covered by an acknowledgement of every other member that the network delivered
 * to it before the deleting commit. Judged on the deletes the commits apply (`SimKv.observeCommits`), not on
 * the `peer.log.prune {upTo}` the device reports (invariant:prune-after-all-acks reads that one: a prune
 * that deleted more than it reported passed it).
 */
export function logPrunedAfterAcksCheck(nodes: readonly string[]): Check {
  return claimCheck(PRUNE_NAME, nodes);
}
