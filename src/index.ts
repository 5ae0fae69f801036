/**
 * The programmatic API of syncbench (`import … from 'syncbench'`): define scenarios, run seeds, replay,
 * shrink, read results and coverage, write reports. These are the functions the CLI itself calls; the CLI
 * adds argument parsing, progress and exit codes on top. See docs/api.md.
 */
import { scenarioFile, validateScenario } from './scenario/registry.ts';
import { runSweep, type SweepOutcome } from './runner/sweep.ts';
import { defaultWorkers } from './runner/pool.ts';
import { parseSeedRange } from './sim/rng.ts';
import type { RunResult, Scenario } from './scenario/types.ts';

// Scenarios: their shape, loading and validation.
export type { Check, Liveness, RunOptions, RunResult, Scenario, ScenarioContext, Topology, TopologyNode, Verdict } from './scenario/types.ts';
export { EXIT_CODES } from './scenario/types.ts';
export { ScenarioError, loadScenarioFiles, loadScenarios, resolveTargets, suitesOf, validateScenario, type LoadedScenario } from './scenario/registry.ts';
export { VARIANTS, checkVariant, type Variant } from './scenario/variants.ts';
export { stockScenarios, withImplementations, type Implementations, type PluggedImplementations } from './scenario/implementations.ts';
// The seams' interfaces (docs/porting.md, section 4).
export type { Election, ElectionDeps, ElectionEvent, ElectionFactory, ElectionReporter, LostReason, StepDownReason } from './impl/election/types.ts';
export { HlcDriftError, formatHlc, parseHlc, compareHlc, type Hlc, type HybridClock, type HybridClockFactory } from './impl/peer/hlc.ts';
export { SeamError } from './impl/seam/seam-error.ts';
export { builtInStorage, StorageSeamError, type BlockStorage, type BlockStorageFactory } from './impl/storage/seam.ts';
export { StoreError, FencedError, RequestAppliedError, type StoreErrorCode, type AppliedRequest } from './impl/storage/errors.ts';
export type { StoreOptions } from './impl/storage/options.ts';
export type { CommitInfo, CommitOptions, WriteAck, WriteOptions } from './impl/storage/store.ts';
export type { StoreEvent, StoreListener, StoreMetrics } from './impl/storage/metrics.ts';
export { builtInPeerNode, PeerSeamError, type PeerNode, type PeerNodeFactory } from './impl/peer/seam.ts';
export type { PeerOptions } from './impl/peer/options.ts';
export { builtInCsClient, type CsClientFactory, type ClientHandle, type ClientOptions } from './impl/clientserver/seam.ts';
export { builtInProviderLibrary, type ProviderLibraryFactory, type LibraryHandle, type LibraryOptions } from './impl/provider/seam.ts';
// The environment implementation code is written against, and node programs.
export type * from './impl/env.ts';
export type { NodeProgram } from './sim/node.ts';
// Faults.
export type { FaultEvent, FaultKind, FaultPlan, NodeRef, NodeSelector } from './faults/plan.ts';
export { validatePlan } from './faults/plan.ts';
// Models, evidence and checks (to write checks of your own: docs/models.md).
export { ModelMonitor, guardsFrom, type GuardReason, type ModelSpec, type ModelCoverage } from './model/monitor.ts';
export { modelGraph, type ModelGraph } from './model/graph.ts';
export type { EvidenceRecorder } from './evidence/types.ts';
export { clockEvidence, clockAt, type ClockFact } from './evidence/clock.ts';
export { storeEvidence } from './evidence/store.ts';
export { storeBlocksEvidence } from './evidence/store-blocks.ts';
export { requestEvidence } from './evidence/requests.ts';
export { electionBusEvidence } from './evidence/election-bus.ts';
export { peerStoreEvidence } from './evidence/peer-store.ts';
export { peerWireEvidence } from './evidence/peer-wire.ts';
// Running: one seed, a sweep, shrinking.
export { runScenario } from './scenario/run.ts';
export { parseSeed, parseSeedRange, SEED_MAX } from './sim/rng.ts';
export { runSweep, exitCodeOfRuns, type SweepOptions, type SweepOutcome } from './runner/sweep.ts';
export { IsolatedRunner, RunAbandonedError, type RunLimits } from './runner/isolated.ts';
export { shrink, ShrinkError, type ShrinkOptions, type ShrinkOutcome } from './runner/shrink.ts';
// Results, coverage, reports.
export { readResults, writeResults, mergeResults, ResultsError, type ResultsFile, type RunRow } from './runner/results.ts';
export { coverageReport, coverageText, type CoverageReport } from './runner/coverage.ts';
// The trace schema (docs/trace-schema.md): validate records of a trace, e.g. a port's.
export { TRACE_SCHEMA, TRACE_SCHEMA_ID, knownKind, validateRecord } from './trace/schema.ts';
export { checkRecords, RecordedTrace, type CheckTarget, type NotRun, type RecordsResult } from './scenario/check-records.ts';
export { AREAS, type AreaSpec, type HeaderNode } from './scenario/areas.ts';
export { traceCheck, devicesOf, nodesUp, type TraceCheck, type TraceContext, type TraceSource } from './model/check.ts';
export { TRACE_SCHEMA_VERSION, type TraceRecord } from './sim/trace.ts';
export { writeReport, type ReportOptions, type WrittenReport } from './report/write.ts';

