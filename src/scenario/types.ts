/**
 * The scenario contract: a scenario is a typed TypeScript module in `scenarios/` that says which world to
 * build (topology), what every node runs (program), what the outside world does to it (workload), which
 * faults hit it (a plan or a swarm mix), how long chaos lasts, how long the healed system gets to converge,
 * and what must hold (checks and models).
 *
 * `runScenario(scenario, seed, options)` (run.ts) turns one into a verdict; the result is a pure function of
 * (scenario, seed, options).
 */
import type { EvidenceRecorder } from '../evidence/types.ts';
import type { Implementations } from './implementations.ts';
import type { TraceContext } from '../model/check.ts';
import type { ModelCoverage, ModelMonitor, ModelSpec } from '../model/monitor.ts';
import type { ClockSpec } from '../sim/clock.ts';
import type { DeviceSpec } from '../sim/simulation.ts';
import type { NetSpec } from '../sim/net/network.ts';
import type { NodeProgram } from '../sim/node.ts';
import type { Rng } from '../sim/rng.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { Failure, FailureKind } from '../sim/types.ts';
import type { FaultKind, FaultPlan } from '../faults/plan.ts';
import type { SwarmOptions } from '../faults/swarm.ts';

/** A node of the topology. */
export interface TopologyNode {
  /** Node id (also its network address). */
  id: string;
  /** Device it runs on (default: its own). Tabs of one browser share a device. */
  device?: string;
  /** A free-form role the scenario's program switches on ('server', 'client', 'tab', 'peer'...). */
  role?: string;
  /** Clock skew and drift. */
  clock?: ClockSpec;
  /** Start at this virtual ms instead of 0; `null` means not started by the runner. */
  startAtMs?: number | null;
}

/** The world a scenario runs in. */
export interface Topology {
  nodes: TopologyNode[];
  /** Device settings by device id (disk profile, kv durability...). */
  devices?: Record<string, DeviceSpec>;
  /** Network settings. */
  net?: NetSpec;
}

/** Options of one run (everything but the scenario and the seed). */
export interface RunOptions {
  /** A weakened implementation variant (never the default); see `syncbench list`. */
  variant?: string;
  /** Override the fault plan (used by shrinking and by replaying a shrunk plan). */
  faults?: FaultPlan;
  /** Where that override plan is stored, for the replay command. */
  faultsFile?: string;
  /** The replay command to record instead of the computed one (corpus entries: replay --corpus F --entry K). */
  replay?: string;
  /** Override the workload size (used by shrinking): the scenario interprets it, e.g. number of ops. */
  workloadScale?: number;
  /** Keep every trace record in memory (replay). */
  keepTrace?: boolean;
  /** Stream every trace record as a JSON line. */
  traceSink?: (line: string) => void;
  /** Use the portable nextTick drain (tests comparing drains). Never changes results. */
  forceNextTickDrain?: boolean;
  /** Events per slice before yielding to the real event loop (tests of interleaving). Never changes results. */
  sliceEvents?: number;
  /**
   * Tools only (guided exploration): called once the models are attached and before the faults are
   * installed, to observe the run (e.g. an interceptor that answers nothing and counts operations). An
   * observer must not change the run.
   */
  observe?(sim: Simulation, monitors: readonly ModelMonitor[]): void;
}

/**
 * What a program factory, a workload and the checks can see. Trace checks see only its `TraceContext` part
 * (src/model/check.ts), which a recorded trace can give too.
 */
export interface ScenarioContext extends TraceContext {
  readonly sim: Simulation;
  /** The run's trace (`sim.trace`). */
  readonly trace: Simulation['trace'];
  readonly seed: number;
  /** The selected variant ('' for the default implementation). */
  readonly variant: string;
  /**
   * The implementations plugged into this scenario's seams (`Scenario.implementations`; empty for the
   * built-in ones). A program builds its node with the entry of its seam when there is one.
   */
  readonly implementations: Implementations;
  /** The workload's own random stream. */
  readonly rng: Rng;
  /** Workload scale, 1 unless shrinking reduced it (0 < scale <= 1). */
  readonly workloadScale: number;
  /** Virtual ms now. */
  nowMs(): number;
  /** Schedules `fn` at virtual ms `atMs` (absolute), as an event of its own. */
  at(atMs: number, fn: () => void): void;
  /** The handle the node's program returned, or null while the node is down or still starting. */
  handle<T>(nodeId: string): T | null;
  /** Fails the run. */
  fail(kind: FailureKind, check: string, message: string, details?: Record<string, unknown>): void;
  /**
   * A check evaluated `name` (one of its `covers`) on real input `n` times: checks that never did in a
   * sweep are reported as vacuous (e.g. checksum validation when no corruption was ever found).
   */
  exercised(name: string, n?: number): void;
  /** Emits a workload trace record (node 'workload'). */
  emit(kind: string, data?: Record<string, unknown>): void;
  /** Scenario-wide shared memory for workload and checks (e.g. acknowledged writes). */
  readonly shared: Map<string, unknown>;
}

/**
 * A safety check or invariant. One declared with `traceCheck` (src/model/check.ts) reads only the trace and
 * also runs on recorded traces (`check-trace`); any other is a live check, for scenarios only.
 */
