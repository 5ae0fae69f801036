/**
 * Test-only "third-party" libraries for the providerLibrary seam: the built-in coordinator and progress view
 * over a store of their own, or over a client layer of their own (a wrapper of the node's network), or with
 * a handle of their own, each with one flaw a port could plausibly have. None is a weakened variant of the
 * built-in: the flaw lives in code outside src/. test/provider/provider-library-seam.test.ts plugs the
 * first four (latest cursor, volatile job ids, two-step items, read-ahead); test/provider/checks-work.test.ts
 * the rest (no retry-after, stale page buffer, bytes as received, write-behind, non-joining requests).
 */
import type { Connection, Env, KvStore, Net, Value } from '../../src/impl/env.ts';
import { startLibrary } from '../../src/impl/provider/library.ts';
import { LibraryStore, type JobRec, type SyncType, type TrackRec } from '../../src/impl/provider/library-store.ts';
import type { FileMeta } from '../../src/impl/provider/messages.ts';
import type { ProviderLibraryFactory } from '../../src/impl/provider/seam.ts';

/**
 * Resumes from the cursor of the provider's latest job that has one, whatever that job's state: a job
 * that failed or was cancelled after its discovery persisted the new cursor hands that cursor on, so the
 * items it never made durable are skipped for good ("the cursor is where we got to").
 */
class LatestCursorStore extends LibraryStore {
  override lastCompletedCursor(provider: string): string | null {
    let best: JobRec | null = null;
    for (const j of this.jobs.values()) if (j.provider === provider && j.cursor !== null && (best === null || j.id > best.id)) best = j;
    return best?.cursor ?? null;
  }
}

/**
 * Numbers its jobs from a counter kept in memory only (it never reads `meta/nextJob` back): after a
 * restart its new jobs take the ids of old ones and overwrite their durable records.
 */
class VolatileJobIdsStore extends LibraryStore {
  private next = 1;

  constructor(private readonly kv: KvStore, env: ConstructorParameters<typeof LibraryStore>[0]) {
    super(env);
  }

  override async createJob(provider: string, requested: SyncType): Promise<JobRec> {
    const job: JobRec = { id: this.next++, provider, requested, type: requested, state: 'pending', from: null, cursor: null, items: 0, bytes: 0, error: null };
    await this.kv.transaction(['jobs'], 'readwrite', (tx) => tx.put('jobs', job.id, job as unknown as Value), { durability: 'strict' });
    this.jobs.set(job.id, job);
    return job;
  }
}

/**
 * Writes a downloaded item in two transactions, the track first, then its content: a crash between them
 * leaves a track whose durable content is another revision's (or none), and for a moment it is so even
 * without a crash. The revision rule is kept (decided inside the track's transaction).
 */
class TwoStepItemStore extends LibraryStore {
  constructor(private readonly kv: KvStore, env: ConstructorParameters<typeof LibraryStore>[0]) {
    super(env);
  }

  override async applyItem(provider: string, meta: FileMeta, data: string, title: string): Promise<boolean> {
    const key = `${provider}/${meta.id}`;
    const t: TrackRec = { provider, fileId: meta.id, path: meta.path, hash: meta.hash, size: meta.size, rev: meta.rev, deleted: false, title, dupOf: null };
    const strict = { durability: 'strict' } as const;
    const newer = await this.kv.transaction(['tracks'], 'readwrite', async (tx) => {
      const cur = (await tx.get('tracks', key)) as unknown as TrackRec | undefined;
      if (cur !== undefined && cur.rev >= t.rev) return false;
      await tx.put('tracks', key, t as unknown as Value);
      return true;
    }, strict);
    if (!newer) return false;
    this.tracks.set(key, t);
    await this.kv.transaction(['blobs'], 'readwrite', (tx) => tx.put('blobs', key, { rev: meta.rev, data }), strict);
    return true;
  }
}

/** A library that resumes an incremental sync from a failed or cancelled job's cursor. */
export const latestCursorLibrary: ProviderLibraryFactory = (env, options) => startLibrary(env, options, new LatestCursorStore(env));

/** A library whose job ids restart at 1 after every restart. */
export const volatileJobIdsLibrary: ProviderLibraryFactory = (env, options) => startLibrary(env, options, new VolatileJobIdsStore(env.kv, env));

/** A library that writes an item's track and content in two transactions. */
export const twoStepItemLibrary: ProviderLibraryFactory = (env, options) => startLibrary(env, options, new TwoStepItemStore(env.kv, env));

