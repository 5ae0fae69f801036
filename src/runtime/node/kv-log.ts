/**
 * The kv store's persistence: an append-only log of committed transactions, one JSON line each, in
 * `<dataDir>/.kv/log`.
 *
 * - A line is `{"tx": n, "ops": [[store, key, value], [store, key]]}` (a put, a delete), encoded with
 *   codec.ts so Uint8Array and non-finite numbers survive.
 * - A strict commit is written and fsynced before it is acknowledged; a relaxed one is only written (the
 *   OS may lose it on a power cut, and then whole lines only: a torn last line is ignored).
 * - On open the log is replayed. Bad lines at the end (a torn append, zeros after a power cut) are cut
 *   off; a bad line followed by good ones is corruption and fails the open with EIO naming the line.
 * - Once the log holds `compactLinesMax` lines it is rewritten as a snapshot (temp file, fsync, rename,
 *   fsync of the directory), so it stays bounded by the live data.
 * Writes are serialised: one chain, in commit order.
 */
import { mkdir, open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvError, type KvKey, type Value } from '../../impl/env.ts';
import { fromJson, toJson } from './codec.ts';
import { syncRealDir } from './disk.ts';
import { codeOf } from './errors.ts';
import { checkKey } from '../../impl/seam/kv-table.ts';

/** One write of a transaction: a put (value set) or a delete (value undefined). */
export interface KvWrite {
  readonly store: string;
  readonly key: KvKey;
  readonly value: Value | undefined;
}

/** Records per line when a snapshot is written. */
const SNAPSHOT_BATCH = 1_000;

/** The open log of one data directory. */
export class KvLog {
  private tail: Promise<void> = Promise.resolve();
  private nextTx: number;

  private constructor(
    private readonly dir: string,
    private fh: FileHandle,
    private lines: number,
    lastTx: number,
    private readonly compactLinesMax: number,
    private readonly snapshot: () => Iterable<KvWrite>,
  ) {
    this.nextTx = lastTx + 1;
  }

  /**
   * Opens (creating if needed) the log in `dir`, replaying every committed transaction into `apply`.
   * `snapshot` lists the live records when the log is compacted.
   */
  static async open(
    dir: string,
    compactLinesMax: number,
    apply: (write: KvWrite) => void,
    snapshot: () => Iterable<KvWrite>,
  ): Promise<KvLog> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'log');
    const { lines, lastTx, goodBytes, fileBytes } = await replay(path, apply);
    if (goodBytes < fileBytes) await truncate(path, goodBytes);
    const fh = await open(path, 'a');
    if (fileBytes === 0) await syncRealDir(dir);
    return new KvLog(dir, fh, lines, lastTx, compactLinesMax, snapshot);
  }

  /**
   * Appends one transaction (fsynced when `durable`), then calls `applied` in the same step so the
   * in-memory state never runs ahead of or behind the log. Rejects (without calling `applied`) on a write error.
   */
  commit(writes: readonly KvWrite[], durable: boolean, applied: () => void): Promise<void> {
    const line = `${JSON.stringify({ tx: this.nextTx++, ops: writes.map(encodeWrite) })}\n`;
    const step = async (): Promise<void> => {
      await this.fh.write(line);
      if (durable) await this.fh.sync();
      applied();
      this.lines++;
      if (this.lines >= this.compactLinesMax) await this.compactQuietly();
    };
    const p = this.tail.then(step);
    this.tail = p.catch(() => {});
    return p;
  }

  /** Waits for pending writes, syncs and closes the file. */
  async close(): Promise<void> {
    await this.tail;
    await this.fh.sync();
    await this.fh.close();
  }

  /** Compacts; a failure leaves the (still correct) long log in place and is retried at the next commit. */
  private async compactQuietly(): Promise<void> {
    try {
      await this.compact();
    } catch {
      // The transaction is already durable in the old log; keep using it.
    }
  }

  /** Rewrites the log as a snapshot of the live records: temp file, fsync, rename, fsync of the directory. */
  private async compact(): Promise<void> {
    const tmp = join(this.dir, 'log.tmp');
    const out = await open(tmp, 'w');
    let lines = 0;
    try {
      let batch: KvWrite[] = [];
      const flush = async (): Promise<void> => {
        await out.write(`${JSON.stringify({ tx: this.nextTx++, ops: batch.map(encodeWrite) })}\n`);
        lines++;
        batch = [];
      };
      for (const w of this.snapshot()) {
        batch.push(w);
        if (batch.length >= SNAPSHOT_BATCH) await flush();
      }
      if (batch.length > 0) await flush();
      await out.sync();
    } finally {
      await out.close();
    }
    await this.fh.sync();
    await this.fh.close();
    try {
      await rename(tmp, join(this.dir, 'log'));
      await syncRealDir(this.dir);
      this.lines = lines;
    } finally {
      this.fh = await open(join(this.dir, 'log'), 'a');
    }
  }
}

/** What a replay found. */
interface Replayed {
  lines: number;
  lastTx: number;
  /** Length of the prefix made of good lines (the rest is a torn tail). */
  goodBytes: number;
  fileBytes: number;
}

async function replay(path: string, apply: (write: KvWrite) => void): Promise<Replayed> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return { lines: 0, lastTx: 0, goodBytes: 0, fileBytes: 0 };
    throw e;
  }
  const result: Replayed = { lines: 0, lastTx: 0, goodBytes: 0, fileBytes: bytes.length };
  let badLine = 0;
  let start = 0;
  for (let lineNo = 1; start < bytes.length; lineNo++) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl + 1;
    const parsed = nl < 0 ? null : parseLine(bytes.toString('utf8', start, nl));
    if (parsed === null) badLine ||= lineNo;
    else if (badLine > 0) throw new EnvError('EIO', `kv log '${path}': line ${badLine} is corrupt and later lines are not`);
    else {
      for (const w of parsed.writes) apply(w);
      result.lines++;
      result.lastTx = parsed.tx;
      result.goodBytes = end;
    }
    start = end;
  }
  return result;
}

/** A log line's transaction, or null when the line is torn or garbage. */
function parseLine(text: string): { tx: number; writes: KvWrite[] } | null {
  try {
    const obj = JSON.parse(text) as { tx?: unknown; ops?: unknown };
    if (typeof obj.tx !== 'number' || !Array.isArray(obj.ops)) return null;
    return { tx: obj.tx, writes: obj.ops.map(decodeWrite) };
  } catch {
    return null;
  }
}

function encodeWrite(w: KvWrite): unknown[] {
  const key = toJson(w.key, 'key', 0);
  return w.value === undefined ? [w.store, key] : [w.store, key, toJson(w.value, 'value', 0)];
}

function decodeWrite(op: unknown): KvWrite {
  if (!Array.isArray(op) || typeof op[0] !== 'string' || (op.length !== 2 && op.length !== 3)) throw new TypeError('bad op');
  const key = checkKey(fromJson(op[1], 'key', 0), 'key');
  return { store: op[0], key, value: op.length === 3 ? fromJson(op[2], 'value', 0) : undefined };
}
