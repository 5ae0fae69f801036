/**
 * The peer sync protocol: every message, and its validation.
 *
 * Every message is a JSON object with `type`, `library` (the library both ends sync) and `from` (the
 * sender's device id). Records travel as `{ u: uuid, w: writer, t: ts, d: data | null }` (d null: deleted).
 * A message is validated before anything in it is used; a malformed message, or one for another library,
 * is answered with an `Error` and never applied. See docs/peer-sync.md for the meaning and ordering rules.
 */
import type { Value } from '../env.ts';
import { isHlcString } from './hlc.ts';
import { compareKey, type Cursor, type SyncRecord } from './records.ts';

/** Limits every message is checked against. */
export const WIRE_LIMITS = {
  /** Records per batch message or response. */
  recordsMax: 5_000,
  /** Length of a uuid, device id or resource name. */
  idLengthMax: 64,
  /** Length of a record's data. */
  dataLengthMax: 65_536,
  /** Length of an error text. */
  textLengthMax: 1_024,
  /** Resources listed in a heartbeat. */
  resourcesMax: 64,
  /** Writers listed per resource in a heartbeat's `marks`. */
  writersMax: 256,
} as const;

interface Envelope {
  library: string;
  from: string;
}
/** One device-owned record changed (sent by its owner); `prev` is the owner's previous own key in the resource. */
export interface StateChangeMsg extends Envelope { type: 'StateChange'; resource: string; prev: Cursor | null; record: SyncRecord }
/** Several device-owned records changed in one transaction (sent by their owner), in key order. */
export interface StateBatchMsg extends Envelope { type: 'StateBatch'; resource: string; prev: Cursor | null; records: SyncRecord[] }
/** Asks for device-owned records of `resource` after `since` (written by `writer`, or all when null). */
export interface StateRequestMsg extends Envelope {
  type: 'StateRequest'; reqId: number; resource: string; writer: string | null; since: Cursor | null; limit: number;
}
/**
 * Answers a StateRequest: records in key order, and how many more match. `totals`: in the answer to a full
 * scan (`writer` null, a backfill), the number of records the responder holds per resource (null otherwise),
 * so a backfill knows what to expect of every resource from its first response.
 */
export interface StateResponseMsg extends Envelope {
  type: 'StateResponse'; reqId: number; resource: string; records: SyncRecord[]; hasMore: boolean; remaining: number;
  totals: Record<string, number> | null;
}
/** One shared change by its writer; `prev` is the writer's previous change in this resource (a chain). */
export interface SharedChangeMsg extends Envelope { type: 'SharedChange'; resource: string; prev: string | null; change: SyncRecord }
/** Several consecutive shared changes by their writer, in HLC order, chained from `prev`. */
export interface SharedChangeBatchMsg extends Envelope {
  type: 'SharedChangeBatch'; resource: string; prev: string | null; changes: SyncRecord[];
}
/**
 * Asks for shared records of `resource` changed after the HLC `since` (written by `writer`, or all when
 * null). Every shared change has an HLC of its own, so an HLC is a complete cursor here.
 */
export interface SharedChangeRequestMsg extends Envelope {
  type: 'SharedChangeRequest'; reqId: number; resource: string; writer: string | null; since: string | null; limit: number;
}
/**
 * Answers a SharedChangeRequest; `head` is the responder's latest own change in the resource when served;
 * `totals` as in StateResponse.
 */
export interface SharedChangeResponseMsg extends Envelope {
  type: 'SharedChangeResponse'; reqId: number; resource: string; changes: SyncRecord[]; hasMore: boolean; remaining: number;
  head: string | null;
  totals: Record<string, number> | null;
}
/** The sender holds (durably) every change of the receiver in `resource` up to `upTo`. */
export interface AckSharedChangesMsg extends Envelope { type: 'AckSharedChanges'; resource: string; upTo: string }
/**
 * Liveness, clock and watermark exchange. `boot` names the sender's process (a restart changes it; `seq`
 * counts per boot); `ready`: the sender holds a complete library (it serves backfills); `echo` returns the last heartbeat received from the addressee (for RTT); `latest`:
 * the sender's newest own key per resource; `digest`: a digest of its own stream per resource; `marks`:
 * per resource, per other writer, the sender's watermark for that writer (how far it holds the writer's
 * own stream completely, hence how far it can relay it).
 */
