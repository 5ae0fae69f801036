/**
 * The block store's metadata body (docs/storage.md: `{commit, epoch, blockSize, algorithm, blocks: [[id,
 * v, sum, ...]...], tombstones}`), decoded straight from its bytes when it is in the exact form the writer
 * produces, reusing the rows of the previous body the new one repeats byte for byte. Evidence that reads
 * every commit's metadata (the server log's, cs-server.ts, through `fileStoreReader`) otherwise parsed the
 * whole JSON document each time, though a commit changes a couple of rows of it.
 *
 * Exact by construction: `parse` gives, for a body it accepts, the fields `decodeMeta(JSON.parse(body))`
 * gives (store-blocks.ts), and `undefined` (the caller then takes that slow path) for anything else:
 *
 * - accepted: `{"commit":N,"epoch":I,"blockSize":N,"algorithm":"crc32"|"fast","blocks":[ROW,...],
 *   "tombstones":[[I,...],...]}` with no whitespace and nothing after it, ROW `[N,N,I,I...]` (three numbers
 *   or more), N a non-negative and I a possibly negative JSON integer of at most 15 digits (exact as a
 *   double: the value JSON.parse reads), without leading zeros, rows ascending by id;
 * - so the object has exactly those keys once each, every row passes decodeMeta's checks (id and version
 *   counts, a numeric sum, taken `>>> 0`), and no sort is needed (decodeMeta sorts only unordered rows).
 *
 * A row is reused when the new body holds, at the place of the row, the same bytes as the previous body
 * held for it (compared here): a row's values depend only on its bytes. The previous body is kept by
 * reference, not copied: the byte arrays read are immutable (the simulator's durable contents are replaced
 * by new arrays, never written in place; the real runtime reads each file into a fresh array), as the
 * memo caches of store.ts and store-blocks.ts already require.
 */

/** What decodeMeta takes from a metadata document. */
export interface MetaFields {
  commit: number;
  blockSize: number;
  algorithm: 'crc32' | 'fast';
  ids: number[];
  versions: number[];
  sums: number[];
}

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const COMMIT = bytesOf('{"commit":');
const EPOCH = bytesOf(',"epoch":');
const BLOCK_SIZE = bytesOf(',"blockSize":');
const ALGORITHM = bytesOf(',"algorithm":"');
const CRC32 = bytesOf('crc32"');
const FAST = bytesOf('fast"');
const BLOCKS = bytesOf(',"blocks":[');
const TOMBSTONES = bytesOf('],"tombstones":[');
const END = bytesOf(']}');
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NONE = new Uint8Array(0);

/** The previous accepted body: its bytes, where each row starts and ends, and its fields. */
interface Previous {
  body: Uint8Array;
  starts: number[];
  ends: number[];
  fields: MetaFields;
}

/** True when `a[af, af + n)` and `b[bf, bf + n)` hold the same bytes (both in range). */
function sameBytes(a: Uint8Array, af: number, b: Uint8Array, bf: number, n: number): boolean {
  if (af + n > a.length || bf + n > b.length) return false;
  if (n <= 48) {
    for (let i = 0; i < n; i++) if (a[af + i] !== b[bf + i]) return false;
    return true;
  }
  return Buffer.compare(a.subarray(af, af + n), b.subarray(bf, bf + n)) === 0;
}

/** Decodes metadata bodies one after another (the previous one's rows are reused); per reader, per run. */
export class MetaTextParser {
  private prev: Previous | null = null;
  private b: Uint8Array = NONE;
  private p = 0;

  /** The fields of `body` (UTF-8 JSON), or undefined when it is not in the accepted form. */
  parse(body: Uint8Array): MetaFields | undefined {
    this.b = body;
    this.p = 0;
    const out = this.document();
    this.b = NONE;
    return out;
  }

