/**
 * Reading trace records in batches: the model monitors of a live run read the records they subscribed to
 * some hundreds at a time instead of one by one as they are written.
 *
 * Why: a model's step is cheap when its code and data are warm (about 0.5 µs replayed from a recorded
 * trace) and several times dearer inside a running simulation, where the implementation's code runs
 * between two of its records and takes the caches. Read in batches, the election swarm with its checks
 * took 1.36x the time of the same runs without them instead of 1.59x (seeds 1..10, best of 3).
 *
 * Why it changes no verdict: a model is a function of the records it reads, in their order, and nothing
 * else (it never looks at the simulation), so reading them later gives it the same states and the same
 * refusals. What would differ is *when* a refusal is found, and the simulation takes care of that
 * (`Simulation.fail`): before it records any failure it lets every deferred reader catch up, so a model
 * that refuses a record written before the one another check failed on is the failure reported, as when
 * models read each record at once; the failure keeps the record's position and time. A run that passes
 * writes exactly the same trace either way (readers here never write records); a run a model fails goes on
 * for at most one batch past the refused record before it stops, so its trace is longer than it was.
 *
 * The deferred readers catch up before a failure is recorded, when `Simulation.run` returns, and whenever
 * someone reads their state (`Watch.hot`, `Watch.flush`). A subscription made while records wait to be
 * read would miss them: it is refused (subscribe in setup, before the first record).
 *
 * A reader that throws is a bug of the checking code, not of the implementation: the live run reports it
 * as a crash of the simulator naming the record (as a check's final that throws), where a reader called
 * from inside the emitting code had its exception reported as the node's own.
 */
import type { TraceSource } from '../model/check.ts';
import type { TraceListener, TraceRecord } from '../sim/trace.ts';

/** One subscription of a deferred reader. */
interface Reader {
  listener: TraceListener;
  /** False once unsubscribed: records already waiting for it are then skipped, as the live trace would. */
  active: boolean;
}

/** Records queued for deferred readers: `on` subscribes through the live source; `catchUp` reads the queue. */
export class DeferredTrace implements TraceSource {
  /** Waiting records and, at the same index, the reader each is for (a record read by two readers is queued twice, in subscription order). */
  private records: TraceRecord[] = [];
  private readers: Reader[] = [];
  private reading = false;
  /** The record being read now (null between catch-ups). */
  current: TraceRecord | null = null;

  /**
   * @param source the live trace
   * @param batch catch up once this many (record, reader) pairs wait; 1 reads every record as it is written
   */
  constructor(
    private readonly source: TraceSource,
    private readonly batch: number,
    /**
     * Told when a reader throws on a record (a bug in a model or check): the catch-up goes on with the
     * next record. Without it the exception leaves `catchUp`.
     */
    private readonly onError?: (error: unknown, rec: TraceRecord) => void,
  ) {}

  on(kind: string, listener: TraceListener): () => void {
    if (this.records.length > 0 && (!this.reading || this.records[this.records.length - 1] !== this.current)) {
      const at = this.current === null ? '' : ` while reading trace #${this.current.i}`;
      throw new Error(`a deferred trace reader subscribed to '${kind}'${at} with later records waiting to be read: subscribe in setup (src/scenario/deferred.ts)`);
    }
    const reader: Reader = { listener, active: true };
    const off = this.source.on(kind, (rec) => this.push(rec, reader));
    return () => {
      reader.active = false;
      off();
    };
  }

  hasListener(kind: string): boolean {
    return this.source.hasListener(kind);
  }

  /** Queues `fn` to read `rec` in turn with the subscribed readers (a one-off reader: fault crediting). */
  later(rec: TraceRecord, fn: TraceListener): void {
    this.push(rec, { listener: fn, active: true });
  }

  private push(rec: TraceRecord, reader: Reader): void {
    this.records.push(rec);
    this.readers.push(reader);
    if (this.records.length >= this.batch) this.catchUp();
  }

  /** Reads every waiting record, in order (a call made while reading returns at once: the loop reads on). */
  catchUp(): void {
    if (this.reading || this.records.length === 0) return;
    this.reading = true;
    let i = 0;
    try {
      // Records queued while reading (a failure's own record) join this loop.
      for (; i < this.records.length; i++) {
        const reader = this.readers[i]!;
        if (!reader.active) continue;
        const rec = (this.current = this.records[i]!);
        try {
          reader.listener(rec);
        } catch (e) {
          if (this.onError === undefined) throw e;
          this.onError(e, rec);
        }
      }
    } finally {
      this.reading = false;
      this.current = null;
      // All read, or a reader threw at `i`: what it threw on and what came before are done.
      const done = Math.min(i + 1, this.records.length);
      this.records = done === this.records.length ? [] : this.records.slice(done);
      this.readers = this.readers.length === done ? [] : this.readers.slice(done);
    }
  }
}
