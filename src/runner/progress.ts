/**
 * Live progress of a sweep: on a terminal, one redrawn bar line (done/total, failures, rate, ETA); when
 * not a terminal (CI logs), a plain line every `plainEveryMs`. A failed run is announced as it happens
 * (its kind, check and replay command; the first LIVE_FAILURES_MAX of them), so a long sweep can be acted
 * on before it ends.
 */

/** Failures announced live; the rest are only counted (the summary lists them all). */
export const LIVE_FAILURES_MAX = 20;

/** A run in flight longer than this (seconds) is named in the progress line, with how long it has run. */
export const SLOW_AFTER_S = 10;

/** A run in flight: what and since when (ms on the Progress clock). */
export interface InFlightRun {
  job: { scenario: string; seed: number };
  since: number;
}

/** Where progress goes: stderr by default. */
export interface ProgressOut {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** Options of a Progress. */
export interface ProgressOptions {
  /** Output (default process.stderr). */
  out?: ProgressOut;
  /** Redraw interval on a terminal, ms (default 100). */
  ttyEveryMs?: number;
  /** Interval between plain lines, ms (default 5000). */
  plainEveryMs?: number;
  /** Clock in ms (default performance.now), injectable for tests. */
  now?: () => number;
}

/** A duration for the ETA: 45s, 6m00s, 1h02m; ? when unknown. */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const whole = Math.ceil(s); // round once, so 359.5 s reads 6m00s, not 5m60s
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** Reports progress of `total` runs. */
export class Progress {
  private done = 0;
  private failed = 0;
  private last = -Infinity;
  private readonly started: number;
  private readonly out: ProgressOut;
  private readonly tty: boolean;
  private readonly every: number;
  private readonly now: () => number;
  private inFlight: (() => InFlightRun[]) | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly total: number,
    o: ProgressOptions = {},
  ) {
    this.out = o.out ?? process.stderr;
    this.tty = this.out.isTTY === true;
    this.every = this.tty ? (o.ttyEveryMs ?? 100) : (o.plainEveryMs ?? 5000);
    this.now = o.now ?? (() => performance.now());
    this.started = this.now();
    this.last = this.started;
  }

  /**
   * Counts one finished run. `failure`: the one-line description of a failed run (printed at once for
   * the first LIVE_FAILURES_MAX failures); true counts a failure without printing it.
   */
  tick(failure: string | boolean): void {
    this.done++;
    if (failure !== false) {
      this.failed++;
      if (typeof failure === 'string' && this.failed <= LIVE_FAILURES_MAX) this.announce(failure);
      else if (typeof failure === 'string' && this.failed === LIVE_FAILURES_MAX + 1) this.announce(`(further failures are counted, not printed as they happen)`);
    }
    const t = this.now();
    if (t - this.last >= this.every) {
      this.last = t;
      this.draw(t);
    }
  }

  /** The status text: '123/1000 runs (12.3%), 4 failed, 45.6 runs/s, ETA 20s'. */
  status(t = this.now()): string {
    const secs = Math.max((t - this.started) / 1000, 1e-9);
    const rate = this.done / secs;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const pct = this.total === 0 ? 100 : (100 * this.done) / this.total;
    return `${this.done}/${this.total} runs (${pct.toFixed(1)}%), ${this.failed} failed, ${rate.toFixed(1)} runs/s, ETA ${fmtSeconds(eta)}${this.slowText(t)}`;
  }

  /**
   * Watches the runs in flight: the status names those running longer than SLOW_AFTER_S, and the line is
   * redrawn (or, off a terminal, printed every `plainEveryMs`) even while no run finishes, so a sweep
   * stuck on a slow or hanging seed says which one.
   */
  watch(list: () => InFlightRun[], everyMs = 1000): void {
    this.inFlight = list;
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      const t = this.now();
      if (t - this.last >= this.every) {
        this.last = t;
        this.draw(t);
      }
    }, everyMs);
    this.timer.unref();
  }

  /** '; running > 10s: a seed 3 (42s), b seed 7 (12s)' for the slowest runs in flight, or ''. */
  private slowText(t: number): string {
    const slow = (this.inFlight?.() ?? []).filter((r) => t - r.since >= SLOW_AFTER_S * 1000).sort((a, b) => a.since - b.since);
    if (slow.length === 0) return '';
    const named = slow.slice(0, 3).map((r) => `${r.job.scenario} seed ${r.job.seed} (${fmtSeconds((t - r.since) / 1000)})`);
    return `; running > ${SLOW_AFTER_S}s: ${named.join(', ')}${slow.length > 3 ? ` and ${slow.length - 3} more` : ''}`;
  }

  /** Ends the progress display (clears the bar on a terminal). */
  finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.out.write('\r\x1b[2K');
  }

  private announce(line: string): void {
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line}\n`);
      this.draw(this.now());
    } else this.out.write(`${line}\n`);
  }

  private draw(t: number): void {
    const text = this.status(t);
    if (!this.tty) {
      this.out.write(`progress: ${text}\n`);
      return;
    }
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - text.length - 4));
    const filled = this.total === 0 ? width : Math.round((width * this.done) / this.total);
    this.out.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
  }
}
