/**
 * invariant:records-follow-requests: every key record a commit of the election's store writes belongs to a
 * request that commit recorded. The tabs' store (src/impl/election/block-fenced-store.ts, "Key layout")
 * keeps each key's latest record in a block of its own, JSON `{key, value, epoch, writer, reqId}`, and
 * records the request id in the same commit (the block store's request records, `fact.request`). A record
 * that rides on a later commit without its request (a failed commit's writes left dirty in a kept
 * instance, then committed with the next write) puts a value in the store that no recorded request wrote:
 * a write its caller was told failed can take effect, and the store's content no longer follows its log.
 *
 * Evidence, all from the simulator: `fact.store` (root 'store', kv backend) says a commit is durable; the
 * check then reads that commit's metadata (`store:meta` key `meta`) and every block version it wrote
 * (`<id>.<v>` with v = the commit) from the device's durable kv image, decoding the key layout itself,
 * and holds each key record against the `fact.request` records of that commit (reqId, and the result's
 * key, value, epoch and writer). The directory (block 0) and records without a request id (the store's
 * API allows writes without one; the election's writes all carry one) are not judged. Judged at the end
 * of the run, once every request record of every commit has been read.
 *
 * invariant:requests-in-store, the converse, from the same evidence: every request a commit recorded is
 * in the store as of that commit, read by the documented layout: the directory (block 0, at its version
 * in that commit's metadata) maps the request's key to a block id, and that block's version written by
 * the same commit holds the key with the request's value. A store that records a write but files it
 * where no reader finds it (a key given the directory's own block, a directory that was not rewritten, a
 * record written under another key's block) loses an acknowledged write while every log looks right.
 * Judged for the commits seen exactly (a `fact.store` for each: every strict kv commit; relaxed commits
 * that become durable together are skipped, since their older block versions are gone from the metadata).
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';

/** The invariant's name. */
export const RECORDS_FOLLOW_REQUESTS = 'invariant:records-follow-requests';
/** The converse invariant's name (see the file comment). */
export const REQUESTS_IN_STORE = 'invariant:requests-in-store';

/** The store the election's tabs write (kv backend, root 'store'); its key directory is block 0. */
export const ROOT = 'store';
export const DIRECTORY = 0;
/** Its object stores' names, made once (a name built per lookup is hashed again at each). */
export const META_STORE = `${ROOT}:meta`;
export const BLOCKS_STORE = `${ROOT}:blocks`;

/** A key record as a block holds it. */
interface KeyRecord {
  key: unknown;
  value: unknown;
  epoch: unknown;
  writer: unknown;
  reqId: unknown;
}

/**
 * A block version a durable commit wrote: its bytes as the durable image held them, decoded at the end of
 * the run (`final`). Kept, not copied: the simulator's kv values are never mutated (a put stores a copy of
 * the caller's value, reads of the durable image share it read-only, and damage replaces a value rather
 * than writing into it), so the bytes decoded at the end are the bytes the commit left. Decoding them all
 * in one loop at the end costs a fraction of decoding each one between two simulator steps.
 */
interface Written {
  device: string;
  commit: number;
  block: string;
  bytes: unknown;
  /** Its key record, decoded once at the end of the run (undefined until then): see `recordOf`. */
  rec: KeyRecord | null | undefined;
}

/** The key record of a written block version, decoded once (both invariants read it at the end of the run). */
function recordOf(w: Written): KeyRecord | null {
  if (w.rec === undefined) w.rec = decodeKeyRecord(w.bytes);
  return w.rec;
}

/** A commit seen exactly (its `fact.store` followed the previous commit's): its directory block's bytes. */
interface Seen {
  device: string;
  commit: number;
  /** The directory's bytes at its version in this commit's metadata (undefined: the metadata lists none). */
  directory: unknown;
}

const utf8 = new TextDecoder();

/** A key record from a block's bytes (JSON, zero-padded), or null when it is not one. */
export function decodeKeyRecord(bytes: unknown): KeyRecord | null {
  if (!(bytes instanceof Uint8Array)) return null;
  // The JSON ends at the first zero byte (the padding): a record is far shorter than its block.
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  try {
    const v = JSON.parse(utf8.decode(bytes.subarray(0, end))) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && 'key' in v ? (v as KeyRecord) : null;
  } catch {
    return null;
  }
}

/** The version of the directory (block 0) in the committed metadata `doc`, or null. */
function directoryVersion(doc: unknown): number | null {
  const m = doc as { blocks?: unknown } | null;
  if (m === null || typeof m !== 'object' || !Array.isArray(m.blocks)) return null;
  for (const row of m.blocks as unknown[]) if (Array.isArray(row) && row[0] === DIRECTORY && typeof row[1] === 'number') return row[1];
  return null;
}

