/**
 * Ground truth of a provider sync run, kept from the trace's facts only: every provider's durable file
 * history (`fact.provider.file`), every library device's durable tracks (`fact.library.track`) and jobs
 * (`fact.library.job`). One per run (in `ctx.runState`), shared by the provider checks and liveness.
 */
import type { TraceContext, TraceRecord } from '../check.ts';

/** One durable state of a provider file. */
export interface FileState {
  rev: number;
  path: string;
  hash: string;
  deleted: boolean;
}

/** A library's durable track. */
export interface TrackState extends FileState {
  blob: string | null;
  blobRev: number | null;
  /** Its duplicate mark: the canonical file id of its group (invariant:duplicates-resolved), or null. */
  dupOf: string | null;
}

/** A library's durable job. */
export interface JobState {
  job: number;
  provider: string;
  state: string;
  cursor: string | null;
  items: number;
  /** Trace index of the record that made it reach this state. */
  at: number;
}

/** The truth of one run. */
export class ProviderTruth {
  /** Provider -> file id -> its durable states, oldest first (revisions increase). */
  readonly files = new Map<string, Map<string, FileState[]>>();
  /** Provider -> its largest durable revision (the feed's head). */
  readonly head = new Map<string, number>();
  /** Device -> `<provider>/<id>` -> durable track. */
  readonly tracks = new Map<string, Map<string, TrackState>>();
  /** Device -> job id -> durable job. */
  readonly jobs = new Map<string, Map<number, JobState>>();

  /** The provider's file states as of revision `seq`: file id -> latest state with rev <= seq. */
  asOf(provider: string, seq: number): Map<string, FileState> {
    const out = new Map<string, FileState>();
    for (const [id, history] of this.files.get(provider) ?? []) {
      let found: FileState | undefined;
      for (let i = history.length - 1; i >= 0; i--) {
        if (history[i]!.rev <= seq) {
          found = history[i];
          break;
        }
      }
      if (found !== undefined) out.set(id, found);
    }
    return out;
  }

  /** The durable tracks of `provider` on `device`: file id -> track. */
  tracksOf(device: string, provider: string): Map<string, TrackState> {
    const out = new Map<string, TrackState>();
    const prefix = `${provider}/`;
    for (const [k, t] of this.tracks.get(device) ?? []) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
    return out;
  }

  /** The latest job of `provider` on `device` (by id), or undefined. */
  lastJob(device: string, provider: string): JobState | undefined {
    let last: JobState | undefined;
    for (const j of this.jobs.get(device)?.values() ?? []) if (j.provider === provider && (last === undefined || j.job > last.job)) last = j;
    return last;
  }
}

const KEY = 'provider.truth';

/** The run's truth, subscribing to the facts on first use (call it from a check's `setup`). */
export function truthOf(ctx: TraceContext): ProviderTruth {
  let truth = ctx.runState.get(KEY) as ProviderTruth | undefined;
  if (truth !== undefined) return truth;
  const t = (truth = new ProviderTruth());
  ctx.runState.set(KEY, t);
  ctx.trace.on('fact.provider.file', (r) => {
    const d = r.data as { provider: string; id: string; rev: number; path: string; hash: string; deleted: boolean };
    let files = t.files.get(d.provider);
    if (files === undefined) t.files.set(d.provider, (files = new Map()));
    let history = files.get(d.id);
    if (history === undefined) files.set(d.id, (history = []));
    history.push({ rev: d.rev, path: d.path, hash: d.hash, deleted: d.deleted });
    t.head.set(d.provider, Math.max(t.head.get(d.provider) ?? 0, d.rev));
  });
  ctx.trace.on('fact.library.track', (r) => {
    const d = r.data as { device: string; provider: string; id: string; rev: number; path: string; hash: string; deleted: boolean; blob: string | null; blobRev: number | null; dupOf?: string | null };
    let tracks = t.tracks.get(d.device);
    if (tracks === undefined) t.tracks.set(d.device, (tracks = new Map()));
    tracks.set(`${d.provider}/${d.id}`, { rev: d.rev, path: d.path, hash: d.hash, deleted: d.deleted, blob: d.blob, blobRev: d.blobRev, dupOf: d.dupOf ?? null });
  });
  ctx.trace.on('fact.library.job', (r) => {
    const d = r.data as { device: string; job: number; provider: string; state: string; cursor: string | null; items: number };
    let jobs = t.jobs.get(d.device);
    if (jobs === undefined) t.jobs.set(d.device, (jobs = new Map()));
    const before = jobs.get(d.job);
    jobs.set(d.job, { job: d.job, provider: d.provider, state: d.state, cursor: d.cursor, items: d.items, at: before?.state === d.state ? before.at : r.i });
  });
  return t;
}