/**
 * Checks a scenario the way the CLI checks a scenario module (names, suites, topology, faults, models and
 * their evidence...) and returns it; throws ScenarioError naming the field.
 */
export function defineScenario<S extends Scenario>(scenario: S): S {
  validateScenario(scenario, scenarioFile(scenario) ?? `scenario ${String(scenario.name)}`);
  return scenario;
}

/** Options of runSeeds. */
export interface RunSeedsOptions {
  /** Seeds: 'A..B' (inclusive), one seed ('7'), or {from, to}. Default '0..9'. */
  seeds?: string | { from: number; to: number };
  /** A weakened implementation variant ('' = the real implementation). */
  variant?: string;
  /**
   * Worker threads (default: one per core). Threads need each scenario's module file, so they are used
   * for scenarios loaded with loadScenarios/loadScenarioFiles; others run on the calling thread.
   */
  workers?: number;
  /** Wall-time budget of a run on a thread, seconds per simulated minute (CLI --run-timeout). */
  runTimeoutS?: number;
  /** Heap limit of each thread, MB (CLI --max-heap). */
  heapMb?: number;
  /** Stop at the first failure. */
  failFast?: boolean;
  /** Called as each run finishes. */
  onResult?(r: RunResult): void;
  /** Aborting stops taking new runs; the outcome holds the finished ones (marked partial). */
  signal?: AbortSignal;
}

/**
 * Runs scenarios over a seed range, as `syncbench run` does, and returns the results file (runs sorted by
 * scenario, then seed; `exitCodeOfRuns(outcome.file.runs)` gives the CLI's exit code).
 */
export async function runSeeds(scenarios: Scenario | readonly Scenario[], o: RunSeedsOptions = {}): Promise<SweepOutcome> {
  const list = Array.isArray(scenarios) ? (scenarios as readonly Scenario[]) : [scenarios as Scenario];
  const { from, to } = typeof o.seeds === 'object' ? o.seeds : parseSeedRange(o.seeds ?? '0..9');
  const files = list.map(scenarioFile);
  const threads = files.every((f) => f !== undefined);
  return runSweep({
    targets: list.map((s) => s.name),
    scenarios: list,
    from,
    to,
    variant: o.variant ?? '',
    workers: threads ? (o.workers ?? defaultWorkers()) : 1,
    forceThreads: threads,
    scenariosDir: threads ? commonDir(files as string[]) : undefined,
    runTimeoutS: o.runTimeoutS,
    heapMb: o.heapMb,
    failFast: o.failFast,
    onResult: o.onResult,
    signal: o.signal,
  });
}

/** The deepest folder holding every file. */
function commonDir(files: readonly string[]): string {
  const parts = files.map((f) => f.split(/[/\\]/).slice(0, -1));
  const first = parts[0]!;
  let n = first.length;
  for (const p of parts) while (n > 0 && p.slice(0, n).join('/') !== first.slice(0, n).join('/')) n--;
  return first.slice(0, n).join('/') || '/';
}