/**
 * Decoded directories by their bytes: a commit that adds no key leaves the directory's version, and so the
 * very bytes the durable image holds, unchanged (kv values are never mutated: see `Written`), so most
 * commits find it here instead of parsing it again.
 */
const directories = new WeakMap<Uint8Array, Record<string, unknown> | null>();

/** The key directory from its block's bytes (JSON object, zero-padded): key -> block id, or null. */
export function decodeDirectory(bytes: unknown): Record<string, unknown> | null {
  if (!(bytes instanceof Uint8Array)) return null;
  let d = directories.get(bytes);
  if (d === undefined) directories.set(bytes, (d = parseDirectory(bytes)));
  return d;
}

function parseDirectory(bytes: Uint8Array): Record<string, unknown> | null {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  try {
    const v = JSON.parse(utf8.decode(bytes.subarray(0, end))) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Appends to `out` the block versions the committed metadata `doc` (of commit `commit`) lists as written
 * after commit `after` (v is the commit that wrote it), besides the directory, in the metadata's order,
 * with their bytes as `bytesOf(name)` reads them (`<id>.<v>`).
 *
 * An indexed loop that pushes each entry: it ran at every durable commit, and iterating a list of
 * [name, v] pairs with `for (const [name, v] of ...)` cost about a quarter of this check's live time
 * (the destructuring iterates each pair through the iterator protocol).
 */
function pushWrittenSince(out: Written[], device: string, doc: unknown, commit: number, after: number, bytesOf: (block: string) => unknown): void {
  const m = doc as { commit?: unknown; blocks?: unknown } | null;
  if (m === null || typeof m !== 'object' || m.commit !== commit || !Array.isArray(m.blocks)) return;
  const rows = m.blocks as unknown[];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row[0] === DIRECTORY || typeof row[1] !== 'number' || row[1] <= after || row[1] > commit) continue;
    const block = `${String(row[0])}.${row[1]}`;
    out.push({ device, commit: row[1], block, bytes: bytesOf(block), rec: undefined });
  }
}

/** The check (one per scenario; state per run). */
export function recordsFollowRequests(): Check {
  const STATE = 'records-follow-requests';
  interface State {
    written: Written[];
    /** The commits seen exactly, in trace order. */
    exact: Seen[];
    /**
     * The `fact.request` records of the store, in trace order (their data: trace records are never
     * mutated), indexed at the end of the run (`requestsOf`): the index is only read there.
     */
    recorded: Record<string, unknown>[];
    /** device -> the last commit judged. */
    seen: Map<string, number>;
  }
  /** device -> commit -> reqId -> the recorded result, from the records in trace order. */
  const requestsOf = (recorded: readonly Record<string, unknown>[]): Map<string, Map<number, Map<string, Record<string, unknown>>>> => {
    const requests = new Map<string, Map<number, Map<string, Record<string, unknown>>>>();
    for (const d of recorded) {
      const device = String(d.device);
      let byCommit = requests.get(device);
      if (byCommit === undefined) requests.set(device, (byCommit = new Map()));
      let reqs = byCommit.get(d.commit as number);
      if (reqs === undefined) byCommit.set(d.commit as number, (reqs = new Map()));
      reqs.set(d.reqId as string, (d.result ?? {}) as Record<string, unknown>);
    }
    return requests;
  };
  const state = (ctx: ScenarioContext): State => ctx.runState.get(STATE) as State;
  return {
    name: RECORDS_FOLLOW_REQUESTS,
    covers: [RECORDS_FOLLOW_REQUESTS, REQUESTS_IN_STORE],
    setup(ctx: ScenarioContext) {
      const st: State = { written: [], exact: [], recorded: [], seen: new Map() };
      ctx.runState.set(STATE, st);
      ctx.trace.on('fact.store', (r: TraceRecord) => {
        const d = r.data;
        if (d.root !== ROOT || d.backend !== 'kv' || typeof d.marker !== 'number') return;
        const device = String(d.device);
        const commit = d.marker;
        const after = st.seen.get(device) ?? 0;
        if (after >= commit) return;
        st.seen.set(device, commit);
        const kv = ctx.sim.device(device).kv;
        const meta = kv.durableGet(META_STORE, 'meta');
        pushWrittenSince(st.written, device, meta, commit, after, (block) => kv.durableGet(BLOCKS_STORE, block));
        // Exactly the next commit of a device seen before (or its first): every block it wrote is listed.
        if (commit === after + 1 || after === 0) {
          const dv = directoryVersion(meta);
          st.exact.push({ device, commit, directory: dv === null ? undefined : kv.durableGet(BLOCKS_STORE, `${DIRECTORY}.${dv}`) });
        }
      });
      ctx.trace.on('fact.request', (r: TraceRecord) => {
        const d = r.data;
        if (d.root !== ROOT || typeof d.commit !== 'number' || typeof d.reqId !== 'string') return;
        st.recorded.push(d);
      });
    },
    final(ctx: ScenarioContext) {
      const st = state(ctx);
      const requests = requestsOf(st.recorded);
      if (!requestsInStore(ctx, st.exact, st.written, requests)) return;
      for (const w of st.written) {
        const rec = recordOf(w);
        if (rec === null || rec.reqId === null || rec.reqId === undefined) continue;
        ctx.exercised(RECORDS_FOLLOW_REQUESTS);
        const reqs = requests.get(w.device)?.get(w.commit);
        const result = reqs?.get(String(rec.reqId));
        const same = result !== undefined && result.key === rec.key && result.value === rec.value && result.epoch === rec.epoch && result.writer === rec.writer;
        if (same) continue;
        const recorded = reqs === undefined || reqs.size === 0 ? 'no request' : `only ${[...reqs.keys()].join(', ')}`;
        ctx.fail(
          'correctness',
          RECORDS_FOLLOW_REQUESTS,
          `commit ${w.commit} on ${w.device} wrote block ${w.block}: key '${String(rec.key)}' = '${String(rec.value)}' (epoch ${String(rec.epoch)}, ` +
            `${String(rec.writer)}) for request ${String(rec.reqId)}, but that commit recorded ${result === undefined ? recorded : `that request with another result (${JSON.stringify(result)})`}: ` +
            `the store holds a value no request it recorded wrote (a failed commit's write riding on a later one?)`,
          { device: w.device, commit: w.commit, block: w.block, reqId: rec.reqId },
        );
        return;
      }
    },
  };
}

