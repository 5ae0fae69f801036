/**
 * `syncbench check-trace <area|scenario> FILE.jsonl [--json]`: checks a recorded trace (this bench's
 * `replay --trace`, or a port's own implementation's) against an area's or a scenario's models and trace
 * checks (src/scenario/check-records.ts), reading the file record by record. Exit codes as `run`: 0 pass,
 * 1 correctness, 2 liveness, 3 crash (a check that could not read the trace), 64 usage (an unreadable or
 * malformed file, an unknown target, a header of another schema version).
 */
import pc from 'picocolors';
import { AREAS, checkTargetFor } from '../scenario/areas.ts';
import { checkRecords, type CheckTarget, type RecordsResult } from '../scenario/check-records.ts';
import { EXIT_CODES } from '../scenario/types.ts';
import { TRACE_SCHEMA_VERSION, type TraceRecord } from '../sim/trace.ts';
import { checkTraceFile, readTraceFile } from './trace-file.ts';
import { UsageError, loadAll, pathArg, scenariosDir } from './usage.ts';

/** Reads the header (line 1) alone, to build the target before the records are streamed. */
async function readHeader(file: string): Promise<Record<string, unknown>> {
  for await (const { rec } of readTraceFile(file)) {
    if (rec.kind !== 'sim.begin' || rec.i !== 0) throw new UsageError(`${file}: line 1 is '${rec.kind}' (#${rec.i}), not the header record sim.begin #0 (docs/trace-format.md)`);
    const v = rec.data.schemaVersion;
    if (v !== TRACE_SCHEMA_VERSION) {
      throw new UsageError(`${file}: its header says schemaVersion ${JSON.stringify(v)}; this syncbench reads trace schema version ${TRACE_SCHEMA_VERSION}`);
    }
    return rec.data;
  }
  throw new UsageError(`${file}: holds no trace records`);
}

async function targetFor(name: string, header: Record<string, unknown>, file: string, o: Record<string, unknown>): Promise<CheckTarget> {
  // Scenarios are loaded only for a name that is no area (loading them is most of check-trace's start-up).
  const scenarios = AREAS[name] === undefined ? (await loadAll(scenariosDir(o))).map((l) => l.scenario) : [];
  let target: CheckTarget | null;
  try {
    target = checkTargetFor(name, header, scenarios);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  if (target === null) throw new UsageError(`unknown area or scenario '${name}' (areas: ${Object.keys(AREAS).join(', ')}; scenarios: syncbench list)`);
  return target;
}

/** The records of `file`, streamed. */
async function* records(file: string): AsyncGenerator<TraceRecord> {
  for await (const { rec } of readTraceFile(file)) yield rec;
}

function describe(r: RecordsResult, target: CheckTarget, file: string): string {
  const lines: string[] = [];
  const what = `${file}: ${r.records} records against ${target.name} (${target.models.map((m) => `model:${m.name}`).join(', ') || 'no models'}; ${target.checks.filter((c) => c.onTrace === true).length} trace checks)`;
  lines.push(what);
  if (r.failure !== null) {
    lines.push(pc.red(`FAIL ${r.verdict} ${r.failure.check} at trace #${r.failure.traceIndex}: ${r.failure.message}`));
    const rec = r.failure.details?.record;
    if (rec !== undefined) lines.push(`  record: ${JSON.stringify(rec)}`);
  } else {
    lines.push(pc.green(`pass: no model or trace check failed${r.complete ? '' : ' (safety only: the trace does not end with sim.end)'}`));
  }
  for (const n of r.notRun) lines.push(`not run: ${n.check}: ${n.why}`);
  const unknown = Object.entries(r.unknownKinds);
  if (unknown.length > 0) lines.push(`not in trace schema v1 (not validated): ${unknown.map(([k, c]) => `${k} (${c})`).join(', ')}`);
  if (r.recordedVerdict !== null && r.recordedVerdict !== r.verdict) lines.push(`note: the trace itself recorded the verdict '${r.recordedVerdict}'`);
  return `${lines.join('\n')}\n`;
}

/** Runs `syncbench check-trace`. */
export async function checkTraceCommand(name: string, file: string, o: Record<string, unknown>): Promise<RecordsResult> {
  pathArg('check-trace', file, 'give a JSONL trace file');
  checkTraceFile(file);
  const header = await readHeader(file);
  const target = await targetFor(name, header, file, o);
  const result = await checkRecords(records(file), target);
  if (o.json === true) {
    process.stdout.write(`${JSON.stringify({ file, target: target.name, ...result }, null, 2)}\n`);
  } else process.stdout.write(describe(result, target, file));
  process.exitCode = EXIT_CODES[result.verdict];
  return result;
}
