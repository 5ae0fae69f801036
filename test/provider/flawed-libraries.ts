/**
 * Test-only "third-party" libraries for the providerLibrary seam (test/provider/provider-library-seam.test.ts):
 * the built-in coordinator and progress view over a store of their own, each with one flaw a port could
 * plausibly have (the read-ahead one wraps the network under the built-in library instead). None is a weakened variant of the built-in: the flaw lives in code outside src/.
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
    const t: TrackRec = { provider, fileId: meta.id, path: meta.path, hash: meta.hash, size: meta.size, rev: meta.rev, deleted: false, title };
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
 * A connection to a provider that reads the listing ahead into an array of its own: each listing page
 * that arrives makes it request the next one at once (request ids from 1,000,000), and the library's own
 * requests for those pages are answered from the array. The library's queue stays bounded and its push
 * and take records are honest; the whole listing sits in memory beside it.
 */
class ReadAheadConnection implements Connection {
  private handler: (m: Value) => void = () => undefined;
  /** Page token -> the reply read ahead for it (the array outside the queue). */
  private readonly pages = new Map<string, Value>();
  /** Request id of a read-ahead request -> its page token. */
  private readonly ahead = new Map<number, string>();
  /** Page token -> the library's request id waiting for the read-ahead reply. */
  private readonly waiting = new Map<string, number>();
  private nextId = 1_000_000;

  constructor(private readonly inner: Connection) {
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
    const m = asObj(message);
    const token = m?.type === 'ListFiles' && typeof m.pageToken === 'string' ? m.pageToken : null;
    if (m?.type === 'ListFiles' && token === null) this.pages.clear(); // a new listing
    if (token === null || !this.inner.open) return this.inner.send(message);
    const page = this.pages.get(token);
    if (page !== undefined) {
      this.pages.delete(token);
      const reply = { ...asObj(page)!, reqId: m!.reqId } as Value;
      void Promise.resolve().then(() => this.handler(reply));
    } else if ([...this.ahead.values()].includes(token)) this.waiting.set(token, m!.reqId as number);
    else this.inner.send(message);
  }

  private onInner(message: Value): void {
    const m = asObj(message);
    const token = m === null ? undefined : this.ahead.get(m.reqId as number);
    if (m?.type === 'Files' && typeof m.next === 'string') this.readAhead(m.next);
    if (token === undefined) return this.handler(message);
    this.ahead.delete(m!.reqId as number);
    const reqId = this.waiting.get(token);
    this.waiting.delete(token);
    if (reqId === undefined) this.pages.set(token, message);
    else this.handler({ ...m!, reqId } as Value);
  }

  private readAhead(token: string): void {
    const reqId = this.nextId++;
    this.ahead.set(reqId, token);
    this.inner.send({ type: 'ListFiles', reqId, pageToken: token });
  }
}

/** The node's network with every connection it opens reading listings ahead. */
function readAheadNet(net: Net): Net {
  return {
    address: net.address,
    listen: (handler) => net.listen(handler),
    connect: async (address, options) => new ReadAheadConnection(await net.connect(address, options)),
    sendDatagram: (to, message) => net.sendDatagram(to, message),
    onDatagram: (handler) => net.onDatagram(handler),
  };
}

/** A library that keeps the whole listing in an array outside its queue (read ahead) and feeds the queue one by one. */
export const readAheadLibrary: ProviderLibraryFactory = (env, options) => startLibrary({ ...env, net: readAheadNet(env.net) } satisfies Env, options);