/**
 * invariant:requests-in-store (see the file comment): false after a failure. `written` lists the block
 * versions each commit wrote (as the metadata names them, `<id>.<commit>`), `requests` each commit's
 * request records.
 */
function requestsInStore(
  ctx: ScenarioContext,
  exact: readonly Seen[],
  written: readonly Written[],
  requests: Map<string, Map<number, Map<string, Record<string, unknown>>>>,
): boolean {
  const blocks = new Map<string, Written>();
  for (const w of written) blocks.set(`${w.device}/${w.block}`, w);
  for (const c of exact) {
    const reqs = requests.get(c.device)?.get(c.commit);
    if (reqs === undefined) continue;
    const directory = decodeDirectory(c.directory);
    for (const [reqId, result] of reqs) {
      if (typeof result.key !== 'string') continue;
      ctx.exercised(REQUESTS_IN_STORE);
      const key = result.key;
      const id = directory?.[key];
      let found: string;
      if (directory === null) found = 'the directory (block 0) at that commit is not a key directory';
      else if (typeof id !== 'number' || id === DIRECTORY) found = `the directory maps '${key}' to ${JSON.stringify(id ?? null)}`;
      else {
        const w = blocks.get(`${c.device}/${id}.${c.commit}`);
        const rec = w === undefined ? null : recordOf(w);
        if (rec !== null && rec.key === key && someRequestWrote(reqs, key, rec.value)) continue;
        found =
          w?.bytes === undefined
            ? `the commit did not write block ${id}, where the directory files '${key}'`
            : `block ${id}.${c.commit}, where the directory files '${key}', holds ${rec === null ? 'no key record' : `key '${String(rec.key)}' = '${String(rec.value)}'`}`;
      }
      ctx.fail(
        'correctness',
        REQUESTS_IN_STORE,
        `commit ${c.commit} on ${c.device} recorded request ${reqId} (key '${key}' = '${String(result.value)}'), but read by the store's layout ${found}: ` +
          `an acknowledged write no reader finds`,
        { device: c.device, commit: c.commit, reqId, key },
      );
      return false;
    }
  }
  return true;
}

/** True when one of a commit's request results `reqs` wrote `value` under `key` (a loop, not a copy of the map's values per request). */
function someRequestWrote(reqs: ReadonlyMap<string, Record<string, unknown>>, key: string, value: unknown): boolean {
  for (const r of reqs.values()) if (r.key === key && r.value === value) return true;
  return false;
}
