/** `syncbench replay`: re-run one seed, print its trace (filtered), and end with `trace-hash: <hex>`. */
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { parsePlan, type FaultPlan } from '../faults/plan.ts';
import { IsolatedRunner, RunAbandonedError } from '../runner/isolated.ts';
import { shellQuote } from '../scenario/replay-command.ts';
import { EXIT_CODES, type RunResult } from '../scenario/types.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { CorpusEntry } from '../runner/corpus.ts';
import { readResults, type RunRow } from '../runner/results.ts';
import { DEFAULT_REPORT_DIR } from './defaults.ts';
import { printable } from './printable.ts';
import { onInterrupt } from './signals.ts';
import { UsageError, checkOutFile, corpusArg, intArg, resolveRun, runLimits, scenariosDir, seedArg } from './usage.ts';

/** Microseconds per unit of a time option. */
const US_PER: Readonly<Record<string, number>> = { s: 1_000_000, ms: 1000, us: 1, µs: 1 };

/**
 * A time option (`--from`, `--to`) in µs: a number with a unit (`4.1s`, `4100ms`, `4100000us`), or a bare
 * number of ms, the unit every replay line prints (`#12   4100.000 ms A ...`).
 */
export function timeArg(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(s|ms|us|µs)?\s*$/.exec(String(v));
  if (m === null) throw new UsageError(`--${name} '${String(v)}' is not a time: give a number with a unit (4.1s, 4100ms, 4100000us) or a bare number of ms, as replay prints`);
  return Math.round(Number(m[1]) * US_PER[m[2] ?? 'ms']!);
}

function loadPlan(file: string, nodes: string[]): FaultPlan {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--faults ${file}: ${(e as Error).message}`);
  }
  try {
    return parsePlan(json, nodes);
  } catch (e) {
    throw new UsageError(`--faults ${file}: ${(e as Error).message}`);
  }
}

/** One human-readable line for a trace record. */
export function formatRecord(r: TraceRecord): string {
  const ms = (r.t / 1000).toFixed(3).padStart(10);
  const data = Object.keys(r.data).length === 0 ? '' : ` ${JSON.stringify(r.data)}`;
  return `#${r.i} ${ms} ms ${r.node.padEnd(8)} ${r.kind}${data}`;
}

function scaleArg(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new UsageError(`--workload-scale '${String(v)}' must be a number in (0, 1]`);
  return n;
}

/** The command that replays entry `k` of corpus `file`. */
export function corpusReplay(scenario: string, seed: number, file: string, k: number): string {
  return ['npx', 'syncbench', 'replay', scenario, '--seed', String(seed), '--corpus', file, '--entry', String(k)].map(shellQuote).join(' ');
}

/** The corpus entry `--corpus FILE --entry K` names, checked against the scenario and seed given. */
async function corpusEntry(o: Record<string, unknown>, scenario: string, seed: number): Promise<CorpusEntry | null> {
  if (o.corpus === undefined && o.entry === undefined) return null;
  if (typeof o.corpus !== 'string' || o.entry === undefined) throw new UsageError('--corpus FILE and --entry K go together');
  for (const f of ['variant', 'faults', 'workloadScale'] as const) {
    if (o[f] !== undefined) throw new UsageError(`--${f === 'workloadScale' ? 'workload-scale' : f} cannot be combined with --corpus: the entry says it`);
  }
  const corpus = await corpusArg('--corpus', o.corpus);
  const k = intArg('entry', o.entry, 0, corpus.entries.length - 1)!;
  const e = corpus.entries[k]!;
  if (e.scenario !== scenario || e.seed !== seed) throw new UsageError(`${o.corpus} entry ${k} is ${e.scenario} seed ${e.seed}, not ${scenario} seed ${seed}`);
  return e;
}

