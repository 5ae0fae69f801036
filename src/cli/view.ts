/**
 * `syncbench view <trace.jsonl> [--out FILE.html]`: the trace viewer page (src/report/viewer.ts) for a trace
 * `replay --trace` wrote. Every line is checked (a corrupt one is a usage error naming its line); the
 * scenario named by the `sim.begin` record gives the model bands when it loads; the `sim.failure` record is
 * marked; a trace cut short (`sim.incomplete`, or neither that nor `sim.end` at its end) gets a banner.
 */
import path from 'node:path';
import { writeAtomic } from '../runner/atomic.ts';
import type { Scenario } from '../scenario/types.ts';
import type { TraceRecord } from '../sim/trace.ts';
import { BandRecorder, TraceWindow, viewerHtml, type ViewerFailure } from '../report/viewer.ts';
import { printable } from './printable.ts';
import { checkTraceFile, readTraceFile } from './trace-file.ts';
import { UsageError, checkOutFile, loadAll, pathArg, scenariosDir } from './usage.ts';

/** Most records a page shows; a longer trace is shown as its last ones up to the failure, plus its faults. */
export const VIEW_RECORDS_MAX = 100_000;

/** The default page path: the trace's, with .html for its extension. */
export function defaultOut(trace: string): string {
  const p = path.parse(trace);
  return path.join(p.dir, `${p.name}.html`);
}

/** The scenario `name` from the scenarios folder, or why it is not there (a note for the page). */
async function scenarioFor(name: string, dir: string): Promise<{ scenario: Scenario } | { note: string }> {
  try {
    const all = await loadAll(dir);
    const s = all.find((l) => l.scenario.name === name)?.scenario;
    return s === undefined ? { note: `No model bands: scenario '${name}' is not in ${dir}.` } : { scenario: s };
  } catch (e) {
    return { note: `No model bands: the scenarios in ${dir} did not load (${e instanceof Error ? e.message : String(e)}).` };
  }
}

/** What `view` read from a trace file. */
interface Read {
  window: TraceWindow;
  bands: BandRecorder | null;
  notes: string[];
  begin: TraceRecord | null;
  failure: TraceRecord | null;
  last: TraceRecord | null;
  lines: number;
}

/** Reads and checks the trace, line by line: the window kept, the bands followed, the records that matter. */
async function readTrace(file: string, dir: string): Promise<Read> {
  const out: Read = { window: new TraceWindow(VIEW_RECORDS_MAX), bands: null, notes: [], begin: null, failure: null, last: null, lines: 0 };
  let n = 0;
  for await (const { rec: r, line } of readTraceFile(file)) {
    n++;
    if (r.kind === 'sim.begin' && out.begin === null) {
      out.begin = r;
      const name = r.data.scenario;
      if (typeof name === 'string') {
        const s = await scenarioFor(name, dir);
        if ('scenario' in s) out.bands = new BandRecorder(s.scenario.models ?? []);
        else out.notes.push(s.note);
      }
    }
    if (r.kind === 'sim.failure' && out.failure === null) out.failure = r;
    out.bands?.onRecord(r);
    out.window.add(line, r.kind);
    out.last = r;
  }
  out.lines = n;
  return out;
}

/** Runs `syncbench view`. */
export async function viewCommand(trace: string, o: Record<string, unknown>): Promise<void> {
  pathArg('view', trace, 'give a trace file that replay --trace wrote');
  checkTraceFile(trace);
  const out = typeof o.out === 'string' ? o.out : defaultOut(trace);
  checkOutFile('--out', out);
  if (path.resolve(out) === path.resolve(trace)) throw new UsageError(`--out ${out}: is the trace itself`);
  const started = process.hrtime.bigint();
  const read = await readTrace(trace, scenariosDir(o));
  if (read.last === null) throw new UsageError(`${trace}: holds no trace records`);
  const warnings: string[] = [];
  if (read.last.kind === 'sim.incomplete') {
    warnings.push(`This trace is incomplete: ${typeof read.last.data.reason === 'string' ? read.last.data.reason : 'cut short'} (it ends with sim.incomplete at ${(read.last.t / 1000).toFixed(3)} ms).`);
  } else if (read.last.kind !== 'sim.end') {
    warnings.push('This trace ends with neither sim.end nor sim.incomplete: it was cut by a kill the CLI could not handle (SIGKILL, power loss), or is a part of a trace.');
  }
  if (read.begin === null) read.notes.push('No sim.begin record: the scenario is unknown, so there are no model bands.');
  const b = read.begin?.data;
  const title =
    b !== undefined && typeof b.scenario === 'string'
      ? `${b.scenario} seed ${String(b.seed)}${typeof b.variant === 'string' && b.variant !== '' ? ` [${b.variant}]` : ''}`
      : path.basename(trace);
  let failure: ViewerFailure | null = null;
  if (read.failure !== null) {
    const d = read.failure.data;
    failure = { traceIndex: read.failure.i, check: String(d.check ?? 'failure'), message: String(d.message ?? '') };
  }
  const w = read.window.result();
  if (w.before > 0) read.notes.push(`The trace has ${read.lines} records; the page shows the last ${VIEW_RECORDS_MAX} up to the failure (and every fault record before them): ${w.before} earlier records are left out.`);
  const fromUs = w.before > 0 ? (w.records.find((r) => r.i >= w.windowStart)?.t ?? 0) : 0;
  const html = viewerHtml({
    title,
    records: w.records,
    failure,
    bands: read.bands?.bands(read.last.t, fromUs) ?? [],
    notes: read.notes,
    warnings,
    leftOut: { before: w.before, after: w.after, windowStart: w.windowStart },
  });
  writeAtomic(out, html);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`wrote ${printable(out)} (${w.records.length} records, ${(html.length / 1024).toFixed(0)} KB, ${ms.toFixed(0)} ms)\n`);
}