export interface Check {
  /** Name used in failures, e.g. 'invariant:atomic-batch'. */
  name: string;
  /** True for a trace check (`traceCheck`): its setup and final use only the `TraceContext`. */
  readonly onTrace?: boolean;
  /** Called before the run starts: subscribe to trace kinds here. */
  setup?(ctx: ScenarioContext): void;
  /** Called when the run ends without an earlier failure (final-state checks). */
  final?(ctx: ScenarioContext): void;
  /**
   * The invariants this check evaluates (names as in its failures); each is counted with
   * `ctx.exercised(name)` when it decided something, and reported as vacuous when it never did in a sweep.
   */
  covers?: readonly string[];
}

/** The liveness phase: after healing, the system must reach a state within a bound. */
export interface Liveness {
  /** How long after healing it may take, ms of virtual time. */
  withinMs: number;
  /** Polled every `pollMs` during the liveness phase: true when done, else a string saying what is missing. */
  done(ctx: ScenarioContext): true | string;
  /** Poll interval, ms (default 100). */
  pollMs?: number;
}

/** A scenario. */
export interface Scenario {
  /** Unique kebab-case name. */
  name: string;
  /** One or two sentences: what it exercises and what it checks. */
  description: string;
  /** Suites it belongs to: 'smoke' (npm test), 'ci', 'nightly', 'default' (npm start)... */
  suites: string[];
  /** The world. */
  topology: Topology;
  /** The program each node runs (may depend on the node's role and the variant). */
  program(node: TopologyNode, ctx: ScenarioContext): NodeProgram;
  /** Drives the system from outside (schedule with ctx.at). */
  workload?(ctx: ScenarioContext): void;
  /** A fixed fault plan, or a swarm mix drawn from the seed. */
  faults?: FaultPlan | { swarm: SwarmOptions };
  /** Length of the chaos phase, ms of virtual time. */
  durationMs: number;
  /** Convergence after healing (liveness). */
  liveness?: Liveness;
  /** Safety checks. */
  checks?: Check[];
  /** Reference models, stepped over the trace. */
  models?: ModelSpec[];
  /** Evidence recorders: ground truth from the simulator written into the trace as `fact.*` records. */
  evidence?: EvidenceRecorder[];
  /** Event budget (default 2,000,000): exceeding it is a liveness failure, never a hang. */
  maxEvents?: number;
  /** Probes (rare paths, `env.trace.probe(name)`) this scenario should reach; the coverage report lists those never reached. */
  probes?: readonly string[];
  /**
   * Guided exploration (`syncbench explore`): the fault kinds it may aim at this scenario (default: its own
   * plan's or swarm's kinds, plus crash and pause), and why others are left out (a documented limit).
   */
  explore?: { kinds: FaultKind[]; why: string };
  /** Variant areas this scenario can exercise (for documentation and `list`). */
  variantAreas?: string[];
  /**
   * The plug-in seams its program builds nodes through (`ctx.implementations`), e.g. ['election']:
   * `withImplementations` refuses to plug a seam into scenarios that would ignore it.
   */
  seams?: readonly (keyof Implementations)[];
  /** Implementations plugged into those seams (set by `withImplementations`); absent entries are built-in. */
  implementations?: Implementations;
  /**
   * The environment variables the code under test sees inside a run (`process.env`); reading any other is
   * a crash verdict `no-real-world:process.env.NAME`. Fixed values, so a run does not depend on the host.
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Host calls the code under test may make inside a run although they are trapped by default (e.g.
   * `['os.hostname', 'process.env.HOME']`; names as a `no-real-world:<call>` failure gives them). Its runs
   * are then only as deterministic as those calls: prefer doing them at setup and passing the result in.
   */
  allowRealWorld?: readonly string[];
}

/** The verdict of one run. */
export type Verdict = 'pass' | FailureKind;

/** The result of one run. */
export interface RunResult {
  scenario: string;
  seed: number;
  variant: string;
  verdict: Verdict;
  failure: Failure | null;
  /** Scheduler events processed. */
  events: number;
  /** Trace records emitted. */
  traceRecords: number;
  /** Simulated time at the end, µs. */
  simTimeUs: number;
  /** Wall time of the run, ms (not deterministic; excluded from comparisons). */
  wallMs: number;
  /** 16-hex-digit hash of the whole trace. */
  traceHash: string;
  /** Probe name -> hits. */
  probes: Record<string, number>;
  /** Fault kind -> times injected. */
  faults: Record<string, number>;
  /** One line describing the fault mix (swarm) or plan size. */
  faultSummary: string;
  /** Model coverage of this run. */
  coverage: ModelCoverage[];
  /** Invariant name -> times a check evaluated it on real input (every name a check `covers`, 0 included). */
  exercised: Record<string, number>;
  /** The command that replays this run exactly. */
  replay: string;
}

/** Exit codes of the CLI by verdict. */
export const EXIT_CODES: Record<Verdict | 'usage', number> = {
  pass: 0,
  correctness: 1,
  liveness: 2,
  crash: 3,
  usage: 64,
};
