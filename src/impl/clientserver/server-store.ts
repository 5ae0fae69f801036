/**
 * The server's durable database: its change log in a block store of the project's storage layer
 * (src/impl/storage, docs/storage.md), on the file backend (default) or the kv backend. Layout (the
 * evidence contract, docs/client-server.md "Data and storage"):
 *
 *   block 0       header: UTF-8 JSON {format: 'cs-log', v: 1, site, schema, generation, head, bytes},
 *                 zero-padded to the block size
 *   blocks 1..P   the log as one byte stream cut into pages: entry k (seq k, 1-based) is the UTF-8 line
 *                 `JSON [table, pk, col, value, colVersion, site, dbVersion]` + '\n'; page i holds stream
 *                 bytes [(i-1)·B, i·B), the last one zero-padded; `bytes` is the stream's length, `head` its
 *                 number of entries
 *
 * Every change is one commit (`forceSync`): it resolves only once the header and the pages it wrote are
 * durable, so an ACK sent after it names only durable entries. A rebuild is one commit writing a fresh
 * header (new site id, head 0) and deallocating every page. Recovery is the block store's own, at open.
 * The log is also held in memory (reads are served from it); a failed commit drops the store instance and
 * `ready()` reopens it (its recovery decides what the failed commit left) and reloads the log, returning
 * the entries the failed commit made durable after all (the caller takes them as committed).
 * The highest version of each client in the log is folded from the log itself.
 */
import type { Env } from '../env.ts';
import { BlockStore, StoreError, type StoreOptions } from '../storage/index.ts';
import type { Change, LoggedChange } from './messages.ts';

/** What the server knows of itself at start. */
export interface ServerMeta {
  site: string | null;
  schema: number | null;
  generation: number;
  head: number;
}

/** Where and how the server's block store lives. */
export interface ServerStoreConfig {
  backend: 'file' | 'kv';
  /** File backend: a directory; kv: the object-store prefix. */
  root: string;
  blockSize: number;
}

/** The header's format name and version. */
export const LOG_FORMAT = 'cs-log';
export const LOG_FORMAT_VERSION = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One log entry's line (without the newline). */
export function encodeEntry(c: Change): string {
  return JSON.stringify([c.table, c.pk, c.col, c.value, c.colVersion, c.site, c.dbVersion]);
}

/** A stored log entry back into a change (null when it is not one). */
export function decodeEntry(seq: number, v: unknown): LoggedChange | null {
  if (!Array.isArray(v) || v.length !== 7) return null;
  const [table, pk, col, value, colVersion, site, dbVersion] = v as readonly unknown[];
  if (typeof table !== 'string' || typeof pk !== 'string' || typeof col !== 'string' || typeof site !== 'string') return null;
  if ((value !== null && typeof value !== 'string') || typeof colVersion !== 'number' || typeof dbVersion !== 'number') return null;
  return { seq, table, pk, col, value, colVersion, site, dbVersion };
}

interface Header {
  site: string | null;
  schema: number | null;
  generation: number;
  head: number;
  bytes: number;
}

const EMPTY: Header = { site: null, schema: null, generation: 0, head: 0, bytes: 0 };

/** The server's storage. */
export class ServerStore {
  private store: BlockStore | null = null;
  private header: Header = EMPTY;
  private log: LoggedChange[] = [];
  /** The log's byte stream: its first header.bytes bytes (the buffer is larger: room to append). */
  private stream = new Uint8Array(0);
  /** Client site -> its highest version in the log. */
  private clients = new Map<string, number>();

  constructor(
    private readonly env: Env,
    private readonly cfg: ServerStoreConfig,
  ) {}

  private options(): StoreOptions {
    return { backend: this.cfg.backend, root: this.cfg.root, blockSize: this.cfg.blockSize, corruption: 'report' };
  }

