/**
 * The block store on the POSIX-like disk.
 *
 * Layout under `root`:
 *   marker          framed {commit, epoch}: the last commit that took effect (replaced by rename)
 *   meta.json       framed metadata of the last finalized commit (replaced only by renaming pending.json)
 *   pending.json    framed metadata of the commit in progress (removed once finalized or rolled back)
 *   marker.tmp      temporary of the marker's rename (meta.tmp: left by older versions, removed)
 *   blocks/<id>.<version>  block data, exactly blockSize bytes, never overwritten in place
 *
 * Commit N (the order is the protocol; see docs/storage.md):
 *   1. write every blocks/<id>.<N> and fsync it
 *   2. write pending.json (metadata N) and fsync it
 *   3. fsync blocks/ and root/ (the new names are durable)          -> hooks.synced
 *   4. write marker.tmp {N}, fsync it; rename it to marker (the commit point), fsync root/
 *                                                                   -> hooks.markerWrite before the rename,
 *                                                                      hooks.marker once root/ is fsynced
 *   5. finalize: rename pending.json to meta.json, fsync root/; unlink superseded block files, fsync
 *      blocks/ (when there were any)
 * A crash before 4 completes leaves commit N-1 (recovery rolls the pending commit back); after it, commit N
 * (recovery finalizes it).
 */
import { EnvError, type Disk } from '../env.ts';
import type { Backend, BlockEntry, CommitBatch, CommitHooks, DurableState, ReadPath } from './backend.ts';
import { blockName, parseBlockName } from './backend.ts';
import { FencedError, StoreError } from './errors.ts';
import type { Marker, StoreMeta } from './format.ts';
import { frame, markerFromJson, metaFromJson, metaToJson, unframe } from './format.ts';
import { STABLE_POLICY, stableRead, type StablePolicy } from './stable-read.ts';

/** Weakenings of the file protocol (variants; all false in the real implementation). */
export interface FileBackendFlags {
  /** Advance the marker before block data and pending metadata are fsynced. */
  markerBeforeFsync: boolean;
  /** Never fsync directories. */
  noDirFsync: boolean;
  /** Do not check epochs (the 'storage-no-fencing' variant). */
  noFencing: boolean;
  /** When failing reads of the marker and metadata count as damage (variant: TRANSIENT_POLICY). */
  readPolicy?: StablePolicy;
  /** Leave the marker rename to finalize's directory fsync (the 'storage-lazy-marker-fsync' variant). */
  lazyMarkerFsync?: boolean;
  /** Keep the loaded pending.json body after unlinking it (the 'storage-repair-stale-pending' variant). */
  stalePendingBody?: boolean;
  /** Finalize swallows every error of its metadata rename, not only ENOENT (the 'storage-finalize-error-swallowed' variant). */
  finalizeSwallowsErrors?: boolean;
}

/** The file backend. */
export class FileBackend implements Backend {
  readonly kind = 'file' as const;
  /** commit() returns only once the marker rename is fsynced. */
  readonly relaxedCommits = false;
  private readonly blocksDir: string;
  /** JSON bodies of the valid meta.json and pending.json as last loaded or written (null: none valid). */
  private bodies: { meta: string | null; pending: string | null } = { meta: null, pending: null };

  constructor(
    private readonly disk: Disk,
    private readonly root: string,
    private readonly flags: FileBackendFlags,
  ) {
    this.blocksDir = `${root}/blocks`;
  }

  private p(name: string): string {
    return `${this.root}/${name}`;
  }

  private async fsyncDir(path: string): Promise<void> {
    if (!this.flags.noDirFsync) await this.disk.fsyncDir(path);
  }

  /**
   * Reads a framed document. A frame that fails its check is read again, alternating readFile and a
   * positional read: only the same failing bytes, confirmed through both (stable-read.ts), make it invalid
   * (torn or rotten, decided by recovery); reads that do not settle (bits flipped on the way) throw EIO
   * rather than let recovery decide on a misread marker or metadata.
   */
  private async readDoc(name: string): Promise<{ exists: boolean; doc: unknown }> {
    const path = this.p(name);
    const disk = this.disk;
    const r = await stableRead(
      // Methods rather than arrow-valued properties (no __name calls per read under tsx).
      {
        primary() {
          return readIfExists(disk, path);
        },
        independent() {
          return readPositional(disk, path);
        },
      },
      (bytes) => unframe(bytes) ?? undefined,
      this.flags.readPolicy ?? STABLE_POLICY,
    );
    if (r.kind === 'missing') return { exists: false, doc: null };
    if (r.kind === 'ok') return { exists: true, doc: r.value };
    if (r.kind === 'bad') return { exists: true, doc: null };
    throw new EnvError('EIO', `${path}: no read valid and no failing bytes confirmed (${r.kind})`);
  }

