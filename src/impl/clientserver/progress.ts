/**
 * Download progress (the seed's Gap 3): records and bytes applied of the total the handshake announced,
 * and an estimate of the time left. Monotone within a download, exactly the total at completion, and
 * delivered to subscribers that attach late (they get the latest value at once).
 */

/** One progress report. */
export interface Progress {
  /** Downloads are numbered per process (a reconnect starts a new one). */
  download: number;
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
  /** Estimated ms left (0 when complete). */
  etaMs: number;
}

/** Tracks the current download and publishes its progress. */
export class ProgressTracker {
  private latest: Progress | null = null;
  private startedMs = 0;
  private downloads = 0;
  private readonly subscribers = new Set<(p: Progress) => void>();

  constructor(
    private readonly publish: (p: Progress) => void,
    /** The seed's old bug (variant cs-progress-chunks): count messages, not records. */
    private readonly chunks: boolean,
    private readonly chunkSize: number,
    /** Weakened variant cs-eta-seconds: the estimate of the time left in seconds, reported as ms. */
    private readonly etaSeconds = false,
  ) {}

  /** A download of `total` records (`bytes` bytes) begins at `nowMs`. */
  start(total: number, bytes: number, nowMs: number): void {
    this.downloads++;
    this.startedMs = nowMs;
    const t = this.chunks ? Math.ceil(total / this.chunkSize) : total;
    this.set({ download: this.downloads, done: 0, total: t, bytes: 0, totalBytes: bytes, etaMs: 0 });
  }

  /** `n` records of `bytes` bytes were applied at `nowMs`. */
  add(n: number, bytes: number, nowMs: number): void {
    const p = this.latest;
    if (p === null || p.done >= p.total) return;
    const done = Math.min(p.total, p.done + (this.chunks ? 1 : n));
    const elapsed = nowMs - this.startedMs;
    const left = (elapsed / done) * (p.total - done);
    const etaMs = done >= p.total ? 0 : Math.round(this.etaSeconds ? left / 1000 : left);
    this.set({ ...p, done, bytes: Math.min(p.totalBytes, p.bytes + bytes), etaMs });
  }

  /** The latest progress, or null before the first download. */
  current(): Progress | null {
    return this.latest;
  }

  /** Subscribes; a late subscriber gets the latest progress at once. Returns the unsubscribe function. */
  subscribe(fn: (p: Progress) => void): () => void {
    this.subscribers.add(fn);
    if (this.latest !== null) fn(this.latest);
    return () => this.subscribers.delete(fn);
  }

  private set(p: Progress): void {
    this.latest = p;
    this.publish(p);
    for (const fn of this.subscribers) fn(p);
  }
}