export interface HeartbeatMsg extends Envelope {
  type: 'Heartbeat'; boot: string; seq: number; ready: boolean; hlc: string; sentMs: number;
  echo: { boot: string; seq: number; sentMs: number; heldMs: number } | null;
  latest: Record<string, Cursor | null>;
  /** Per resource, the digest (`count:sum`) of the sender's own stream, for watermark adoption. */
  digest: Record<string, string>;
  /** Per resource, per writer other than the sender: the sender's watermark for that writer's stream. */
  marks: Record<string, Record<string, Cursor>>;
}
/** A message was rejected (or a request cannot be served). `ref` is the rejected message's type. */
export interface ErrorMsg extends Envelope { type: 'Error'; code: ErrorCode; message: string; ref: string | null; reqId: number | null }

/** Why a message was rejected. */
export type ErrorCode = 'malformed' | 'wrong-library' | 'clock-drift' | 'unknown-resource' | 'busy';

/** Any protocol message. */
export type PeerMessage =
  | StateChangeMsg | StateBatchMsg | StateRequestMsg | StateResponseMsg
  | SharedChangeMsg | SharedChangeBatchMsg | SharedChangeRequestMsg | SharedChangeResponseMsg
  | AckSharedChangesMsg | HeartbeatMsg | ErrorMsg;

/** The kind of data a resource holds. */
export type ResourceKind = 'owned' | 'shared';

/** The result of validation. */
export type Validated =
  | { ok: true; msg: PeerMessage }
  | { ok: false; code: ErrorCode; reason: string; type: string | null; reqId: number | null };

/** Everything the validator needs to know. */
export interface ValidationContext {
  library: string;
  resources: ReadonlyMap<string, ResourceKind>;
}

class Invalid extends Error {
  constructor(readonly code: ErrorCode, reason: string) {
    super(reason);
  }
}

type Obj = { readonly [key: string]: Value | undefined };

function obj(v: Value | undefined, field: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw new Invalid('malformed', `${field} must be an object`);
  return v as Obj;
}
function str(v: Value | undefined, field: string, max: number = WIRE_LIMITS.idLengthMax): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new Invalid('malformed', `${field} must be a string of 1..${max} chars`);
  return v;
}
function hlc(v: Value | undefined, field: string): string {
  if (!isHlcString(v)) throw new Invalid('malformed', `${field} must be an HLC string`);
  return v;
}
function optHlc(v: Value | undefined, field: string): string | null {
  return v === null ? null : hlc(v, field);
}
function int(v: Value | undefined, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Invalid('malformed', `${field} must be an integer in ${min}..${max}`);
  return v;
}
function num(v: Value | undefined, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid('malformed', `${field} must be a finite number`);
  return v;
}
function bool(v: Value | undefined, field: string): boolean {
  if (typeof v !== 'boolean') throw new Invalid('malformed', `${field} must be a boolean`);
  return v;
}
function cursor(v: Value | undefined, field: string): Cursor | null {
  if (v === null) return null;
  const o = obj(v, field);
  return { ts: hlc(o.ts, `${field}.ts`), uuid: str(o.uuid, `${field}.uuid`) };
}
function record(v: Value | undefined, field: string): SyncRecord {
  const o = obj(v, field);
  const d = o.d;
  if (d !== null && (typeof d !== 'string' || d.length > WIRE_LIMITS.dataLengthMax)) {
    throw new Invalid('malformed', `${field}.d must be null or a string of at most ${WIRE_LIMITS.dataLengthMax} chars`);
  }
  return { uuid: str(o.u, `${field}.u`), writer: str(o.w, `${field}.w`), ts: hlc(o.t, `${field}.t`), data: d };
}
function records(v: Value | undefined, field: string): SyncRecord[] {
  if (!Array.isArray(v) || v.length > WIRE_LIMITS.recordsMax) throw new Invalid('malformed', `${field} must be an array of at most ${WIRE_LIMITS.recordsMax}`);
  return (v as readonly Value[]).map((r, i) => record(r, `${field}[${i}]`));
}
function resource(v: Value | undefined, ctx: ValidationContext, kind: ResourceKind): string {
  const r = str(v, 'resource');
  const k = ctx.resources.get(r);
  if (k === undefined) throw new Invalid('unknown-resource', `resource '${r}' is not synced by this library`);
  if (k !== kind) throw new Invalid('malformed', `resource '${r}' holds ${k} data, not ${kind}`);
  return r;
}
/** Records of a change message must be written by its sender (only owners/writers broadcast their writes). */
function ownWrites(rs: SyncRecord[], from: string, field: string): SyncRecord[] {
  for (const r of rs) if (r.writer !== from) throw new Invalid('malformed', `${field}: record ${r.uuid} written by '${r.writer}', sent by '${from}'`);
  return rs;
}
function keyOrder(rs: SyncRecord[], field: string): SyncRecord[] {
  for (let i = 1; i < rs.length; i++) if (compareKey(rs[i - 1]!, rs[i]!) >= 0) throw new Invalid('malformed', `${field} must be in strictly increasing (ts, uuid) order`);
  return rs;
}
function ascending(rs: SyncRecord[], field: string): SyncRecord[] {
  for (let i = 1; i < rs.length; i++) if (!(rs[i - 1]!.ts < rs[i]!.ts)) throw new Invalid('malformed', `${field} must be in strictly increasing ts order`);
  return rs;
}