  private document(): MetaFields | undefined {
    if (!this.lit(COMMIT)) return undefined;
    const commit = this.int(false);
    if (commit !== commit || !this.lit(EPOCH)) return undefined;
    const epoch = this.int(true);
    if (epoch !== epoch || !this.lit(BLOCK_SIZE)) return undefined;
    const blockSize = this.int(false);
    if (blockSize !== blockSize || !this.lit(ALGORITHM)) return undefined;
    const algorithm = this.lit(CRC32) ? 'crc32' : this.lit(FAST) ? 'fast' : null;
    if (algorithm === null || !this.lit(BLOCKS)) return undefined;
    const ids: number[] = [];
    const versions: number[] = [];
    const sums: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const prev = this.prev;
    const b = this.b;
    if (b[this.p] !== CLOSE) {
      for (;;) {
        const j = ids.length;
        const q = this.p;
        const k = prev === null ? 0 : this.repeated(prev, j, q);
        if (k > 0) {
          // Rows j..j+k-1 of the previous body, byte for byte: the same values.
          const f = prev!.fields;
          const shift = q - prev!.starts[j]!;
          if (j > 0 && f.ids[j]! < ids[j - 1]!) return undefined;
          for (let r = j; r < j + k; r++) {
            ids.push(f.ids[r]!);
            versions.push(f.versions[r]!);
            sums.push(f.sums[r]!);
            starts.push(prev!.starts[r]! + shift);
            ends.push(prev!.ends[r]! + shift);
          }
          this.p = ends[ends.length - 1]!;
        } else {
          if (b[this.p] !== OPEN) return undefined;
          this.p++;
          const id = this.int(false);
          if (id !== id || b[this.p++] !== COMMA) return undefined;
          const v = this.int(false);
          if (v !== v || b[this.p++] !== COMMA) return undefined;
          const sum = this.int(true);
          if (sum !== sum) return undefined;
          while (b[this.p] === COMMA) {
            this.p++;
            const x = this.int(true);
            if (x !== x) return undefined;
          }
          if (b[this.p++] !== CLOSE) return undefined;
          if (j > 0 && id < ids[j - 1]!) return undefined;
          ids.push(id);
          versions.push(v);
          sums.push(sum >>> 0);
          starts.push(q);
          ends.push(this.p);
        }
        if (b[this.p] !== COMMA) break;
        this.p++;
      }
    }
    if (!this.lit(TOMBSTONES)) return undefined;
    if (b[this.p] !== CLOSE) {
      for (;;) {
        if (b[this.p++] !== OPEN) return undefined;
        for (;;) {
          const x = this.int(true);
          if (x !== x) return undefined;
          if (b[this.p] !== COMMA) break;
          this.p++;
        }
        if (b[this.p++] !== CLOSE) return undefined;
        if (b[this.p] !== COMMA) break;
        this.p++;
      }
    }
    if (!this.lit(END) || this.p !== b.length) return undefined;
    const fields: MetaFields = { commit, blockSize, algorithm, ids, versions, sums };
    this.prev = { body: b, starts, ends, fields };
    return fields;
  }

  /**
   * How many rows from row `j` of `prev` the body repeats from offset `q` on (0: not even row j). A prefix
   * of a repeated run is repeated, so the longest run is found by bisection.
   */
  private repeated(prev: Previous, j: number, q: number): number {
    const n = prev.starts.length - j;
    if (n <= 0) return 0;
    const from = prev.starts[j]!;
    const b = this.b;
    // Rows j..j+k-1 are repeated when the bytes from `from` to the end of row j+k-1 are.
    if (!sameBytes(b, q, prev.body, from, prev.ends[j]! - from)) return 0;
    if (sameBytes(b, q, prev.body, from, prev.ends[j + n - 1]! - from)) return n;
    // An append rewrites the last page: all rows but the last one repeat, usually.
    if (n > 2 && sameBytes(b, q, prev.body, from, prev.ends[j + n - 2]! - from)) return n - 1;
    let lo = 1; // repeated
    let hi = n > 2 ? n - 1 : n; // not repeated
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (sameBytes(b, q, prev.body, from, prev.ends[j + mid - 1]! - from)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Matches `lit` at the position (advancing past it). */
  private lit(lit: Uint8Array): boolean {
    const b = this.b;
    const p = this.p;
    if (p + lit.length > b.length) return false;
    for (let i = 0; i < lit.length; i++) if (b[p + i] !== lit[i]) return false;
    this.p = p + lit.length;
    return true;
  }

  /**
   * A JSON integer at the position (`signed`: a leading minus allowed), at most 15 digits, no leading
   * zero; NaN when there is none (or it is longer, or has a fraction or exponent: not accepted here).
   */
  private int(signed: boolean): number {
    const b = this.b;
    let p = this.p;
    const negative = signed && b[p] === MINUS;
    if (negative) p++;
    const start = p;
    let v = 0;
    for (let d = b[p]! - ZERO; d >= 0 && d <= 9 && p < b.length; d = b[p]! - ZERO) {
      v = v * 10 + d;
      p++;
    }
    const digits = p - start;
    if (digits === 0 || digits > 15 || (digits > 1 && b[start] === ZERO)) return Number.NaN;
    const next = b[p];
    if (next === 0x2e || next === 0x65 || next === 0x45) return Number.NaN; // '.', 'e', 'E'
    this.p = p;
    return negative ? -v : v;
  }
}
