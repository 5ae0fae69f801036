/**
 * Writes a report folder: results.json (mergeable), coverage.json, junit.xml and a self-contained
 * index.html, replacing the folder as a whole (see writeReport). Timelines of failing seeds are made by
 * re-running them (at most `timelinesMax`, each failure group's example first: see timelineOrder) when the scenarios are at hand; each
 * timeline also gets a trace viewer page, `timeline-<scenario>-<seed>.html` (viewer.ts).
 */
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Scenario } from '../scenario/types.ts';
import { replaceFolder, whyNotReplaceable, writeAtomic } from '../runner/atomic.ts';
import { coverageReport } from '../runner/coverage.ts';
import { writeResults, type ResultsFile, type RunRow } from '../runner/results.ts';
import { modelDiagrams } from './diagram-layout.ts';
import { failureGroups, type FailureGroup } from './groups.ts';
import { reportHtml } from './html.ts';
import { junitXml } from './junit.ts';
import { guardedRerun, notRerunnable } from './rerun-guard.ts';
import { captureTimeline, type Timeline } from './timeline.ts';
import { ViewerCapture, viewerFailure, viewerFileName, viewerHtml } from './viewer.ts';
import type { RunFn } from '../runner/isolated.ts';
import { runScenario } from '../scenario/run.ts';

export { viewerFileName };

/** Options of writeReport. */
export interface ReportOptions {
  /**
   * Scenarios by name, to re-run failing seeds for their timelines (none: no timelines) and to list the
   * fault events of each group of failures.
   */
  scenarios?: ReadonlyMap<string, Scenario>;
  /** Most timelines (default 10). */
  timelinesMax?: number;
  /** Wall time of the sweep, shown in the summary. */
  wallMs?: number;
  /** Skip writing results.json (when it is the input being re-reported). */
  skipResults?: boolean;
  /** How failing seeds are re-run for their timelines (default: in this process; the CLI uses a thread). */
  rerun?: RunFn;
  /** State diagrams by model name (SVG), when already drawn; default: each model's ELK layout (diagram-layout.ts). */
  diagrams?: ReadonlyMap<string, string>;
}

/** Paths of what was written. */
export interface WrittenReport {
  results: string;
  coverage: string;
  junit: string;
  index: string;
  /** The trace viewer pages, one per timeline (absent when there are none). */
  viewers?: string[];
}

/** A timeline's trace viewer page: its file name in the report folder (a relative link) and its HTML. */
export interface ViewerPage {
  scenario: string;
  seed: number;
  variant: string;
  file: string;
  html: string;
}

/**
 * The viewer page of a re-run failing seed: the records captured, the failure marked. A page that could
 * not be made still exists and says why, so every timeline has one.
 */
function viewerPage(row: RunRow, capture: ViewerCapture, tl: Timeline, file: string): ViewerPage {
  const title = `${row.scenario} seed ${row.seed}${row.variant === '' ? '' : ` [${row.variant}]`}`;
  const warnings = tl.traceHash === row.traceHash ? [] : [`The re-run's trace hash ${tl.traceHash} differs from the sweep's ${row.traceHash} (non-determinism, or the code changed): this is the re-run.`];
  let html: string;
  try {
    html = viewerHtml(capture.input({ title, failure: viewerFailure(row.failure), replay: row.replay, warnings }));
  } catch (e) {
    html = viewerHtml({ title, records: [], notes: [`No trace viewer for this run: ${e instanceof Error ? e.message : String(e)}`], replay: row.replay });
  }
  return { scenario: row.scenario, seed: row.seed, variant: row.variant, file, html };
}

/** viewerFileName, made unique within one report (a scenario and seed failing under two variants). */
function uniqueViewerFile(taken: Set<string>, scenario: string, seed: number): string {
  const base = viewerFileName(scenario, seed);
  let name = base;
  for (let n = 2; taken.has(name); n++) name = base.replace(/\.html$/, `-${n}.html`);
  taken.add(name);
  return name;
}

/**
 * Re-runs up to `max` failing seeds and returns their timelines, plus notes on what was skipped, and the
 * trace viewer page of each timeline (`viewers[k]` is the page of `timelines[k]`; link to its `file`).
 */
