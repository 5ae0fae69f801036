/**
 * A simulated cloud storage provider: a server node with its own durable state (files with ids, metadata
 * and content hashes, a change feed), serving a paged full listing, the change feed by cursor and
 * downloads over connections (messages.ts). It misbehaves as real providers do: cursors expire when the
 * feed is trimmed or reset (410), requests are rate limited (429 with retry-after) or fail (5xx) at
 * configured rates, and the listing trails the feed (it is served from an index updated `listingLagMs`
 * after each change).
 *
 * Durable layout (kv, strict commits; decoded independently by src/evidence/provider-feed.ts):
 *   files/<id>  {id, path, hash, size, rev, deleted, data}   a file's latest state (deleted ones kept)
 *   feed/<seq>  {seq, op, id, path, hash, size, rev}         the change feed, `feedMax` newest entries
 *   meta/head   the last seq;  meta/epoch  the feed's epoch (a reset bumps it);  meta/floor  the first seq kept
 * Everything it serves is durable first: a change is visible (feed, downloads, index) once its commit resolved.
 */
import type { Connection, Env, KvTx, Value } from '../env.ts';
import { contentHash } from './hash.ts';
import { decodeRequest, formatCursor, parseCursor, type Change, type ChangeOp, type ErrorStatus, type FileMeta, type ProviderReply, type ProviderRequest } from './messages.ts';
import { resolveErrorRates, resolveProviderOptions, type ErrorRates, type ProviderServerConfig, type ProviderServerOptions } from './options.ts';

/** A file as the provider stores it. */
interface FileRec extends FileMeta {
  deleted: boolean;
  data: string;
}

/** What the workload (the provider's users) and the checks can do with a provider. */
export interface ProviderHandle {
  /** Creates `path` (added) or replaces its content (modified); resolves with the file id once durable. */
  put(path: string, data: string): Promise<string>;
  /** Deletes a live file; resolves once durable. */
  remove(id: string): Promise<void>;
  /** Moves a live file to a free path; resolves once durable. */
  move(id: string, path: string): Promise<void>;
  /** Resets the change feed: every cursor handed out so far expires (410). */
  resetFeed(): Promise<void>;
  /** Changes the error rates from now on. */
  setErrors(errors: ErrorRates): void;
  /** Live files, by id. */
  live(): FileMeta[];
  /** The feed's head cursor. */
  headCursor(): string;
}

const fileId = (seq: number): string => `f${String(seq).padStart(8, '0')}`;
const metaOf = (f: FileRec): FileMeta => ({ id: f.id, path: f.path, hash: f.hash, size: f.size, rev: f.rev });

