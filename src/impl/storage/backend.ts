/**
 * The seam between the block store and its durable medium. Two backends implement it: files on the
 * POSIX-like disk (file-backend.ts) and the IndexedDB-like transactional store (kv-backend.ts). Both give
 * the same atomic-commit semantics, so one model and one set of invariants check both.
 */
import type { BlockVersion, Marker, StoreMeta } from './format.ts';

/** A block version to delete once a commit is final (superseded or deallocated). */
export interface BlockKey {
  id: number;
  v: number;
}

/** One atomic commit, as the store hands it to a backend. */
export interface CommitBatch {
  /** Metadata after the commit; `next.commit` is the new commit number and every written block's version. */
  next: StoreMeta;
  /** Commit number the batch was built on (the marker the writer believes is current). */
  base: number;
  /** Data of every block the commit writes (each exactly blockSize bytes). */
  writes: { id: number; data: Uint8Array }[];
  /** Block versions no longer referenced once the commit is final. */
  garbage: BlockKey[];
  /** True for commits whose caller needs durability before the ack (forceSync); kv: strict durability. */
  strict: boolean;
  /**
   * Request ids recorded atomically with the commit (kv backend only). A commit carrying an id that is
   * already recorded is refused with RequestAppliedError and applies nothing.
   */
  requests: CommitRequest[];
}

/** A request id a commit records, with what its caller wants to find again (JSON). */
export interface CommitRequest {
  id: string;
  result: unknown;
}

/** Progress callbacks of a commit, called in order; the store traces them. */
export interface CommitHooks {
  /** Block data and pending metadata are durable (file backend). */
  synced(): void;
  /** The marker write starts; `atomic` when data and marker go in one transaction (kv backend). */
  markerWrite(atomic: boolean): void;
  /** The marker is durable: the commit took effect. */
  marker(): void;
}

/** What a backend finds on its medium at startup. */
export interface DurableState {
  /** The commit marker, or null if missing or invalid. */
  marker: Marker | null;
  /** Committed (finalized) metadata, or null if none yet. */
  meta: StoreMeta | null;
  /** Metadata of a commit that had started (file backend), or null. */
  pending: StoreMeta | null;
  /** True when a pending document exists but failed its frame check (torn). */
  pendingTorn: boolean;
}

/** A block data entry found on the medium. */
export interface BlockEntry {
  /** Raw entry name (file name or record key). */
  name: string;
  /** Parsed key, or null if the name is not a block name. */
  key: BlockKey | null;
  /** Size in bytes. */
  size: number;
}

/** Which way a read goes: the ordinary path or an independent one (see Backend.readBlock). */
export type ReadPath = 'primary' | 'independent';

/** A durable medium for the block store. */
export interface Backend {
  /** 'file' or 'kv'. */
  readonly kind: 'file' | 'kv';
  /** Creates the layout if missing (idempotent). */
  init(): Promise<void>;
  /** Reads marker, metadata and pending metadata. */
  load(): Promise<DurableState>;
  /** The durable marker as it is now (for fencing and stale-writer checks); {0,0} on an empty store. */
  header(): Promise<Marker>;
  /**
   * Makes `meta` the committed metadata and advances the marker to it if behind (recovery, repair).
   * `ifCommit`: only while the durable marker is still at that commit, else StoreError('ESTALE') (kv:
   * checked in the same transaction; file: not checked, files give no compare-and-swap).
   */
  adopt(meta: StoreMeta, ifCommit: number): Promise<void>;
  /** Removes pending metadata and temporary files. */
  dropPending(): Promise<void>;
  /** Every block data entry. */
  listBlocks(): Promise<BlockEntry[]>;
  /**
   * Deletes block entries by name and makes the deletion durable. With `ifCommit`, only while the durable
   * marker is still at that commit (kv: in the same transaction); returns false, deleting nothing, when it
   * moved (another writer committed). The file backend cannot check and always deletes.
   */
  deleteBlocks(names: readonly string[], ifCommit?: number): Promise<boolean>;
  /**
   * True when the durable marker is no longer at `commit` (kv: another tab committed since recovery loaded
   * it). Absent on the file backend, which has one writer at a time.
   */
  moved?(commit: number): Promise<boolean>;
  /**
   * Makes every entry change durable (fsync of the block and root directories): recovery ends with it
   * because an earlier, failed recovery may have changed entries it could not make durable.
   */
  syncEntries(): Promise<void>;
  /**
   * The data of block `id` at version `v`, or null if absent. `path` 'independent' reads it another way
   * through the stack (file: a positional read; kv: its own transaction), so recovery can confirm a
   * checksum failure before acting on it (stable-read.ts).
   */
  readBlock(id: number, v: number, path?: ReadPath): Promise<Uint8Array | null>;
  /**
   * Runs the atomic commit protocol up to and including the durable marker. Throws FencedError or
   * StoreError('ESTALE') when the durable marker has a higher epoch or is not `batch.base` (kv: checked
   * inside the transaction; file: before the first write and again before the marker write), or an
   * environment error.
   */
  commit(batch: CommitBatch, hooks: CommitHooks): Promise<void>;
  /** Finalizes a durable commit: committed metadata, pending removed, garbage deleted. Idempotent. */
  finalize(batch: CommitBatch): Promise<void>;
  /**
   * True when a commit that is not strict may return before it is durable (kv with relaxed commits). A
   * file commit, and a kv commit without relaxed durability, is durable when it returns.
   */
  readonly relaxedCommits: boolean;
  /**
   * Makes every commit that has returned durable; called only when `relaxedCommits` (kv: one empty strict
   * transaction, which makes every earlier relaxed commit durable).
   */
  flush?(): Promise<void>;
}

/** Name of a block's data entry: `<id>.<version>`. */
export function blockName(id: number, v: number): string {
  return `${id}.${v}`;
}

/** Parses `<id>.<version>`; null for anything else. */
export function parseBlockName(name: string): BlockKey | null {
  const m = /^(\d{1,9})\.(\d{1,12})$/.exec(name);
  if (m === null) return null;
  return { id: Number(m[1]), v: Number(m[2]) };
}

/** The versions of a block that must be kept: current and previous. */
export function keptVersions(b: BlockVersion & { prev: BlockVersion | null }): number[] {
  return b.prev === null ? [b.v] : [b.v, b.prev.v];
}