export async function timelinesFor(
  file: ResultsFile,
  scenarios: ReadonlyMap<string, Scenario> | undefined,
  max: number,
  rerun?: RunFn,
  groups?: readonly FailureGroup[],
): Promise<{ timelines: Timeline[]; notes: string[]; viewers: ViewerPage[] }> {
  const failed = file.runs.filter((r) => r.verdict !== 'pass');
  const timelines: Timeline[] = [];
  const notes: string[] = [];
  const viewers: ViewerPage[] = [];
  const viewerFiles = new Set<string>();
  for (const r of timelineOrder(failed, groups ?? failureGroups(failed, scenarios)).slice(0, max)) {
    const s = scenarios?.get(r.scenario);
    if (s === undefined) {
      notes.push(`No timeline for ${r.scenario} seed ${r.seed}: the scenario was not loaded.`);
      continue;
    }
    const skip = notRerunnable(r);
    if (skip !== undefined) {
      notes.push(`No timeline for ${r.scenario} seed ${r.seed}: ${skip}; replay it: ${r.replay ?? ''}`);
      continue;
    }
    let tl: Timeline;
    // The same re-run also fills the timeline's viewer page (a wider window of records, and model bands).
    const capture = new ViewerCapture(s.models ?? [], r.failure?.traceIndex);
    try {
      tl = await guardedRerun(() => captureTimeline(s, r, capture.tap(rerun ?? runScenario)));
    } catch (e) {
      notes.push(`No timeline for ${r.scenario} seed ${r.seed}: the re-run failed (${e instanceof Error ? e.message : String(e)}).`);
      continue;
    }
    if (tl.traceHash !== r.traceHash) notes.push(`${r.scenario} seed ${r.seed}: the re-run's trace hash ${tl.traceHash} differs from the sweep's ${r.traceHash} (non-determinism, or the code changed).`);
    timelines.push(tl);
    viewers.push(viewerPage(r, capture, tl, uniqueViewerFile(viewerFiles, r.scenario, r.seed)));
  }
  if (failed.length > max) notes.push(`Timelines are drawn for ${max} of ${failed.length} failures (the example seed of each group first); replay the others.`);
  return { timelines, notes, viewers };
}

/**
 * The failing runs in the order their timelines are drawn: each group's example (its smallest seed) first,
 * in group order, so a report with many groups shows one timeline per group before a second of any; then
 * the other runs in results order.
 */
export function timelineOrder(failed: readonly RunRow[], groups: readonly FailureGroup[]): RunRow[] {
  const first = groups.map((g) => g.smallest);
  const taken = new Set(first);
  return [...first, ...failed.filter((r) => !taken.has(r))];
}

/** The files of a report, and the one `nightly` writes into the report folder afterwards. */
const REPORT_ENTRIES = ['results.json', 'coverage.json', 'junit.xml', 'index.html', 'corpus-candidates.json'];

/**
 * True for an entry a report folder may hold: its files, a nightly's corpus-candidates.json, temp files of
 * an interrupted writeAtomic and the write probe of `run`'s start-up check (cli/usage.ts checkOutDir).
 */
function isReportEntry(name: string): boolean {
  const base = name.replace(/\.tmp-\d+-\d+$/, '');
  return REPORT_ENTRIES.includes(base) || /^timeline-[A-Za-z0-9._-]*\.html$/.test(base) || /^\.syncbench-write-test-\d+$/.test(name);
}

/**
 * Writes the report into `dir`. Everything is computed first (timelines, then the texts); then the folder
 * is replaced as a whole (runner/atomic.ts replaceFolder): a reader, or a kill at any moment, sees the old
 * report or the new one, never a mix, and no temp files. The new folder holds exactly the report's files:
 * an older report's corpus-candidates.json (written by `nightly` after this returns) goes with the old
 * folder. With `skipResults`, the results.json already in `dir` is carried over into the new folder.
 *
 * A folder that holds anything else (user files, subfolders such as a merge --out inside a report folder),
 * or that cannot be swapped (it holds the current folder, is a mount point, its parent is not writable),
 * is never deleted: the report files are then written into it one by one, each atomically, as before.
 */
export async function writeReport(dir: string, file: ResultsFile, o: ReportOptions = {}): Promise<WrittenReport> {
  const out: WrittenReport = {
    results: path.join(dir, 'results.json'),
    coverage: path.join(dir, 'coverage.json'),
    junit: path.join(dir, 'junit.xml'),
    index: path.join(dir, 'index.html'),
  };
  const cov = coverageReport(file);
  // Grouped once for the timelines (each group's example first), junit.xml and the page: with the scenarios
  // at hand, each group's plan lists its example seed's faults.
  const groups = failureGroups(file.runs, o.scenarios);
  const { timelines, notes, viewers } = await timelinesFor(file, o.scenarios, o.timelinesMax ?? 10, o.rerun, groups);
  // Laid out before the HTML is built (ELK's API is async); a model missing here gets html.ts's fallback drawing.
  const diagrams = o.diagrams ?? (await modelDiagrams(cov.models));
  const texts: [string, string][] = [
    ['coverage.json', `${JSON.stringify(cov, null, 1)}\n`],
    ['junit.xml', junitXml(file, o.scenarios, groups)],
    ['index.html', reportHtml({ file, coverage: cov, timelines, notes, wallMs: o.wallMs, scenarios: o.scenarios, groups, diagrams, viewers })],
  ];
  for (const v of viewers) texts.push([v.file, v.html]);
  if (viewers.length > 0) out.viewers = viewers.map((v) => path.join(dir, v.file));
  const writeInto = (folder: string): void => {
    if (o.skipResults !== true) writeResults(path.join(folder, 'results.json'), file);
    for (const [name, text] of texts) writeAtomic(path.join(folder, name), text);
  };
  if (whyNotReplaceable(dir, isReportEntry) !== undefined) {
    writeInto(dir);
    return out;
  }
  replaceFolder(dir, (tmp) => {
    if (o.skipResults === true && existsSync(out.results)) copyFileSync(out.results, path.join(tmp, 'results.json'));
    writeInto(tmp);
  });
  return out;
}