/** Index of the first element of sorted `ids` that is > `after`. */
function upperBound(ids: readonly string[], after: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Starts a provider node; resolves with its handle once its durable state is loaded. */
export async function startProvider(env: Env, options: ProviderServerOptions = {}): Promise<ProviderHandle> {
  const server = new ProviderServer(env, resolveProviderOptions(options));
  await server.load();
  if (server.head === 0 && server.cfg.seedFiles > 0) {
    await server.seed();
    server.catchUpIndex(); // the provider's content before anyone syncs: no lag to show
  }
  server.listen();
  env.trace.emit('provider.server.ready', { files: server.liveCount(), head: server.head, epoch: server.epoch });
  return server.handle();
}

class ProviderServer {
  head = 0;
  epoch = 0;
  /** First seq the feed still holds (head + 1 when empty). */
  floor = 1;
  private readonly files = new Map<string, FileRec>();
  private readonly byPath = new Map<string, string>();
  /** The feed in memory, oldest first: feed[i].seq = floor + i. */
  private feed: Change[] = [];
  /** The listing index: live files as of `indexedSeq`, ids sorted. */
  private readonly index = new Map<string, FileMeta>();
  private indexIds: string[] = [];
  private indexedSeq = 0;
  /** Changes not in the index yet, with the monotonic ms they are due. */
  private readonly indexQueue: { change: Change; dueMs: number }[] = [];
  private indexTimer: number | null = null;
  /** Mutations run one at a time, in call order. */
  private chain: Promise<unknown> = Promise.resolve();
  private errors: Required<ErrorRates>;

  constructor(
    private readonly env: Env,
    readonly cfg: ProviderServerConfig,
  ) {
    this.errors = cfg.errors;
  }

  liveCount(): number {
    return this.byPath.size;
  }

  async load(): Promise<void> {
    await this.env.kv.transaction(['files', 'feed', 'meta'], 'readonly', async (tx) => {
      this.head = ((await tx.get('meta', 'head')) as number | undefined) ?? 0;
      this.epoch = ((await tx.get('meta', 'epoch')) as number | undefined) ?? 0;
      this.floor = ((await tx.get('meta', 'floor')) as number | undefined) ?? 1;
      for (const k of await tx.keys('files')) {
        const f = (await tx.get('files', k)) as unknown as FileRec;
        this.files.set(f.id, f);
        if (!f.deleted) this.byPath.set(f.path, f.id);
      }
      for (const k of await tx.keys('feed')) this.feed.push((await tx.get('feed', k)) as unknown as Change);
    });
    // A restarted provider's index is caught up with its durable state.
    for (const f of this.files.values()) if (!f.deleted) this.index.set(f.id, metaOf(f));
    this.indexIds = [...this.index.keys()].sort();
    this.indexedSeq = this.head;
  }

  /** Creates `seedFiles` files in one transaction (the provider's content before the library first syncs). */
  async seed(): Promise<void> {
    const changes: { rec: FileRec; change: Change }[] = [];
    for (let seq = 1; seq <= this.cfg.seedFiles; seq++) {
      const data = `seed-${seq}`;
      const rec: FileRec = { id: fileId(seq), path: `/music/seed-${String(seq).padStart(6, '0')}.mp3`, hash: contentHash(data), size: data.length, rev: seq, deleted: false, data };
      changes.push({ rec, change: { ...metaOf(rec), seq, op: 'added' } });
    }
    await this.commit(changes);
  }

  listen(): void {
    this.env.net.listen((conn) => conn.onMessage((m) => this.serve(conn, m)));
  }

  /** Makes `changes` (consecutive seqs after head) durable, then visible. */
  private async commit(changes: readonly { rec: FileRec; change: Change }[]): Promise<void> {
    const last = changes[changes.length - 1]!.change.seq;
    const overflow = Math.max(0, this.feed.length + changes.length - this.cfg.feedMax);
    const floor = this.floor + overflow;
    await this.env.kv.transaction(['files', 'feed', 'meta'], 'readwrite', async (tx) => {
      for (const { rec, change } of changes) {
        await tx.put('files', rec.id, rec as unknown as Value);
        if (change.seq >= floor) await tx.put('feed', change.seq, change as unknown as Value);
      }
      for (let s = this.floor; s < Math.min(floor, changes[0]!.change.seq); s++) await tx.delete('feed', s);
      await tx.put('meta', 'head', last);
      if (floor !== this.floor) await tx.put('meta', 'floor', floor);
    }, { durability: 'strict' });
    for (const { rec, change } of changes) {
      const before = this.files.get(rec.id);
      if (before !== undefined && !before.deleted) this.byPath.delete(before.path);
      this.files.set(rec.id, rec);
      if (!rec.deleted) this.byPath.set(rec.path, rec.id);
      this.feed.push(change);
      this.toIndex(change);
    }
    // The oldest entries leave the feed only when it overflows (copying it on every commit made a run of
    // n changes over a large feed quadratic).
    if (overflow > 0) this.feed = this.feed.slice(overflow);
    this.floor = floor;
    this.head = last;
  }

  /** Runs a mutation after the earlier ones. */
  private mutate<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private change(rec: Omit<FileRec, 'rev'>, op: ChangeOp): Promise<void> {
    const seq = this.head + 1;
    const full: FileRec = { ...rec, rev: seq };
    return this.commit([{ rec: full, change: { ...metaOf(full), seq, op } }]);
  }

  private liveFile(id: string): FileRec {
    const f = this.files.get(id);
    if (f === undefined || f.deleted) throw new RangeError(`provider: no live file ${id}`);
    return f;
  }

  put(path: string, data: string): Promise<string> {
    return this.mutate(async () => {
      const existing = this.byPath.get(path);
      const id = existing ?? fileId(this.head + 1);
      await this.change({ id, path, hash: contentHash(data), size: data.length, deleted: false, data }, existing === undefined ? 'added' : 'modified');
      return id;
    });
  }

  remove(id: string): Promise<void> {
    return this.mutate(() => this.change({ ...this.liveFile(id), deleted: true, data: '' }, 'deleted'));
  }

  move(id: string, path: string): Promise<void> {
    return this.mutate(() => {
      if (this.byPath.has(path)) throw new RangeError(`provider: ${path} exists`);
      return this.change({ ...this.liveFile(id), path }, 'moved');
    });
  }

  resetFeed(): Promise<void> {
    return this.mutate(async () => {
      const epoch = this.epoch + 1;
      const floor = this.head + 1;
      await this.env.kv.transaction(['feed', 'meta'], 'readwrite', async (tx: KvTx) => {
        for (const c of this.feed) await tx.delete('feed', c.seq);
        await tx.put('meta', 'epoch', epoch);
        await tx.put('meta', 'floor', floor);
      }, { durability: 'strict' });
      this.epoch = epoch;
      this.floor = floor;
      this.feed = [];
      this.env.trace.emit('provider.server.reset', { epoch, floor });
    });
  }

  /** Queues a committed change for the listing index (applied `listingLagMs` later, in order). */
  private toIndex(change: Change): void {
    this.indexQueue.push({ change, dueMs: this.env.clock.monotonic() + this.cfg.listingLagMs });
    if (this.cfg.listingLagMs === 0) this.drainIndex();
    else if (this.indexTimer === null) this.armIndex();
  }

  private armIndex(): void {
    const next = this.indexQueue[0];
    if (next === undefined) return;
    this.indexTimer = this.env.clock.setTimeout(() => {
      this.indexTimer = null;
      this.drainIndex();
      this.armIndex();
    }, Math.max(0, next.dueMs - this.env.clock.monotonic()));
  }

  /** Applies every queued change to the index now. */
  catchUpIndex(): void {
    this.drainIndex(Infinity);
  }

  private drainIndex(now = this.env.clock.monotonic()): void {
    while (this.indexQueue.length > 0 && this.indexQueue[0]!.dueMs <= now) {
      const { change } = this.indexQueue.shift()!;
      const at = upperBound(this.indexIds, change.id) - 1;
      const present = at >= 0 && this.indexIds[at] === change.id;
      if (change.op === 'deleted') {
        this.index.delete(change.id);
        if (present) this.indexIds.splice(at, 1);
      } else {
        this.index.set(change.id, { id: change.id, path: change.path, hash: change.hash, size: change.size, rev: change.rev });
        if (!present) this.indexIds.splice(at + 1, 0, change.id);
      }
      this.indexedSeq = change.seq;
    }
  }

  /** Answers one request (synchronously, from durable state). */
  private serve(conn: Connection, message: Value): void {
    const req = decodeRequest(message);
    if (req === null || !conn.open) return;
    conn.send(this.answer(req) as unknown as Value);
  }

  private answer(req: ProviderRequest): ProviderReply {
    const injected = this.drawError();
    if (injected !== null) return { type: 'Error', reqId: req.reqId, status: injected, retryAfterMs: injected === 429 ? this.errors.retryAfterMs : null };
    switch (req.type) {
      case 'ListFiles':
        return this.list(req.reqId, req.pageToken);
      case 'GetChanges':
        return this.changes(req.reqId, req.cursor);
      case 'Download': {
        const f = this.files.get(req.fileId);
        if (f === undefined || f.deleted || f.rev !== req.rev) return { type: 'Error', reqId: req.reqId, status: 404, retryAfterMs: null };
        return { type: 'Content', reqId: req.reqId, fileId: f.id, rev: f.rev, data: f.data };
      }
    }
  }

  private drawError(): ErrorStatus | null {
    const { rate429, rate5xx } = this.errors;
    if (rate429 === 0 && rate5xx === 0) return null;
    const r = this.env.random.float();
    if (r < rate429) return 429;
    if (r < rate429 + rate5xx) return r < rate429 + rate5xx / 2 ? 500 : 503;
    return null;
  }

  /** A page of the listing: `<epoch>:<asOf>:<afterId>` tokens; a token of an older epoch expired. */
  private list(reqId: number, token: string | null): ProviderReply {
    let asOf = this.indexedSeq;
    let after = '';
    if (token !== null) {
      const m = /^(\d+):(\d+):(.*)$/.exec(token);
      if (m === null || Number(m[1]) !== this.epoch) return { type: 'Error', reqId, status: 410, retryAfterMs: null };
      asOf = Number(m[2]);
      after = m[3]!;
    }
    const from = upperBound(this.indexIds, after);
    const ids = this.indexIds.slice(from, from + this.cfg.pageSize);
    const entries = ids.map((id) => this.index.get(id)!);
    const more = from + ids.length < this.indexIds.length;
    return { type: 'Files', reqId, entries, next: more ? `${this.epoch}:${asOf}:${ids[ids.length - 1]!}` : null, asOf: formatCursor(this.epoch, asOf) };
  }

  private changes(reqId: number, cursor: string | null): ProviderReply {
    if (cursor === null) return { type: 'Changes', reqId, entries: [], cursor: formatCursor(this.epoch, this.head), hasMore: false };
    const c = parseCursor(cursor);
    if (c === null || c.epoch !== this.epoch || c.seq < this.floor - 1 || c.seq > this.head) return { type: 'Error', reqId, status: 410, retryAfterMs: null };
    const start = c.seq + 1 - this.floor;
    const entries = this.feed.slice(start, start + this.cfg.pageSize);
    const last = entries.length === 0 ? c.seq : entries[entries.length - 1]!.seq;
    return { type: 'Changes', reqId, entries, cursor: formatCursor(this.epoch, last), hasMore: last < this.head };
  }

  handle(): ProviderHandle {
    return {
      put: (path, data) => this.put(path, data),
      remove: (id) => this.remove(id),
      move: (id, path) => this.move(id, path),
      resetFeed: () => this.resetFeed(),
      setErrors: (e) => {
        this.errors = resolveErrorRates(e);
      },
      live: () => [...this.byPath.values()].sort().map((id) => metaOf(this.files.get(id)!)),
      headCursor: () => formatCursor(this.epoch, this.head),
    };
  }
}
