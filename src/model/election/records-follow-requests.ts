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
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';
import type { TraceRecord } from '../../sim/trace.ts';

/** The invariant's name. */
export const RECORDS_FOLLOW_REQUESTS = 'invariant:records-follow-requests';

/** The store the election's tabs write (kv backend, root 'store'). */
const ROOT = 'store';
const DIRECTORY = 0;
/** Its object stores' names, made once (a name built per lookup is hashed again at each). */
const META_STORE = `${ROOT}:meta`;
const BLOCKS_STORE = `${ROOT}:blocks`;

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

/**
 * The blocks of the committed metadata `doc` (of commit `commit`) whose version was written after commit
 * `after` (v is the commit that wrote it), besides the directory: [name, v].
 */
function writtenSince(doc: unknown, commit: number, after: number): [string, number][] {
  const m = doc as { commit?: unknown; blocks?: unknown } | null;
  if (m === null || typeof m !== 'object' || m.commit !== commit || !Array.isArray(m.blocks)) return [];
  const out: [string, number][] = [];
  for (const row of m.blocks as unknown[]) {
    if (!Array.isArray(row) || row[0] === DIRECTORY || typeof row[1] !== 'number' || row[1] <= after || row[1] > commit) continue;
    out.push([`${String(row[0])}.${row[1]}`, row[1]]);
  }
  return out;
}

/** The check (one per scenario; state per run). */
export function recordsFollowRequests(): Check {
  const STATE = 'records-follow-requests';
  interface State {
    written: Written[];
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
    covers: [RECORDS_FOLLOW_REQUESTS],
    setup(ctx: ScenarioContext) {
      const st: State = { written: [], recorded: [], seen: new Map() };
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
        for (const [block, v] of writtenSince(kv.durableGet(META_STORE, 'meta'), commit, after)) {
          st.written.push({ device, commit: v, block, bytes: kv.durableGet(BLOCKS_STORE, block) });
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
      for (const w of st.written) {
        const rec = decodeKeyRecord(w.bytes);
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
