/**
 * Reading a trace file (JSON Lines, docs/trace-format.md) record by record, checking each line: a line that
 * is not a record, or a record out of trace order, is a usage error naming the file and the line (and a
 * last line without its newline is said to be torn). Used by `view` and `check-trace`; the file is
 * streamed, never held whole.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TraceRecord } from '../sim/trace.ts';
import { UsageError } from './usage.ts';

/** Why `v` is not a trace record (null when it is). */
export function notARecord(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'is not a JSON object';
  const r = v as Record<string, unknown>;
  if (!Number.isSafeInteger(r.i) || (r.i as number) < 0) return `its "i" (${JSON.stringify(r.i)}) is not a trace position (an integer >= 0)`;
  if (!Number.isSafeInteger(r.t) || (r.t as number) < 0) return `its "t" (${JSON.stringify(r.t)}) is not a virtual time (integer µs >= 0)`;
  if (typeof r.node !== 'string' || r.node === '') return 'its "node" is not a non-empty string';
  if (typeof r.kind !== 'string' || r.kind === '') return 'its "kind" is not a non-empty string';
  if (typeof r.data !== 'object' || r.data === null || Array.isArray(r.data)) return 'its "data" is not a JSON object';
  return null;
}

/** Throws a usage error when `file` is not a readable file. */
export function checkTraceFile(file: string): void {
  if (!existsSync(file)) throw new UsageError(`${file}: cannot read: no such file`);
  if (statSync(file).isDirectory()) throw new UsageError(`${file}: is a folder, not a trace file`);
}

/** One checked record and its line as written. */
export interface FileRecord {
  rec: TraceRecord;
  line: string;
  /** 1-based line number. */
  n: number;
}

/** The records of `file` in order, each checked (see the file comment). */
export async function* readTraceFile(file: string): AsyncGenerator<FileRecord> {
  const size = statSync(file).size;
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  let bytes = 0;
  let last: TraceRecord | null = null;
  for await (const line of lines) {
    n++;
    bytes += Buffer.byteLength(line) + 1;
    const torn = bytes > size ? ' (the last line, without a newline: the file was cut while it was written; remove that line to read the rest)' : '';
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new UsageError(`${file}: line ${n} is not a trace record: ${line.trim() === '' ? 'it is empty' : (e as Error).message}${torn}`);
    }
    const why = notARecord(v);
    if (why !== null) throw new UsageError(`${file}: line ${n} is not a trace record: ${why}${torn}`);
    const r = v as TraceRecord;
    if (last !== null && r.i <= last.i) throw new UsageError(`${file}: line ${n} is not a trace record: its "i" ${r.i} does not follow ${last.i} (records are in trace order)`);
    if (last !== null && r.t < last.t) throw new UsageError(`${file}: line ${n} is not a trace record: its "t" ${r.t} µs is before the previous record's ${last.t} µs`);
    last = r;
    yield { rec: r, line, n };
  }
}
