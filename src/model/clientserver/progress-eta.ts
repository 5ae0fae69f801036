/**
 * invariant:progress-eta — the time a download's progress says is left (`cs.progress.etaMs`, shown to the
 * user) is an estimate of that time in milliseconds: within a factor of ETA_FACTOR (and ETA_SLACK_MS) of
 * the linear extrapolation of the download's rate so far, measured on the simulator's true time: the
 * virtual time since the download's first report (done 0) times the records left over the records done.
 * The counts themselves are judged by invariant:progress (prefix sums of the `Changes` the network
 * delivered, the total from the server's durable log); this check judges only the unit and the rate.
 *
 * The factor leaves room for another estimator (one from bytes, or smoothed) and for clock drift (a
 * client's monotonic clock runs within 0.2% of true time in every scenario); a time in seconds, or in
 * microseconds, or measured from the wrong start, is off by far more. Hunt 7: an ETA in seconds
 * (variant cs-eta-seconds) passed all 185 cs smoke+ci runs (seeds 0..4): invariant:progress checked only
 * that the estimate is not negative and is 0 at completion.
 */
import type { TraceCheck } from '../check.ts';

/** How far an estimate may be from the linear extrapolation (either way). */
export const ETA_FACTOR = 3;
/** Absolute slack, ms (an estimate rounded, a batch applied in the instant the download began). */
export const ETA_SLACK_MS = 20;

/** invariant:progress-eta for `clients` (see the file comment). */
export function progressEtaCheck(clients: readonly string[]): TraceCheck {
  const name = 'invariant:progress-eta';
  const watched = new Set(clients);
  return {
    onTrace: true,
    name,
    covers: [name],
    setup(ctx) {
      /** Client -> the download it reports on and the true time (µs) of its first report. */
      const started = new Map<string, { download: number; tUs: number }>();
      ctx.trace.on('node.start', (r) => void started.delete(r.node));
      ctx.trace.on('cs.progress', (r) => {
        if (!watched.has(r.node)) return;
        const d = r.data as { download: number; done: number; total: number; etaMs: number };
        if (d.done === 0) {
          started.set(r.node, { download: d.download, tUs: r.t });
          return;
        }
        const s = started.get(r.node);
        if (s === undefined || s.download !== d.download || d.done >= d.total) return;
        ctx.exercised(name);
        const elapsedMs = (r.t - s.tUs) / 1000;
        const expected = (elapsedMs / d.done) * (d.total - d.done);
        if (d.etaMs <= expected * ETA_FACTOR + ETA_SLACK_MS && d.etaMs >= expected / ETA_FACTOR - ETA_SLACK_MS) return;
        ctx.fail(
          'correctness',
          name,
          `${r.node} estimates ${d.etaMs} ms left at ${d.done}/${d.total} of download ${d.download}, ${elapsedMs.toFixed(1)} ms (true time) after it began: the rate so far leaves about ${expected.toFixed(0)} ms (trace #${r.i})`,
        );
      });
    },
  };
}
