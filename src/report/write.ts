/**
 * Writes a report folder: results.json (mergeable), coverage.json, junit.xml and a self-contained
 * index.html. Every file is written atomically. Timelines of failing seeds are made by re-running them
 * (at most `timelinesMax`, first failures first) when the scenarios are at hand.
 */
import path from 'node:path';
import type { Scenario } from '../scenario/types.ts';
import { writeAtomic } from '../runner/atomic.ts';
import { coverageReport } from '../runner/coverage.ts';
import { writeResults, type ResultsFile } from '../runner/results.ts';
import { reportHtml } from './html.ts';
import { junitXml } from './junit.ts';
import { guardedRerun, notRerunnable } from './rerun-guard.ts';
import { captureTimeline, type Timeline } from './timeline.ts';

/** Options of writeReport. */
export interface ReportOptions {
  /** Scenarios by name, to re-run failing seeds for their timelines (none: no timelines). */
  scenarios?: ReadonlyMap<string, Scenario>;
  /** Most timelines (default 10). */
  timelinesMax?: number;
  /** Wall time of the sweep, shown in the summary. */
  wallMs?: number;
  /** Skip writing results.json (when it is the input being re-reported). */
  skipResults?: boolean;
}

/** Paths of what was written. */
export interface WrittenReport {
  results: string;
  coverage: string;
  junit: string;
  index: string;
}

/** Re-runs up to `max` failing seeds and returns their timelines, plus notes on what was skipped. */
export async function timelinesFor(file: ResultsFile, scenarios: ReadonlyMap<string, Scenario> | undefined, max: number): Promise<{ timelines: Timeline[]; notes: string[] }> {
  const failed = file.runs.filter((r) => r.verdict !== 'pass');
  const timelines: Timeline[] = [];
  const notes: string[] = [];
  for (const r of failed.slice(0, max)) {
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
    try {
      tl = await guardedRerun(() => captureTimeline(s, r));
    } catch (e) {
      notes.push(`No timeline for ${r.scenario} seed ${r.seed}: the re-run failed (${e instanceof Error ? e.message : String(e)}).`);
      continue;
    }
    if (tl.traceHash !== r.traceHash) notes.push(`${r.scenario} seed ${r.seed}: the re-run's trace hash ${tl.traceHash} differs from the sweep's ${r.traceHash} (non-determinism, or the code changed).`);
    timelines.push(tl);
  }
  if (failed.length > max) notes.push(`Timelines are drawn for the first ${max} of ${failed.length} failures; replay the others.`);
  return { timelines, notes };
}

/** Writes the report into `dir`. */
export async function writeReport(dir: string, file: ResultsFile, o: ReportOptions = {}): Promise<WrittenReport> {
  const out: WrittenReport = {
    results: path.join(dir, 'results.json'),
    coverage: path.join(dir, 'coverage.json'),
    junit: path.join(dir, 'junit.xml'),
    index: path.join(dir, 'index.html'),
  };
  const cov = coverageReport(file);
  const { timelines, notes } = await timelinesFor(file, o.scenarios, o.timelinesMax ?? 10);
  if (o.skipResults !== true) writeResults(out.results, file);
  writeAtomic(out.coverage, `${JSON.stringify(cov, null, 1)}\n`);
  writeAtomic(out.junit, junitXml(file));
  writeAtomic(out.index, reportHtml({ file, coverage: cov, timelines, notes, wallMs: o.wallMs }));
  return out;
}
