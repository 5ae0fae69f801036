/**
 * The library's durable state (kv, strict commits), with an in-memory copy of what is durable.
 *
 *   tracks/<provider>/<fileId>  {provider, fileId, path, hash, size, rev, deleted, title, dupOf}
 *   blobs/<provider>/<fileId>   {rev, data}                        the downloaded content (live tracks only)
 *   jobs/<id>                   {id, provider, requested, type, state, from, cursor, items, bytes, error}
 *   meta/nextJob                the next job id
 *
 * A track and its blob are written in one transaction: an item is applied whole or not at all, whatever
 * interrupts it (crash, cancellation, a failed commit). `dupOf` is the duplicate mark of the job's
 * conflict phase (coordinator.ts): the canonical file id of the live tracks with the track's content hash,
 * null when the track is canonical, alone, or a tombstone; a track rewritten by processing carries none
 * until the phase runs again. Decoded independently by src/evidence/provider-library.ts.
 */
import type { Env, KvTx, Value } from '../env.ts';
import type { FileMeta } from './messages.ts';

/** A track: one provider file as the library holds it (a tombstone when deleted). */
export interface TrackRec {
  provider: string;
  fileId: string;
  path: string;
  hash: string;
  size: number;
  /** The provider revision applied. */
  rev: number;
  deleted: boolean;
  /** Extracted from the content (the "tags"). */
  title: string;
  /** The canonical file id of its duplicate group when it is a non-canonical member, else null. */
  dupOf: string | null;
}

/** Sync types. */
export type SyncType = 'full' | 'incremental';
/** Job states (persisted). */
export type JobState = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A sync job as persisted. */
export interface JobRec {
  id: number;
  provider: string;
  /** What was asked for. */
  requested: SyncType;
  /** What runs (an incremental escalates to full without a usable cursor). */
  type: SyncType;
  state: JobState;
  /** The cursor discovery started from (null: full listing). */
  from: string | null;
  /** The new cursor, once the provider's stream is consumed. */
  cursor: string | null;
  items: number;
  bytes: number;
  error: string | null;
}

const trackKey = (provider: string, fileId: string): string => `${provider}/${fileId}`;

/** The library's store. */
export class LibraryStore {
  /** Durable tracks by `<provider>/<fileId>`. */
  readonly tracks = new Map<string, TrackRec>();
  /** Durable jobs by id. */
  readonly jobs = new Map<number, JobRec>();
  private nextJob = 1;
  /** The weakened variant the library runs (set by startLibrary; '' for the real implementation). */
  variant = '';

  constructor(private readonly env: Env) {}

  /** Reads everything durable. */
  async load(): Promise<void> {
    await this.env.kv.transaction(['tracks', 'jobs', 'meta'], 'readonly', async (tx) => {
      for (const k of await tx.keys('tracks')) {
        const t = (await tx.get('tracks', k)) as unknown as TrackRec;
        this.tracks.set(String(k), { ...t, dupOf: t.dupOf ?? null });
      }
      for (const k of await tx.keys('jobs')) {
        const j = (await tx.get('jobs', k)) as unknown as JobRec;
        this.jobs.set(j.id, j);
      }
      this.nextJob = ((await tx.get('meta', 'nextJob')) as number | undefined) ?? 1;
    });
  }

  track(provider: string, fileId: string): TrackRec | undefined {
    return this.tracks.get(trackKey(provider, fileId));
  }

  /** Live tracks of `provider`. */
  liveTracks(provider: string): TrackRec[] {
    return this.tracksOf(provider).filter((t) => !t.deleted);
  }

  /** Every track of `provider`, tombstones included. */
  tracksOf(provider: string): TrackRec[] {
    return [...this.tracks.values()].filter((t) => t.provider === provider);
  }

  /**
   * Writes a track and its content together, unless the durable track is already at `meta.rev` or newer
   * (decided inside the transaction: transactions on these stores never overlap, so a deletion committed
   * meanwhile is seen). Resolves true when written.
   */
  async applyItem(provider: string, meta: FileMeta, data: string, title: string): Promise<boolean> {
    const t: TrackRec = { provider, fileId: meta.id, path: meta.path, hash: meta.hash, size: meta.size, rev: meta.rev, deleted: false, title, dupOf: null };
    return this.writeTrack(t, (tx, key) => tx.put('blobs', key, { rev: meta.rev, data }));
  }

