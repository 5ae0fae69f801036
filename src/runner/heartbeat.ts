/**
 * The heartbeat of a run on a worker thread: the last trace line, kept in memory the parent thread shares.
 *
 * A run that hangs inside the code under test (`while (true) {}`, or `for (;;) await Promise.resolve()`)
 * never returns to the event loop, so its thread cannot be asked anything; the watchdog terminates it and
 * then reads here which record the run had reached. Writing costs about 70 ns per record (a UTF-8 copy of
 * the line, at most LINE_MAX bytes), well under 1% of a record's cost in a run (~30 µs).
 *
 * Termination can land in the middle of a write (it interrupts JavaScript anywhere, and a thread stuck in a
 * microtask loop still writes records while it winds down), so lines are double-buffered: a line is copied
 * into the buffer not in use, and only then does one store make it the current one. A reader after the
 * thread stopped always finds a whole line.
 *
 * Layout of the SharedArrayBuffer: Int32 [0] = records written in this run, [1] = the current buffer (0 or
 * 1), [2 + 2b] = bytes of buffer b's line, [3 + 2b] = 1 when that line was cut to LINE_MAX bytes; then the
 * two buffers of LINE_MAX bytes.
 */

/** Bytes of a line kept (longer lines are cut; the cut text is marked). */
export const LINE_MAX = 2000;
const HEADER = 24;

/** One run slot's heartbeat buffer. */
export class Heartbeat {
  private readonly head: Int32Array;
  private readonly bytes: [Uint8Array, Uint8Array];
  private readonly encoder = new TextEncoder();

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(HEADER + 2 * LINE_MAX)) {
    this.head = new Int32Array(buffer, 0, HEADER / 4);
    this.bytes = [new Uint8Array(buffer, HEADER, LINE_MAX), new Uint8Array(buffer, HEADER + LINE_MAX, LINE_MAX)];
  }

  /** Starts a new run: nothing written yet. */
  reset(): void {
    this.head.fill(0);
  }

  /** Records one trace line (the worker's trace sink). */
  beat(line: string): void {
    const b = this.head[1] === 0 ? 1 : 0;
    // encodeInto stops at the buffer's end without splitting a character.
    const { read, written } = this.encoder.encodeInto(line, this.bytes[b]);
    this.head[2 + 2 * b] = written;
    this.head[3 + 2 * b] = read < line.length ? 1 : 0;
    this.head[0] = this.head[0]! + 1;
    this.head[1] = b; // the line is whole: make it the current one
  }

  /** Records written so far in this run. */
  count(): number {
    return this.head[0]!;
  }

  /** The last whole line written ('' when none), with ' …(cut)' when it was longer than LINE_MAX bytes. */
  last(): string {
    const b = this.head[1]!;
    const n = this.head[2 + 2 * b]!;
    if (n === 0) return '';
    // TextDecoder does not read shared memory: copy the bytes out first.
    const text = new TextDecoder().decode(this.bytes[b]!.slice(0, n));
    return this.head[3 + 2 * b] === 1 ? `${text} …(cut)` : text;
  }
}
