/**
 * Newline-delimited frames on a byte stream: each frame is one line of UTF-8 JSON (JSON.stringify never
 * emits a raw newline). Lines are bounded: a line longer than the limit is an error, not a growing buffer.
 */

/** Splits a byte stream into lines. */
export class LineReader {
  private parts: Buffer[] = [];
  private partBytes = 0;

  /** `lineBytesMax` bounds one line (without its newline). */
  constructor(private readonly lineBytesMax: number) {}

  /** Feeds a chunk; calls `onLine` for every complete line, in order. Throws a RangeError when a line exceeds the limit. */
  feed(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.keep(chunk.subarray(start));
        return;
      }
      onLine(this.take(chunk.subarray(start, nl)));
      start = nl + 1;
    }
  }

  /** Bytes held of an unfinished line. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  private keep(part: Buffer): void {
    this.partBytes += part.length;
    if (this.partBytes > this.lineBytesMax) throw new RangeError(`a frame is longer than ${this.lineBytesMax} bytes`);
    this.parts.push(Buffer.from(part));
  }

  private take(tail: Buffer): string {
    if (this.parts.length === 0) {
      if (tail.length > this.lineBytesMax) throw new RangeError(`a frame is longer than ${this.lineBytesMax} bytes`);
      return tail.toString('utf8');
    }
    this.keep(tail);
    const line = Buffer.concat(this.parts, this.partBytes).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    return line;
  }
}