  /** Writes `bytes` to `name` through a temporary and an atomic rename, durably. */
  private async replace(name: string, tmp: string, bytes: Uint8Array): Promise<void> {
    await this.disk.writeFile(this.p(tmp), bytes);
    await this.disk.fsync(this.p(tmp));
    await this.disk.rename(this.p(tmp), this.p(name));
    await this.fsyncDir(this.root);
  }

  async init(): Promise<void> {
    await this.disk.mkdir(this.blocksDir);
    await this.fsyncDir(this.root);
    const parent = this.root.slice(0, this.root.lastIndexOf('/')) || '/';
    await this.fsyncDir(parent);
  }

  async load(): Promise<DurableState> {
    const marker = markerFromJson((await this.readDoc('marker')).doc);
    const metaDoc = await this.readDoc('meta.json');
    const meta = metaFromJson(metaDoc.doc);
    if (metaDoc.exists && meta === null) throw new StoreError('ECORRUPT', `${this.p('meta.json')} exists but is not valid metadata`);
    const pendingDoc = await this.readDoc('pending.json');
    const pending = metaFromJson(pendingDoc.doc);
    this.bodies = { meta: meta === null ? null : JSON.stringify(metaDoc.doc), pending: pending === null ? null : JSON.stringify(pendingDoc.doc) };
    return { marker, meta, pending, pendingTorn: pendingDoc.exists && pending === null };
  }

  async header(): Promise<Marker> {
    const marker = markerFromJson((await this.readDoc('marker')).doc);
    if (marker !== null) return marker;
    const meta = metaFromJson((await this.readDoc('meta.json')).doc);
    return meta === null ? { commit: 0, epoch: 0 } : { commit: meta.commit, epoch: meta.epoch };
  }

  /**
   * Recovery's metadata change, safe on a disk whose renames are not atomic (weak profile: replacing a
   * file may leave neither the old nor the new one under the name). meta.json is never replaced by a
   * rename unless the new metadata is durable under pending.json, which such a rename keeps, and which
   * recovery finalizes again: metadata that meta.json already holds is not rewritten at all; pending
   * metadata being finalized is renamed as it is; anything else (a repair) is written to pending.json
   * (file and entry fsynced) first. Then the marker, if it is behind.
   */
  async adopt(meta: StoreMeta, _ifCommit: number): Promise<void> {
    const body = JSON.stringify(metaToJson(meta));
    if (body !== this.bodies.meta) {
      if (body !== this.bodies.pending) {
        await this.disk.writeFile(this.p('pending.json'), frame(metaToJson(meta)));
        await this.disk.fsync(this.p('pending.json'));
        await this.fsyncDir(this.root);
      }
      await this.disk.rename(this.p('pending.json'), this.p('meta.json'));
      await this.fsyncDir(this.root);
      this.bodies = { meta: body, pending: null };
    }
    const marker = markerFromJson((await this.readDoc('marker')).doc);
    if (marker === null || marker.commit < meta.commit || marker.epoch < meta.epoch) {
      await this.replace('marker', 'marker.tmp', frame({ commit: meta.commit, epoch: meta.epoch }));
    }
  }

  async dropPending(): Promise<void> {
    let removed = false;
    for (const name of ['pending.json', 'marker.tmp', 'meta.tmp']) {
      if ((await this.disk.stat(this.p(name))) === null) continue;
      await this.disk.unlink(this.p(name));
      removed = true;
    }
    // pending.json is gone: a repair whose metadata equals its body must write it again, not rename a file
    // that no longer exists (storage-repair-crash: a power loss right after a repair wrote pending.json, the
    // next recovery dropped it as a leftover and then failed ENOENT at the rename of the same repair).
    if (this.flags.stalePendingBody !== true) this.bodies.pending = null;
    if (removed) await this.fsyncDir(this.root);
  }

  async listBlocks(): Promise<BlockEntry[]> {
    const out: BlockEntry[] = [];
    for (const name of await this.disk.list(this.blocksDir)) {
      const st = await this.disk.stat(`${this.blocksDir}/${name}`);
      out.push({ name, key: st?.kind === 'file' ? parseBlockName(name) : null, size: st?.size ?? 0 });
    }
    return out;
  }

  async deleteBlocks(names: readonly string[]): Promise<boolean> {
    if (names.length === 0) return true;
    for (const name of names) await unlinkIfExists(this.disk, `${this.blocksDir}/${name}`);
    await this.fsyncDir(this.blocksDir);
    return true;
  }