function parseBody(type: string, o: Obj, env: Envelope, ctx: ValidationContext): PeerMessage {
  const limit = (v: Value | undefined): number => int(v, 'limit', 1, WIRE_LIMITS.recordsMax);
  const reqId = (v: Value | undefined): number => int(v, 'reqId', 0, Number.MAX_SAFE_INTEGER);
  const writer = (v: Value | undefined): string | null => (v === null ? null : str(v, 'writer'));
  switch (type) {
    case 'StateChange':
      return { type, ...env, resource: resource(o.resource, ctx, 'owned'), prev: cursor(o.prev, 'prev'), record: ownWrites([record(o.record, 'record')], env.from, 'record')[0]! };
    case 'StateBatch':
      return { type, ...env, resource: resource(o.resource, ctx, 'owned'), prev: cursor(o.prev, 'prev'), records: keyOrder(ownWrites(records(o.records, 'records'), env.from, 'records'), 'records') };
    case 'StateRequest':
      return { type, ...env, reqId: reqId(o.reqId), resource: resource(o.resource, ctx, 'owned'), writer: writer(o.writer), since: cursor(o.since, 'since'), limit: limit(o.limit) };
    case 'StateResponse':
      return { type, ...env, reqId: reqId(o.reqId), resource: resource(o.resource, ctx, 'owned'), records: records(o.records, 'records'), hasMore: bool(o.hasMore, 'hasMore'), remaining: int(o.remaining, 'remaining', 0, Number.MAX_SAFE_INTEGER), totals: totals(o.totals, ctx) };
    case 'SharedChange':
      return { type, ...env, resource: resource(o.resource, ctx, 'shared'), prev: optHlc(o.prev, 'prev'), change: ownWrites([record(o.change, 'change')], env.from, 'change')[0]! };
    case 'SharedChangeBatch':
      return { type, ...env, resource: resource(o.resource, ctx, 'shared'), prev: optHlc(o.prev, 'prev'), changes: ascending(ownWrites(records(o.changes, 'changes'), env.from, 'changes'), 'changes') };
    case 'SharedChangeRequest':
      return { type, ...env, reqId: reqId(o.reqId), resource: resource(o.resource, ctx, 'shared'), writer: writer(o.writer), since: optHlc(o.since, 'since'), limit: limit(o.limit) };
    case 'SharedChangeResponse':
      return { type, ...env, reqId: reqId(o.reqId), resource: resource(o.resource, ctx, 'shared'), changes: records(o.changes, 'changes'), hasMore: bool(o.hasMore, 'hasMore'), remaining: int(o.remaining, 'remaining', 0, Number.MAX_SAFE_INTEGER), head: optHlc(o.head, 'head'), totals: totals(o.totals, ctx) };
    case 'AckSharedChanges':
      return { type, ...env, resource: resource(o.resource, ctx, 'shared'), upTo: hlc(o.upTo, 'upTo') };
    case 'Heartbeat':
      return { type, ...env, boot: str(o.boot, 'boot'), seq: int(o.seq, 'seq', 0, Number.MAX_SAFE_INTEGER), ready: bool(o.ready, 'ready'), hlc: hlc(o.hlc, 'hlc'), sentMs: num(o.sentMs, 'sentMs'), echo: echo(o.echo), latest: latest(o.latest, ctx), digest: digests(o.digest, ctx), marks: marks(o.marks, ctx, env.from) };
    case 'Error':
      return { type, ...env, code: errorCode(o.code), message: str(o.message, 'message', WIRE_LIMITS.textLengthMax), ref: o.ref === null ? null : str(o.ref, 'ref'), reqId: o.reqId === null ? null : reqId(o.reqId) };
    default:
      throw new Invalid('malformed', `unknown message type '${type}'`);
  }
}