  /** The open store; (re)opens it (recovery) and reloads the log; `recovered`: entries beyond the log known before. */
  private async open(): Promise<{ store: BlockStore; recovered: LoggedChange[] }> {
    if (this.store !== null) return { store: this.store, recovered: [] };
    const known = this.header.site !== null ? { site: this.header.site, head: this.header.head } : null;
    const store = await BlockStore.open(this.env, this.options());
    try {
      await this.load(store);
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
    this.store = store;
    const recovered = known !== null && known.site === this.header.site && this.header.head > known.head ? this.log.slice(known.head) : [];
    return { store, recovered };
  }

  private async load(store: BlockStore): Promise<void> {
    const h = decodeHeader(await store.read(0));
    const B = this.cfg.blockSize;
    const stream = new Uint8Array(Math.ceil(h.bytes / B) * B);
    for (let i = 0; i * B < h.bytes; i++) {
      const page = await store.read(i + 1);
      if (page === null) throw new StoreError('ECORRUPT', `server log: page ${i + 1} of ${h.bytes} bytes is missing`);
      stream.set(page, i * B);
    }
    const log = decodeStream(stream.subarray(0, h.bytes));
    if (log === null || log.length !== h.head) throw new StoreError('ECORRUPT', `server log: the header says ${h.head} entries, the pages hold ${log?.length ?? 'undecodable'}`);
    this.header = h;
    this.log = log;
    this.stream = stream;
    this.clients = new Map();
    for (const e of log) this.clients.set(e.site, Math.max(this.clients.get(e.site) ?? 0, e.dbVersion));
  }

  /** Commits the buffered writes; on failure the instance is dropped (the next operation reopens it). */
  private async commit(store: BlockStore): Promise<void> {
    try {
      await store.forceSync();
    } catch (e) {
      this.store = null;
      await store.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Opens the store if a failed commit dropped it (recovery, reload); resolves with the entries beyond
   * the log known before (the failed commit made them durable after all). Call before a write.
   */
  async ready(): Promise<LoggedChange[]> {
    return (await this.open()).recovered;
  }

  /**
   * Finishes what an earlier commit left undone (a failed finalize: the commit is durable, its superseded
   * block versions not yet deleted; the block store retries it before its next commit). The server calls
   * it when idle, so a quiet server does not keep them forever. Errors are left for the next commit.
   */
  async tidy(): Promise<void> {
    await this.store?.sync().catch(() => undefined);
  }

  /** Reads the server's identity and head (opening the store: its recovery runs). */
  async loadMeta(): Promise<ServerMeta> {
    await this.open();
    const { site, schema, generation, head } = this.header;
    return { site, schema, generation, head };
  }

  /** Starts a new lineage in one commit: a fresh header (new site id, schema, generation), every page deallocated. */
  async rebuild(site: string, schema: number, generation: number): Promise<void> {
    const { store } = await this.open();
    const pages = Math.ceil(this.header.bytes / this.cfg.blockSize);
    const h: Header = { site, schema, generation, head: 0, bytes: 0 };
    store.write(0, this.headerBlock(h));
    for (let i = 1; i <= pages; i++) store.deallocate(i);
    await this.commit(store);
    this.header = h;
    this.log = [];
    this.stream = new Uint8Array(0);
    this.clients = new Map();
  }

  /** Records a schema migration (the data is kept: this model's migrations add no columns). */
  async migrate(schema: number): Promise<void> {
    const { store } = await this.open();
    const h = { ...this.header, schema };
    store.write(0, this.headerBlock(h));
    await this.commit(store);
    this.header = h;
  }

  /** The highest version of client `site` in the log (0: none). */
  acked(site: string): number {
    return this.clients.get(site) ?? 0;
  }

  /** The log after `cursor` up to the head, and the highest version of client `site` in it. */
  readAfter(cursor: number, site: string): { head: number; acked: number; entries: LoggedChange[] } {
    const head = this.header.head;
    return { head, acked: this.acked(site), entries: cursor < head ? this.log.slice(Math.max(0, cursor)) : [] };
  }

  /**
   * Appends the changes of client `site` it does not have yet (versions up to the client's highest in
   * the log are skipped: a resend after a lost ACK), in one commit; a change past a gap (a version after
   * the client's highest + 1) and all after it are refused (`gap`). Resolves once durable, with the
   * entries appended and the client's highest stored version.
   */
  async append(site: string, changes: readonly Change[]): Promise<{ entries: LoggedChange[]; upTo: number; skipped: number; gap: boolean }> {
    const { store } = await this.open();
    let upTo = this.acked(site);
    let seq = this.header.head;
    const entries: LoggedChange[] = [];
    let skipped = 0;
    let gap = false;
    for (const c of changes) {
      if (c.dbVersion <= upTo) {
        skipped++;
        continue;
      }
      // The client's versions are stored without gaps, so an ACK's upTo covers all before it.
      if (c.dbVersion !== upTo + 1) {
        gap = true;
        break;
      }
      entries.push({ ...c, site, seq: ++seq });
      upTo = c.dbVersion;
    }
    await this.appendEntries(store, entries);
    return { entries, upTo, skipped, gap };
  }

  /** Writes changes made on the server itself (origin: the server's site, version = seq), in one commit. */
  async exec(site: string, rows: readonly Omit<Change, 'site' | 'dbVersion' | 'colVersion'>[], colVersionOf: (r: Omit<Change, 'site' | 'dbVersion' | 'colVersion'>) => number): Promise<LoggedChange[]> {
    const { store } = await this.open();
    let seq = this.header.head;
    const entries = rows.map((r): LoggedChange => {
      seq++;
      return { ...r, colVersion: colVersionOf(r), site, dbVersion: seq, seq };
    });
    await this.appendEntries(store, entries);
    return entries;
  }

  /** Writes the pages the entries touch and the header, commits, then takes them into the log. */
  private async appendEntries(store: BlockStore, entries: readonly LoggedChange[]): Promise<void> {
    if (entries.length === 0) return;
    const B = this.cfg.blockSize;
    const added = encoder.encode(entries.map((e) => `${encodeEntry(e)}\n`).join(''));
    const from = this.header.bytes;
    const bytes = from + added.length;
    const pagesEnd = Math.ceil(bytes / B) * B;
    // The stream buffer grows by doubling (copying the whole log on every append made appends O(n^2));
    // past `header.bytes` it may hold a failed append's bytes, so the last page's padding is zeroed.
    let stream = this.stream;
    if (stream.length < pagesEnd) {
      stream = new Uint8Array(Math.max(pagesEnd, 2 * stream.length));
      stream.set(this.stream.subarray(0, from));
    }
    stream.set(added, from);
    stream.fill(0, bytes, pagesEnd);
    for (let i = Math.floor(from / B); i * B < bytes; i++) store.write(i + 1, stream.slice(i * B, (i + 1) * B));
    const h: Header = { ...this.header, head: this.header.head + entries.length, bytes };
    store.write(0, this.headerBlock(h));
    await this.commit(store);
    this.header = h;
    this.stream = stream;
    for (const e of entries) {
      this.log.push(e);
      this.clients.set(e.site, Math.max(this.clients.get(e.site) ?? 0, e.dbVersion));
    }
  }

  private headerBlock(h: Header): Uint8Array {
    const json = encoder.encode(JSON.stringify({ format: LOG_FORMAT, v: LOG_FORMAT_VERSION, site: h.site, schema: h.schema, generation: h.generation, head: h.head, bytes: h.bytes }));
    if (json.length > this.cfg.blockSize) throw new StoreError('EINVAL', `server log header of ${json.length} bytes exceeds blockSize ${this.cfg.blockSize}`);
    const block = new Uint8Array(this.cfg.blockSize);
    block.set(json);
    return block;
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The header block (null: an empty store). */
function decodeHeader(block: Uint8Array | null): Header {
  if (block === null) return EMPTY;
  const end = block.indexOf(0);
  let doc: unknown;
  try {
    doc = JSON.parse(decoder.decode(end < 0 ? block : block.subarray(0, end)));
  } catch {
    doc = null;
  }
  const d = doc as Partial<Record<keyof Header | 'format' | 'v', unknown>> | null;
  if (d === null || typeof d !== 'object' || d.format !== LOG_FORMAT || d.v !== LOG_FORMAT_VERSION || typeof d.site !== 'string' || !isCount(d.schema) || !isCount(d.generation) || !isCount(d.head) || !isCount(d.bytes)) {
    throw new StoreError('ECORRUPT', 'server log: the header block is not a cs-log header');
  }
  return { site: d.site, schema: d.schema, generation: d.generation, head: d.head, bytes: d.bytes };
}

/** The entries of a log stream (null: not a well-formed stream of entries). */
function decodeStream(stream: Uint8Array): LoggedChange[] | null {
  const out: LoggedChange[] = [];
  if (stream.length === 0) return out;
  const text = decoder.decode(stream);
  if (!text.endsWith('\n')) return null;
  for (const line of text.slice(0, -1).split('\n')) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return null;
    }
    const e = decodeEntry(out.length + 1, v);
    if (e === null) return null;
    out.push(e);
  }
  return out;
}