/** Calls `fn` once per job that becomes durably completed (`fact.library.job`), with its record. */
export function onCompletion(ctx: TraceContext, fn: (job: { device: string; provider: string; job: number; cursor: string | null }, r: TraceRecord) => void): void {
  const seen = new Set<string>();
  ctx.trace.on('fact.library.job', (r) => {
    const d = r.data as { device: string; provider: string; job: number; state: string; cursor: string | null };
    const key = `${d.device}#${d.job}`;
    if (d.state !== 'completed' || seen.has(key)) return;
    seen.add(key);
    fn({ device: d.device, provider: d.provider, job: d.job, cursor: d.cursor }, r);
  });
}

/** The seq of a cursor `<epoch>:<seq>` (the provider's documented format), or null. */
export function cursorSeq(cursor: string | null): number | null {
  const m = cursor === null ? null : /^\d+:(\d+)$/.exec(cursor);
  return m === null || m === undefined ? null : Number(m[1]);
}

/**
 * How the library's durable tracks of `provider` differ from the provider's files as of `seq` (at most
 * `max` differences, the first by file id, described), empty when they match: every file live as of `seq` is a live track with
 * its revision, path and hash; every other track is a tombstone. `ids`: judge only these file ids (the
 * others are known to match); all of them when absent.
 *
 * With `superseded`, a file the provider has changed again after `seq` (durably, by now) may be behind in
 * the library: the provider serves only a file's current content, so its state as of `seq` may no longer
 * be downloadable, and the newer change is in the feed after `seq`, where the next job starts. The
 * library must still not hold anything newer than `seq`, nor a file that was deleted as of `seq`. The ids
 * excused that way are added to `excused` when given.
 */
export function differences(
  truth: ProviderTruth,
  device: string,
  provider: string,
  seq: number,
  max = 3,
  superseded = false,
  ids?: Iterable<string>,
  excused?: Set<string>,
): string[] {
  const history = truth.files.get(provider);
  // Every difference, then the first `max` by file id: the same ones whichever files were judged.
  const found: [string, string][] = [];
  const add = (id: string, d: string | null): void => void (d !== null && found.push([id, d]));
  if (ids === undefined) {
    const files = truth.asOf(provider, seq);
    const tracks = truth.tracksOf(device, provider);
    for (const [id, f] of files) add(id, differenceOf(id, f, tracks.get(id), history?.get(id), seq, superseded, excused));
    for (const [id, t] of tracks) if (!files.has(id)) add(id, differenceOf(id, undefined, t, history?.get(id), seq, superseded, excused));
  } else {
    const tracks = truth.tracks.get(device);
    for (const id of ids) {
      const h = history?.get(id);
      add(id, differenceOf(id, h === undefined ? undefined : stateAsOf(h, seq), tracks?.get(`${provider}/${id}`), h, seq, superseded, excused));
    }
  }
  return found
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([, d]) => d);
}

/** The latest of a file's durable states with rev <= seq (states oldest first), or undefined. */
function stateAsOf(history: readonly FileState[], seq: number): FileState | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.rev <= seq) return history[i];
  return undefined;
}

/** How one file's track differs from the file as of `seq` (`f`: its state then, if it existed), or null. */
function differenceOf(
  id: string,
  f: FileState | undefined,
  t: TrackState | undefined,
  history: readonly FileState[] | undefined,
  seq: number,
  superseded: boolean,
  excused: Set<string> | undefined,
): string | null {
  const live = t !== undefined && !t.deleted;
  if (f === undefined) return live ? `the library holds ${id} live at rev ${t.rev}, which the provider did not have as of rev ${seq}` : null;
  if (f.deleted) return live ? `${id} was deleted at rev ${f.rev} but the library holds it live at rev ${t.rev}` : null;
  const movedOn = superseded && (history?.at(-1)?.rev ?? 0) > seq;
  if (movedOn && (t === undefined || t.rev <= f.rev) && !(t?.rev === f.rev && (t.path !== f.path || t.hash !== f.hash))) {
    excused?.add(id);
    return null;
  }
  if (!live) return `${id} is live at rev ${f.rev} (${f.path}) but the library ${t === undefined ? 'never stored it' : `holds a tombstone at rev ${t.rev}`}`;
  if (t.rev !== f.rev || t.path !== f.path || t.hash !== f.hash) return `${id} is at rev ${f.rev} (${f.path}, ${f.hash}) but the library holds rev ${t.rev} (${t.path}, ${t.hash})`;
  return null;
}