function echo(v: Value | undefined): HeartbeatMsg['echo'] {
  if (v === null) return null;
  const o = obj(v, 'echo');
  return { boot: str(o.boot, 'echo.boot'), seq: int(o.seq, 'echo.seq', 0, Number.MAX_SAFE_INTEGER), sentMs: num(o.sentMs, 'echo.sentMs'), heldMs: num(o.heldMs, 'echo.heldMs') };
}
function latest(v: Value | undefined, ctx: ValidationContext): Record<string, Cursor | null> {
  const o = obj(v, 'latest');
  const keys = Object.keys(o);
  if (keys.length > WIRE_LIMITS.resourcesMax) throw new Invalid('malformed', `latest lists more than ${WIRE_LIMITS.resourcesMax} resources`);
  const out: Record<string, Cursor | null> = {};
  for (const k of keys) {
    if (!ctx.resources.has(k)) throw new Invalid('unknown-resource', `latest: resource '${k}' is not synced by this library`);
    out[k] = cursor(o[k], `latest.${k}`);
  }
  return out;
}
function digests(v: Value | undefined, ctx: ValidationContext): Record<string, string> {
  const o = obj(v, 'digest');
  const out: Record<string, string> = {};
  for (const k of Object.keys(o)) {
    if (!ctx.resources.has(k)) throw new Invalid('unknown-resource', `digest: resource '${k}' is not synced by this library`);
    out[k] = str(o[k], `digest.${k}`);
  }
  return out;
}
function totals(v: Value | undefined, ctx: ValidationContext): Record<string, number> | null {
  if (v === null) return null;
  const o = obj(v, 'totals');
  const keys = Object.keys(o);
  if (keys.length > WIRE_LIMITS.resourcesMax) throw new Invalid('malformed', `totals lists more than ${WIRE_LIMITS.resourcesMax} resources`);
  const out: Record<string, number> = {};
  for (const k of keys) {
    if (!ctx.resources.has(k)) throw new Invalid('unknown-resource', `totals: resource '${k}' is not synced by this library`);
    out[k] = int(o[k], `totals.${k}`, 0, Number.MAX_SAFE_INTEGER);
  }
  return out;
}
function marks(v: Value | undefined, ctx: ValidationContext, from: string): Record<string, Record<string, Cursor>> {
  const o = obj(v, 'marks');
  const keys = Object.keys(o);
  if (keys.length > WIRE_LIMITS.resourcesMax) throw new Invalid('malformed', `marks lists more than ${WIRE_LIMITS.resourcesMax} resources`);
  const out: Record<string, Record<string, Cursor>> = {};
  for (const k of keys) {
    if (!ctx.resources.has(k)) throw new Invalid('unknown-resource', `marks: resource '${k}' is not synced by this library`);
    const byWriter = obj(o[k], `marks.${k}`);
    const writers = Object.keys(byWriter);
    if (writers.length > WIRE_LIMITS.writersMax) throw new Invalid('malformed', `marks.${k} lists more than ${WIRE_LIMITS.writersMax} writers`);
    // Writer ids come from the wire: a null-prototype object, so no id (e.g. '__proto__') is special.
    const m = Object.create(null) as Record<string, Cursor>;
    for (const w of writers) {
      str(w, `marks.${k} writer`);
      if (w === from) throw new Invalid('malformed', `marks.${k} lists the sender itself (its own stream is in 'latest')`);
      const c = cursor(byWriter[w], `marks.${k}.${w}`);
      if (c === null) throw new Invalid('malformed', `marks.${k}.${w} must be a cursor`);
      m[w] = c;
    }
    out[k] = m;
  }
  return out;
}
const ERROR_CODES: readonly ErrorCode[] = ['malformed', 'wrong-library', 'clock-drift', 'unknown-resource', 'busy'];
function errorCode(v: Value | undefined): ErrorCode {
  if (typeof v !== 'string' || !(ERROR_CODES as readonly string[]).includes(v)) throw new Invalid('malformed', `code must be one of ${ERROR_CODES.join(', ')}`);
  return v as ErrorCode;
}