/** A message as an object, or null. */
const asObj = (m: Value): Record<string, unknown> | null => (typeof m === 'object' && m !== null && !Array.isArray(m) && !(m instanceof Uint8Array) ? (m as Record<string, unknown>) : null);

/**
 * A connection to a provider seen through a port's own client layer: by default it passes everything
 * through; a flawed layer overrides `send` (what the library sends) or `onInner` (what it hands the library
 * of what the provider sent, through `deliver`).
 */
class ClientLayer implements Connection {
  private handler: (m: Value) => void = () => undefined;

  constructor(protected readonly inner: Connection) {
    inner.onMessage((m) => this.onInner(m));
  }

  get id(): string {
    return this.inner.id;
  }
  get peer(): string {
    return this.inner.peer;
  }
  get open(): boolean {
    return this.inner.open;
  }
  onMessage(handler: (m: Value) => void): void {
    this.handler = handler;
  }
  onClose(handler: (reason: 'closed' | 'reset') => void): void {
    this.inner.onClose(handler);
  }
  close(): void {
    this.inner.close();
  }
  send(message: Value): void {
    this.inner.send(message);
  }

  /** A message from the provider. */
  protected onInner(message: Value): void {
    this.deliver(message);
  }

  /** Hands `message` to the library. */
  protected deliver(message: Value): void {
    this.handler(message);
  }
}

/**
 * A connection to a provider that reads the listing ahead into an array of its own: each listing page
 * that arrives makes it request the next one at once (request ids from 1,000,000), and the library's own
 * requests for those pages are answered from the array. The library's queue stays bounded and its push
 * and take records are honest; the whole listing sits in memory beside it.
 */
class ReadAheadConnection extends ClientLayer {
  /** Page token -> the reply read ahead for it (the array outside the queue). */
  private readonly pages = new Map<string, Value>();
  /** Request id of a read-ahead request -> its page token. */
  private readonly ahead = new Map<number, string>();
  /** Page token -> the library's request id waiting for the read-ahead reply. */
  private readonly waiting = new Map<string, number>();
  private nextId = 1_000_000;

  override send(message: Value): void {
    const m = asObj(message);
    const token = m?.type === 'ListFiles' && typeof m.pageToken === 'string' ? m.pageToken : null;
    if (m?.type === 'ListFiles' && token === null) this.pages.clear(); // a new listing
    if (token === null || !this.inner.open) return this.inner.send(message);
    const page = this.pages.get(token);
    if (page !== undefined) {
      this.pages.delete(token);
      const reply = { ...asObj(page)!, reqId: m!.reqId } as Value;
      void Promise.resolve().then(() => this.deliver(reply));
    } else if ([...this.ahead.values()].includes(token)) this.waiting.set(token, m!.reqId as number);
    else this.inner.send(message);
  }

  protected override onInner(message: Value): void {
    const m = asObj(message);
    const token = m === null ? undefined : this.ahead.get(m.reqId as number);
    if (m?.type === 'Files' && typeof m.next === 'string') this.readAhead(m.next);
    if (token === undefined) return this.deliver(message);
    this.ahead.delete(m!.reqId as number);
    const reqId = this.waiting.get(token);
    this.waiting.delete(token);
    if (reqId === undefined) this.pages.set(token, message);
    else this.deliver({ ...m!, reqId } as Value);
  }

  private readAhead(token: string): void {
    const reqId = this.nextId++;
    this.ahead.set(reqId, token);
    this.inner.send({ type: 'ListFiles', reqId, pageToken: token });
  }
}

/**
 * A client layer that drops the retry-after of a 429 (it looks for it where this provider does not put it),
 * so the library falls back to its own backoff: it asks again sooner than the provider said.
 */
class NoRetryAfterConnection extends ClientLayer {
  protected override onInner(message: Value): void {
    const m = asObj(message);
    this.deliver(m?.type === 'Error' && m.status === 429 ? ({ ...m, retryAfterMs: null } as Value) : message);
  }
}

/**
 * A client layer whose page buffer is not cleared between pages: each listing or change page it hands the
 * library carries the previous page of that kind's entries too (cursors and tokens are right), so most
 * entries reach the queue twice.
 */
class StalePageBufferConnection extends ClientLayer {
  /** The last page's type and entries (a buffer per kind of page: listing entries are not change entries). */
  private buffer: { type: unknown; entries: unknown[] } = { type: null, entries: [] };

