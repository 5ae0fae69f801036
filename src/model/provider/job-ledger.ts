/**
 * What the evidence shows each sync job did, kept from facts only (one per run, in `ctx.runState`, shared by
 * `invariant:writes-inside-job`, `invariant:job-progress`, `invariant:downloads-once` and
 * `invariant:respects-retry-after`):
 *
 * - when a job of a provider is durably running on a library's device (`fact.library.job`: from its first
 *   `running` record to its end record), per `<device>|<provider>`, the running one and the spans of the
 *   ended ones;
 * - what the network delivered for the running job: the entries of its listing and change pages
 *   (`fact.provider.reply` `entries`, deletions excluded: they are no work item), and the contents of its
 *   downloads (`op: 'Content'`, with `fileId`, `rev` and the data's `size`), each attributed to the job by
 *   when its request was sent (`fact.provider.request` `sentUs`): a request sent before the job's running
 *   record is an earlier job's, delivered late;
 * - its durable live track writes (`fact.library.track`), and the bytes of those written from a content
 *   delivered for it (each file revision once);
 * - whether the process that ran it went down before it ended (`node.crash`, `node.stop`): then its end
 *   record is the next process's recovery, which cannot know the counts.
 *
 * Every library request is remembered by `<library>><provider>#<reqId>` (a request id is reused by the
 * library's next process: a new request replaces the old one), so a reply finds what it answers.
 */
import { devicesOf, type TraceCheck, type TraceContext } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import type { D } from './check-options.ts';

/** A request a library sent to a provider, as delivered. */
export interface Asked {
  op: string;
  /** What it asks for: `t:<page token>`, `c:<cursor>` or `d:<fileId>@<rev>`. */
  key: string;
  sentUs: number;
}

/** What the evidence shows one job did. */
export interface Ledger {
  device: string;
  provider: string;
  job: number;
  /** When its running record became durable (µs). */
  sinceUs: number;
  /** The process that ran it went down before its end record. */
  interrupted: boolean;
  /** `<fileId>@<rev>` -> how many entries of the job's delivered pages name it (deletions excluded). */
  entries: Map<string, number>;
  /** The sum of `entries`. */
  entryCount: number;
  /** `<fileId>@<rev>` -> when each content delivered for the job's downloads of it arrived (µs). */
  contents: Map<string, number[]>;
  /** `<fileId>@<rev>` -> the size of its delivered content. */
  sizes: Map<string, number>;
  /** File revisions durably written live from a content delivered for the job. */
  written: Set<string>;
  /** The sum of their sizes: what the job downloaded and applied. */
  bytes: number;
  /** Durable live track writes (downloads and moves) while the job ran. */
  liveWrites: number;
}

/** A content delivered for a job's download: its file revision, the request's send time, earlier deliveries. */
export interface Delivered {
  key: string;
  sentUs: number;
  /** Deliveries of the same file revision for the job before this one (µs). */
  before: readonly number[];
}

/** The ledgers of one run. */
export interface JobLedgers {
  /** `<device>|<provider>` -> the ledger of its durably running job. */
  readonly open: ReadonlyMap<string, Ledger>;
  /** The device of a node (itself when unknown). */
  deviceOf(node: string): string;
  /** True when a job of `provider` was durably running on `device` at `us` (its end included). */
  runningAt(device: string, provider: string, us: number): boolean;
  /** The delivered request `reqId` of `library` to `provider`. */
  asked(library: string, provider: string, reqId: number): Asked | undefined;
  /** Calls `fn` at each durable end of a job, with its ledger (after the ledgers saw the record). */
  onEnd(fn: (l: Ledger, state: string, rec: TraceRecord) => void): void;
  /** Calls `fn` at each content delivered for a running job's download (after it was counted). */
  onContent(fn: (l: Ledger, c: Delivered, rec: TraceRecord) => void): void;
  /** What the trace lacks that the ledgers need (a Content reply without its size: an older trace), or null. */
  readonly lacking: string | null;
}

const KEY = 'provider.job-ledgers';
const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** What a request asks for (see `Asked.key`). */
export function askedKey(d: D): string {
  if (d.op === 'Download') return `d:${d.fileId as string}@${d.rev as number}`;
  return d.op === 'ListFiles' ? `t:${d.pageToken as string | null}` : `c:${d.cursor as string | null}`;
}