  async syncEntries(): Promise<void> {
    await this.fsyncDir(this.blocksDir);
    await this.fsyncDir(this.root);
  }

  async readBlock(id: number, v: number, path: ReadPath = 'primary'): Promise<Uint8Array | null> {
    const file = `${this.blocksDir}/${blockName(id, v)}`;
    return path === 'primary' ? readIfExists(this.disk, file) : readPositional(this.disk, file);
  }

  /**
   * Fencing and stale-writer check: the durable marker must be the one the batch builds on, with no higher
   * epoch. Run before the first write and again just before the marker write, so a writer deposed while
   * it wrote its blocks does not advance the marker. (Files give no compare-and-swap: the election's lock
   * must keep a second writer from opening or committing concurrently; this check is the backstop.)
   */
  private async checkHeader(batch: CommitBatch): Promise<void> {
    const header = await this.header();
    if (header.epoch > batch.next.epoch && !this.flags.noFencing) throw new FencedError(batch.next.epoch, header.epoch);
    if (header.commit !== batch.base) {
      throw new StoreError('ESTALE', `the store is at commit ${header.commit}, this writer built on ${batch.base}`);
    }
  }

  async commit(batch: CommitBatch, hooks: CommitHooks): Promise<void> {
    const n = batch.next.commit;
    const syncFirst = !this.flags.markerBeforeFsync;
    await this.checkHeader(batch);
    for (const w of batch.writes) {
      const path = `${this.blocksDir}/${blockName(w.id, n)}`;
      await this.disk.writeFile(path, w.data);
      if (syncFirst) await this.disk.fsync(path);
    }
    await this.disk.writeFile(this.p('pending.json'), frame(metaToJson(batch.next)));
    if (syncFirst) await this.syncData(batch, hooks);
    await this.checkHeader(batch);
    await this.disk.writeFile(this.p('marker.tmp'), frame({ commit: n, epoch: batch.next.epoch }));
    await this.disk.fsync(this.p('marker.tmp'));
    hooks.markerWrite(false); // the rename is the commit point
    await this.disk.rename(this.p('marker.tmp'), this.p('marker'));
    if (this.flags.lazyMarkerFsync !== true) await this.fsyncDir(this.root);
    if (!syncFirst) await this.syncData(batch, hooks, true);
    hooks.marker();
  }

  private async syncData(batch: CommitBatch, hooks: CommitHooks, blocksToo = false): Promise<void> {
    if (blocksToo) for (const w of batch.writes) await this.disk.fsync(`${this.blocksDir}/${blockName(w.id, batch.next.commit)}`);
    await this.disk.fsync(this.p('pending.json'));
    await this.fsyncDir(this.blocksDir);
    await this.fsyncDir(this.root);
    hooks.synced();
  }

  async finalize(batch: CommitBatch): Promise<void> {
    // pending.json holds exactly metadata N, fsynced: it becomes meta.json by an atomic rename. When it is
    // gone, an earlier attempt renamed it (the fsync of root/ below makes that durable too).
    try {
      await this.disk.rename(this.p('pending.json'), this.p('meta.json'));
    } catch (e) {
      // Variant storage-finalize-error-swallowed: any error is taken for "renamed by an earlier attempt", so
      // the commit counts as finalized while meta.json is still the previous commit's.
      if (!isNoEntry(e) && this.flags.finalizeSwallowsErrors !== true) throw e;
    }
    await this.fsyncDir(this.root);
    if (batch.garbage.length === 0) return;
    for (const g of batch.garbage) await unlinkIfExists(this.disk, `${this.blocksDir}/${blockName(g.id, g.v)}`);
    await this.fsyncDir(this.blocksDir);
  }
}

/** The file's bytes, or null when it does not exist. */
async function readIfExists(disk: Disk, path: string): Promise<Uint8Array | null> {
  try {
    return await disk.readFile(path);
  } catch (e) {
    if (isNoEntry(e)) return null;
    throw e;
  }
}

/** The file's bytes by a positional read of its whole length (another path than readFile), or null. */
async function readPositional(disk: Disk, path: string): Promise<Uint8Array | null> {
  const st = await disk.stat(path);
  if (st === null) return null;
  try {
    return await disk.read(path, 0, st.size);
  } catch (e) {
    if (isNoEntry(e)) return null;
    throw e;
  }
}

function isNoEntry(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}

/** Unlinks `path`; a missing file is fine (finalize and recovery are idempotent). */
async function unlinkIfExists(disk: Disk, path: string): Promise<void> {
  try {
    await disk.unlink(path);
  } catch (e) {
    if (!isNoEntry(e)) throw e;
  }
}