  /** Moves a live track whose content the library already holds (no download); true when written. */
  async moveTrack(provider: string, meta: FileMeta): Promise<boolean> {
    const before = this.track(provider, meta.id);
    if (before === undefined || before.deleted) return false;
    const t: TrackRec = { ...before, path: meta.path, rev: meta.rev, dupOf: null };
    return this.writeTrack(t, async (tx, key) => {
      const blob = (await tx.get('blobs', key)) as { rev: number; data: string } | undefined;
      if (blob !== undefined) await tx.put('blobs', key, { rev: meta.rev, data: blob.data });
    });
  }

  /** Marks a track deleted at revision `rev` (a tombstone, so an older change never brings it back); true when written. */
  async deleteTrack(provider: string, fileId: string, rev: number): Promise<boolean> {
    const before = this.track(provider, fileId);
    const t: TrackRec = { provider, fileId, path: before?.path ?? '', hash: before?.hash ?? '', size: 0, rev, deleted: true, title: '', dupOf: null };
    // Variant provider-tombstone-keeps-content: the track becomes a tombstone but its blob stays.
    if (this.variant === 'provider-tombstone-keeps-content') return this.writeTrack(t, async () => undefined);
    return this.writeTrack(t, (tx, key) => tx.delete('blobs', key));
  }

  /**
   * Sets the duplicate marks `marks` (file id -> canonical file id, or null to clear) of `provider`'s
   * tracks in one strict transaction; a track whose durable revision or state is no longer the one the
   * marks were computed from is left alone (tracks change only inside their provider's job, so it is not
   * expected). Resolves with the number of tracks written.
   */
  async markDuplicates(provider: string, marks: ReadonlyMap<string, string | null>, basis: ReadonlyMap<string, TrackRec>): Promise<number> {
    const written: TrackRec[] = [];
    await this.env.kv.transaction(['tracks'], 'readwrite', async (tx) => {
      for (const [fileId, dupOf] of marks) {
        const key = trackKey(provider, fileId);
        const cur = (await tx.get('tracks', key)) as unknown as TrackRec | undefined;
        const seen = basis.get(fileId);
        if (cur === undefined || seen === undefined || cur.rev !== seen.rev || cur.deleted !== seen.deleted) continue;
        const t: TrackRec = { ...cur, dupOf };
        await tx.put('tracks', key, t as unknown as Value);
        written.push(t);
      }
    }, { durability: 'strict' });
    for (const t of written) this.tracks.set(trackKey(t.provider, t.fileId), t);
    return written.length;
  }

  /** Writes `t` (and `more`) in one transaction unless the durable track's revision forbids it. */
  private async writeTrack(t: TrackRec, more: (tx: KvTx, key: string) => Promise<void>): Promise<boolean> {
    const key = trackKey(t.provider, t.fileId);
    const written = await this.env.kv.transaction(['tracks', 'blobs'], 'readwrite', async (tx) => {
      const cur = (await tx.get('tracks', key)) as unknown as TrackRec | undefined;
      // A newer revision wins; a tombstone may also replace the live track of its own revision (a full
      // listing's reconciliation deletes at the listing's snapshot, which may equal the track's revision).
      if (cur !== undefined && (cur.rev > t.rev || (cur.rev === t.rev && (cur.deleted || !t.deleted)))) return false;
      await tx.put('tracks', key, t as unknown as Value);
      await more(tx, key);
      return true;
    }, { durability: 'strict' });
    if (written) this.tracks.set(key, t);
    return written;
  }

  /** Creates a pending job. */
  async createJob(provider: string, requested: SyncType): Promise<JobRec> {
    const id = this.nextJob++;
    const job: JobRec = { id, provider, requested, type: requested, state: 'pending', from: null, cursor: null, items: 0, bytes: 0, error: null };
    await this.env.kv.transaction(['jobs', 'meta'], 'readwrite', async (tx) => {
      await tx.put('jobs', job.id, job as unknown as Value);
      await tx.put('meta', 'nextJob', job.id + 1);
    }, { durability: 'strict' });
    this.jobs.set(job.id, job);
    return job;
  }

  /** Persists `changes` to job `id` and returns the new record. */
  async updateJob(id: number, changes: Partial<JobRec>): Promise<JobRec> {
    const job: JobRec = { ...this.jobs.get(id)!, ...changes };
    await this.env.kv.transaction(['jobs'], 'readwrite', (tx) => tx.put('jobs', id, job as unknown as Value), { durability: 'strict' });
    this.jobs.set(id, job);
    return job;
  }

  /** The cursor of the last completed job of `provider` (by id), or null. */
  lastCompletedCursor(provider: string): string | null {
    let best: JobRec | null = null;
    for (const j of this.jobs.values()) if (j.provider === provider && j.state === 'completed' && (best === null || j.id > best.id)) best = j;
    return best?.cursor ?? null;
  }
}