/** The run's ledgers, subscribing to the facts on first use (call it first in a check's `setup`). */
export function ledgersOf(ctx: TraceContext, libraries: readonly string[]): JobLedgers {
  const existing = ctx.runState.get(KEY) as JobLedgers | undefined;
  if (existing !== undefined) return existing;
  const devices = devicesOf(ctx);
  const libs = new Set(libraries);
  const open = new Map<string, Ledger>();
  const spans = new Map<string, [number, number][]>();
  const requests = new Map<string, Asked>();
  const ends: ((l: Ledger, state: string, rec: TraceRecord) => void)[] = [];
  const contents: ((l: Ledger, c: Delivered, rec: TraceRecord) => void)[] = [];
  const deviceOf = (node: string): string => devices.get(node) ?? node;
  const ledgers: { -readonly [K in keyof JobLedgers]: JobLedgers[K] } = {
    lacking: null,
    open,
    deviceOf,
    runningAt(device, provider, us) {
      const key = `${device}|${provider}`;
      const l = open.get(key);
      if (l !== undefined && us >= l.sinceUs) return true;
      return (spans.get(key) ?? []).some(([from, to]) => us >= from && us <= to);
    },
    asked: (library, provider, reqId) => requests.get(`${library}>${provider}#${reqId}`),
    onEnd: (fn) => void ends.push(fn),
    onContent: (fn) => void contents.push(fn),
  };
  ctx.runState.set(KEY, ledgers);
  const down = (r: TraceRecord): void => {
    if (!libs.has(r.node)) return;
    for (const l of open.values()) if (l.device === deviceOf(r.node)) l.interrupted = true;
  };
  ctx.trace.on('node.crash', down);
  ctx.trace.on('node.stop', down);
  ctx.trace.on('fact.library.job', (r) => {
    const d = r.data as D;
    const key = `${d.device as string}|${d.provider as string}`;
    const l = open.get(key);
    if (d.state === 'running' && l?.job !== d.job) {
      open.set(key, {
        device: d.device as string, provider: d.provider as string, job: d.job as number, sinceUs: r.t, interrupted: false,
        entries: new Map(), entryCount: 0, contents: new Map(), sizes: new Map(), written: new Set(), bytes: 0, liveWrites: 0,
      });
    } else if (ENDED.has(d.state as string) && l !== undefined && l.job === d.job) {
      open.delete(key);
      let list = spans.get(key);
      if (list === undefined) spans.set(key, (list = []));
      list.push([l.sinceUs, r.t]);
      for (const fn of ends) fn(l, d.state as string, r);
    }
  });
  // `<device>|<provider>/<id>` -> the revision and state of its last durable track write: a rewrite of
  // both (a duplicate mark, invariant:duplicates-resolved) is no item.
  const tracks = new Map<string, string>();
  ctx.trace.on('fact.library.track', (r) => {
    const d = r.data as D;
    const at = `${d.rev as number}${d.deleted === true ? 'x' : ''}`;
    const track = `${d.device as string}|${d.provider as string}/${d.id as string}`;
    const same = tracks.get(track) === at;
    tracks.set(track, at);
    const l = open.get(`${d.device as string}|${d.provider as string}`);
    if (l === undefined || d.deleted === true || same) return;
    l.liveWrites++;
    const key = `${d.id as string}@${d.rev as number}`;
    const size = l.sizes.get(key);
    if (size === undefined || l.written.has(key)) return;
    l.written.add(key);
    l.bytes += size;
  });
  ctx.trace.on('fact.provider.request', (r) => {
    const d = r.data as D;
    if (libs.has(d.from as string)) requests.set(`${d.from as string}>${d.to as string}#${d.reqId as number}`, { op: d.op as string, key: askedKey(d), sentUs: d.sentUs as number });
  });
  ctx.trace.on('fact.provider.reply', (r) => {
    const d = r.data as D;
    if (!libs.has(d.to as string)) return;
    const q = requests.get(`${d.to as string}>${d.from as string}#${d.reqId as number}`);
    const l = open.get(`${deviceOf(d.to as string)}|${d.from as string}`);
    if (q === undefined || l === undefined || q.sentUs < l.sinceUs) return;
    if (d.op === 'Files' || d.op === 'Changes') {
      for (const [id, rev, deleted] of (d.entries as [string, number, boolean][] | undefined) ?? []) {
        if (deleted) continue;
        const key = `${id}@${rev}`;
        l.entries.set(key, (l.entries.get(key) ?? 0) + 1);
        l.entryCount++;
      }
    } else if (d.op === 'Content') {
      if (typeof d.size !== 'number' || typeof d.fileId !== 'string') {
        ledgers.lacking ??= `record 'fact.provider.reply' of a Content lacks its 'fileId', 'rev' or 'size' (trace #${r.i})`;
        return;
      }
      const key = `${d.fileId as string}@${d.rev as number}`;
      const before = l.contents.get(key) ?? [];
      l.contents.set(key, [...before, r.t]);
      l.sizes.set(key, d.size);
      for (const fn of contents) fn(l, { key, sentUs: q.sentUs, before }, r);
    }
  });
  return ledgers;
}

/**
 * A check named `name` (its only invariant) set up with the run's ledgers of `libraries`: `setup` gets the
 * context, the ledgers and the libraries as a set.
 */
export function ledgerCheck(name: string, libraries: readonly string[], setup: (ctx: TraceContext, ledgers: JobLedgers, libs: ReadonlySet<string>) => void): TraceCheck {
  return { onTrace: true, name, covers: [name], setup: (ctx) => setup(ctx, ledgersOf(ctx, libraries), new Set(libraries)) };
}