/** Runs the `replay` command: readable lines (or JSONL with --jsonl), then verdict and `trace-hash: <hex>`. */
export async function replayCommandAction(name: string, o: Record<string, unknown>): Promise<void> {
  const seed = await seedArg(String(o.seed));
  const entry = await corpusEntry(o, name, seed);
  const { scenarios, variant } = await resolveRun([name], '0', entry?.variant ?? (o.variant as string | undefined), scenariosDir(o));
  const scenario = scenarios[0]!;
  if (scenario.name !== name) throw new UsageError(`'${name}' is a suite; replay takes one scenario`);
  const fromUs = timeArg('from', o.from);
  const toUs = timeArg('to', o.to);
  const faults = entry?.faults ?? (typeof o.faults === 'string' ? loadPlan(o.faults, scenario.topology.nodes.map((n) => n.id)) : undefined);
  const workloadScale = entry?.workloadScale ?? scaleArg(o.workloadScale);
  const limits = runLimits(o);
  if (typeof o.results === 'string' && !existsSync(o.results)) throw new UsageError(`--results ${o.results}: no such file (a results.json of syncbench run)`);
  if (typeof o.trace === 'string') checkOutFile('--trace', o.trace);
  const file = typeof o.trace === 'string' ? createWriteStream(o.trace) : null;
  let fileError: Error | null = null;
  file?.on('error', (e) => {
    fileError ??= e;
  });
  const quiet = o.quiet === true;
  const jsonl = o.jsonl === true;
  // A filter that can match nothing prints nothing: say so instead of leaving the user with an empty screen.
  const nodeIds = ['sim', 'fault', 'workload', ...scenario.topology.nodes.map((n) => n.id)];
  if (typeof o.node === 'string' && !nodeIds.includes(o.node)) {
    process.stderr.write(`syncbench: warning: --node ${printable(o.node)} is not a node of ${scenario.name} (nodes: ${nodeIds.join(', ')}): no record will match\n`);
  }
  const kindsSeen = new Set<string>();
  let kindMatched = false;
  const show = (r: TraceRecord): boolean =>
    !quiet &&
    (o.node === undefined || r.node === o.node) &&
    (o.kind === undefined || r.kind.startsWith(String(o.kind))) &&
    (fromUs === undefined || r.t >= fromUs) &&
    (toUs === undefined || r.t <= toUs);
  const lines: string[] = [];
  const flush = (): void => {
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    lines.length = 0;
  };
  let records = 0;
  let lastT = 0;
  const runner = new IsolatedRunner(new Map([[scenario.name, scenario]]), scenariosDir(o), limits);
  const stop = onInterrupt({ first: 'stopping the replay (the --trace file is marked incomplete)', second: 'stopping now' });
  stop.soft.addEventListener('abort', () => void runner.close());
  let result: RunResult | null = null;
  try {
    result = await runner.run(scenario, seed, {
      variant,
      faults,
      faultsFile: typeof o.faults === 'string' ? o.faults : undefined,
      workloadScale,
      ...(entry === null ? {} : { replay: corpusReplay(scenario.name, seed, String(o.corpus), Number(o.entry)) }),
      // The run goes on a thread of its own (watchdog, heap limit); its trace lines come back in order.
      traceSink: (line) => {
        file?.write(`${line}\n`);
        const r = JSON.parse(line) as TraceRecord;
        records = r.i + 1;
        lastT = r.t;
        if (o.kind !== undefined) {
          if (r.kind.startsWith(String(o.kind))) kindMatched = true;
          else if (!kindMatched) kindsSeen.add(r.kind.split('.')[0]!);
        }
        if (show(r)) {
          lines.push(jsonl ? line : formatRecord(r));
          // Printed once per turn of the event loop (lines come from the run's thread in bursts), so a run
          // that hangs has shown every record it wrote while the watchdog waits.
          if (lines.length === 1) setImmediate(flush);
          else if (lines.length >= 1000) flush();
        }
      },
    });
  } catch (e) {
    if (!(e instanceof RunAbandonedError)) throw e;
  } finally {
    await runner.close();
    stop.dispose();
  }
  flush();
  if (o.kind !== undefined && !kindMatched) {
    process.stderr.write(`syncbench: warning: --kind ${printable(String(o.kind))} matched no record (kind prefixes in this trace: ${[...kindsSeen].sort().join(', ')})\n`);
  }
  // A trace that does not end with sim.end is incomplete; say so in the file, as a record of its own.
  const incomplete = result === null ? `interrupted by ${stop.received() ?? 'a signal'}` : result.failure?.check.startsWith('runner') === true ? `the run did not finish (${result.failure.check})` : null;
  if (incomplete !== null) file?.write(`${JSON.stringify({ i: records, t: lastT, node: 'sim', kind: 'sim.incomplete', data: { reason: incomplete } })}\n`);
  if (file !== null) {
    file.end();
    await finished(file).catch((e: Error) => {
      fileError ??= e;
    });
  }
  if (fileError !== null) throw new UsageError(`--trace ${String(o.trace)}: cannot write: ${(fileError as Error).message}`);
  if (result === null) {
    process.stderr.write(`syncbench: ${stop.received()}: replay stopped after ${records} trace records${file === null ? '' : ` (${String(o.trace)} ends with a sim.incomplete record)`}\n`);
    process.exitCode = stop.exitCode();
    return;
  }
  const f = result.failure;
  process.stdout.write(
    `verdict: ${result.verdict}${f ? ` (${f.check}: ${f.message})` : ''}\n` +
      `faults: ${result.faultSummary}\nevents: ${result.events}, sim time ${(result.simTimeUs / 1000).toFixed(1)} ms\n` +
      `trace-hash: ${result.traceHash === '' ? '(none: the run did not finish)' : result.traceHash}\n`,
  );
  if (faults === undefined && workloadScale === undefined && entry === null) warnIfHashDiffers(result, typeof o.results === 'string' ? o.results : path.join(DEFAULT_REPORT_DIR, 'results.json'));
  process.exitCode = EXIT_CODES[result.verdict];
}

/**
 * Compares the replay's trace hash with the sweep's (the results file of the last `run`, when it holds this
 * scenario, seed and variant) and warns when they differ: the same seed must give the same trace, so either
 * the code changed since that sweep or the run is not deterministic (`run --check-determinism` tells which).
 * A missing or unreadable results file is no sweep to compare with: nothing is said.
 */
function warnIfHashDiffers(result: RunResult, file: string): void {
  if (result.traceHash === '' || !existsSync(file)) return;
  let row: RunRow | undefined;
  try {
    const results = readResults(file);
    row = results.runs.find((r) => r.scenario === result.scenario && r.seed === result.seed && r.variant === result.variant);
  } catch {
    return;
  }
  if (row === undefined || row.traceHash === '' || row.traceHash === result.traceHash) return;
  process.stderr.write(
    `syncbench: warning: this replay's trace hash ${result.traceHash} differs from the sweep's ${row.traceHash} (${file}, verdict then ${row.verdict}): ` +
      `the code changed since that sweep, or the run is not deterministic (syncbench run ${result.scenario} --seeds ${result.seed} --check-determinism tells which)\n`,
  );
}