/**
 * Validates a received value as a protocol message for `ctx.library`. `sender`, when known (a connection's
 * peer), must match the message's `from`.
 */
export function validateMessage(v: Value, ctx: ValidationContext, sender: string | null): Validated {
  let type: string | null = null;
  let reqIdSeen: number | null = null;
  try {
    const o = obj(v, 'message');
    type = str(o.type, 'type');
    if (typeof o.reqId === 'number' && Number.isSafeInteger(o.reqId)) reqIdSeen = o.reqId;
    const library = str(o.library, 'library');
    const from = str(o.from, 'from');
    if (library !== ctx.library) throw new Invalid('wrong-library', `message for library '${library}', this is '${ctx.library}'`);
    if (sender !== null && from !== sender) throw new Invalid('malformed', `from '${from}' does not match the connection's peer '${sender}'`);
    return { ok: true, msg: parseBody(type, o, { library, from }, ctx) };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    return { ok: false, code: e.code, reason: e.message, type, reqId: reqIdSeen };
  }
}

/** Encodes a message for the wire (records become compact `{u, w, t, d}` objects). */
export function encodeMessage(m: PeerMessage): Value {
  const rec = (r: SyncRecord): Value => ({ u: r.uuid, w: r.writer, t: r.ts, d: r.data });
  const cur = (c: Cursor | null): Value => (c === null ? null : { ts: c.ts, uuid: c.uuid });
  switch (m.type) {
    case 'StateChange':
      return { ...m, prev: cur(m.prev), record: rec(m.record) };
    case 'StateBatch':
      return { ...m, prev: cur(m.prev), records: m.records.map(rec) };
    case 'StateResponse':
      return { ...m, records: m.records.map(rec), totals: m.totals === null ? null : { ...m.totals } };
    case 'SharedChange':
      return { ...m, change: rec(m.change) };
    case 'SharedChangeBatch':
      return { ...m, changes: m.changes.map(rec) };
    case 'SharedChangeResponse':
      return { ...m, changes: m.changes.map(rec), totals: m.totals === null ? null : { ...m.totals } };
    case 'StateRequest':
      return { ...m, since: cur(m.since) };
    case 'Heartbeat':
      return {
        ...m,
        latest: { ...m.latest } as Value,
        digest: { ...m.digest },
        marks: Object.fromEntries(Object.entries(m.marks).map(([r, ws]) => [r, Object.fromEntries(Object.entries(ws).map(([w, c]) => [w, cur(c)]))])),
        echo: m.echo === null ? null : { ...m.echo },
      };
    default:
      return { ...m };
  }
}
