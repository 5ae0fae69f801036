/**
 * The determinism self-check (`run --check-determinism[=RATE]`, FoundationDB's "unseed" check): a sampled
 * run is run a second time, right after the first, on the same thread, and the two traces must be identical.
 * A run is a pure function of (scenario, seed, options); when it is not (the code under test reads something
 * outside the simulation, a module keeps state from the previous run, iteration order depends on object
 * identity...), every replay command the bench prints is a lie. The second run compares its trace with the
 * first record by record as it goes, so a difference is named at the first record where the two runs part:
 * the run becomes a `crash` verdict `runner:nondeterminism` quoting both versions of that record.
 *
 * Which runs are re-run depends only on (scenario, seed) and the rate, never on worker count or timing.
 */
import type { RunOptions, RunResult } from '../scenario/types.ts';

/** The check name of a run whose two traces differ. */
export const NONDETERMINISM_CHECK = 'runner:nondeterminism';

/** The rate the `ci` suite runs with when `--check-determinism` is not given. */
export const CI_DETERMINISM_RATE = 0.02;

/** Whether (scenario, seed) falls in the sample of `rate` (0..1): a 32-bit hash of both, as a fraction. */
export function sampled(scenario: string, seed: number, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  let h = 0x811c9dc5;
  const text = `${scenario}#${seed}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // FNV-1a alone spreads consecutive seeds poorly (0.085 of them fell under 0.1); MurmurHash3's finaliser
  // mixes every input bit into every output bit.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32 < rate;
}

/** Cuts a trace line for a message. */
function clip(line: string | undefined): string {
  if (line === undefined) return '(no record: the trace ended here)';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Runs twice through `run` (runScenario's signature) and compares: the first result when the traces are
 * identical, else a crash verdict naming the first record that differs. `options.traceSink` sees the
 * first run's lines, `secondSink` the second's (the worker's heartbeat).
 */
export async function runTwice(run: (options: RunOptions) => Promise<RunResult>, options: RunOptions, secondSink?: (line: string) => void): Promise<RunResult> {
  const lines: string[] = [];
  const sink = options.traceSink;
  const first = await run({ ...options, traceSink: (line) => (lines.push(line), sink?.(line)) });
  let i = 0;
  let differs = -1;
  let other = '';
  const second = await run({
    ...options,
    traceSink: (line) => {
      secondSink?.(line);
      if (differs < 0 && line !== lines[i]) {
        differs = i;
        other = line;
      }
      i++;
    },
  });
  if (differs < 0 && i < lines.length) differs = i; // the second trace stopped short
  if (differs < 0 && first.traceHash === second.traceHash && first.verdict === second.verdict) return first;
  const at = differs < 0 ? lines.length : differs;
  const record = (line: string | undefined): { timeUs: number } => {
    try {
      return { timeUs: (JSON.parse(line ?? '') as { t: number }).t };
    } catch {
      return { timeUs: first.simTimeUs };
    }
  };
  const message =
    differs < 0
      ? `the same seed run twice gave the same trace but different results (${first.verdict} then ${second.verdict}): the run is not a function of (scenario, seed, options)`
      : `the same seed run twice on the same thread gave different traces (hashes ${first.traceHash} and ${second.traceHash}): they part at record #${at}\n  first:  ${clip(lines[at])}\n  second: ${clip(differs === i && other === '' ? undefined : other)}\n` +
        '  the code under test reads something outside the simulation, or keeps state from one run to the next (module-level variables, caches)';
  return {
    ...first,
    verdict: 'crash',
    failure: { kind: 'crash', check: NONDETERMINISM_CHECK, message, timeUs: record(lines[at]).timeUs, traceIndex: at, details: { firstHash: first.traceHash, secondHash: second.traceHash } },
  };
}