  protected override onInner(message: Value): void {
    const m = asObj(message);
    if ((m?.type !== 'Files' && m?.type !== 'Changes') || !Array.isArray(m.entries)) return this.deliver(message);
    const entries = this.buffer.type === m.type ? [...this.buffer.entries, ...m.entries] : m.entries;
    this.buffer = { type: m.type, entries: m.entries };
    this.deliver({ ...m, entries } as Value);
  }
}

/**
 * A client layer that counts the bytes of every content it receives, per provider, from the running
 * job's start (the store writes the tally into the job's record as its `bytes`): downloads whose item
 * was then not written (a failed commit retried, a newer revision already held) count too.
 */
class CountingConnection extends ClientLayer {
  constructor(inner: Connection, private readonly tally: Map<string, number>) {
    super(inner);
  }

  protected override onInner(message: Value): void {
    const m = asObj(message);
    if (m?.type === 'Content' && typeof m.data === 'string') this.tally.set(this.peer, (this.tally.get(this.peer) ?? 0) + m.data.length);
    this.deliver(message);
  }
}

/** The node's network with every connection it opens seen through `layer`. */
function layeredNet(net: Net, layer: (c: Connection) => Connection): Net {
  return {
    address: net.address,
    listen: (handler) => net.listen(handler),
    connect: async (address, options) => layer(await net.connect(address, options)),
    sendDatagram: (to, message) => net.sendDatagram(to, message),
    onDatagram: (handler) => net.onDatagram(handler),
  };
}

/** The built-in library over a network seen through `layer`. */
const layered = (layer: (c: Connection) => Connection): ProviderLibraryFactory => (env, options) => startLibrary({ ...env, net: layeredNet(env.net, layer) } satisfies Env, options);

/** A library that keeps the whole listing in an array outside its queue (read ahead) and feeds the queue one by one. */
export const readAheadLibrary = layered((c) => new ReadAheadConnection(c));

/** A library that ignores a 429's retry-after and retries after its own backoff. */
export const noRetryAfterLibrary = layered((c) => new NoRetryAfterConnection(c));

/** A library that hands each page's entries to its queue again with the next page. */
export const stalePageBufferLibrary = layered((c) => new StalePageBufferConnection(c));

/** Writes the client layer's byte tally into the job record as its progress `bytes`. */
class TallyBytesStore extends LibraryStore {
  constructor(private readonly tally: Map<string, number>, env: ConstructorParameters<typeof LibraryStore>[0]) {
    super(env);
  }

  override updateJob(id: number, changes: Partial<JobRec>): Promise<JobRec> {
    const provider = this.jobs.get(id)?.provider ?? '';
    if (changes.state === 'running') this.tally.set(provider, 0);
    return super.updateJob(id, changes.bytes === undefined ? changes : { ...changes, bytes: this.tally.get(provider) ?? 0 });
  }
}

/** A library whose progress bytes count every content received, not the contents it applied. */
export const bytesReceivedLibrary: ProviderLibraryFactory = (env, options) => {
  const tally = new Map<string, number>();
  return startLibrary({ ...env, net: layeredNet(env.net, (c) => new CountingConnection(c, tally)) } satisfies Env, options, new TallyBytesStore(tally, env));
};

/**
 * Writes items behind: `applyItem` answers "written" at once and commits in the background, one item after
 * another, so the coordinator counts an item done, and may end its job, before the item is durable: the
 * job is over on disk while its work is still being written (and a failed commit loses the item).
 */
class WriteBehindStore extends LibraryStore {
  private behind: Promise<unknown> = Promise.resolve();

  override applyItem(provider: string, meta: FileMeta, data: string, title: string): Promise<boolean> {
    this.behind = this.behind.then(() => super.applyItem(provider, meta, data, title)).catch(() => undefined);
    return Promise.resolve(true);
  }
}

/** A library that writes its items behind the coordinator's back. */
export const writeBehindLibrary: ProviderLibraryFactory = (env, options) => startLibrary(env, options, new WriteBehindStore(env));

/**
 * A sync request that creates the pending job itself when the store shows none, before it hands over to
 * the coordinator (which then finds that job and wakes the runner): requests made in one instant each find
 * none and create one, so a provider gets several pending jobs.
 */
export const nonJoiningLibrary: ProviderLibraryFactory = async (env, options) => {
  const store = new LibraryStore(env);
  const handle = await startLibrary(env, options, store);
  return {
    ...handle,
    requestSync: async (provider: string, type?: SyncType) => {
      if (![...store.jobs.values()].some((j) => j.provider === provider && j.state === 'pending')) await store.createJob(provider, type ?? 'incremental');
      return handle.requestSync(provider, type);
    },
  };
};
