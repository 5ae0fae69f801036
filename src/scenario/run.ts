/**
 * `runScenario`: one scenario, one seed, one verdict.
 *
 * Phases (TigerBeetle VOPR style):
 * 1. chaos, [0, durationMs]: workload and faults (a fixed plan, or a swarm mix drawn from the seed);
 *    safety checks and models watch the trace.
 * 2. liveness, (durationMs, durationMs + liveness.withinMs]: every fault is healed, crashed nodes are
 *    restarted; `liveness.done` is polled and must hold before the deadline.
 * 3. final checks.
 *
 * The first failure stops the run. Verdicts: correctness (an invariant or model), liveness (no
 * convergence by the deadline, or the event budget ran out), crash (the implementation threw, or touched
 * the real world).
 */
import { installFaults } from '../faults/inject.ts';
import type { Implementations } from './implementations.ts';
import type { FaultPlan } from '../faults/plan.ts';
import { formatSwarmSummary, swarmPlan } from '../faults/swarm.ts';
import { Rng } from '../sim/rng.ts';
import { Simulation } from '../sim/simulation.ts';
import { TRACE_SCHEMA_VERSION } from '../sim/trace.ts';
import type { Failure } from '../sim/types.ts';
import type { RunOptions, RunResult, Scenario, ScenarioContext } from './types.ts';
import { replayScenariosDir } from './registry.ts';
import { replayCommand } from './replay-command.ts';
import { describeHot, installWatch, MODEL_BATCH, type Watch } from './monitors.ts';

const DEFAULT_MAX_EVENTS = 2_000_000;

/**
 * The fault plan a run uses: the override, the scenario's plan, or the swarm drawn from the seed's 'swarm'
 * stream (the same stream `sim.stream('swarm')` gives the run).
 */
export function planFor(scenario: Scenario, seed: number, options: RunOptions): { plan: FaultPlan; summary: string } {
  if (options.faults !== undefined) {
    return { plan: options.faults, summary: `plan: ${options.faults.events.length} fault events (override)` };
  }
  const f = scenario.faults;
  if (f === undefined) return { plan: { events: [] }, summary: 'no faults' };
  if ('swarm' in f) {
    const devices: Record<string, string[]> = {};
    for (const n of scenario.topology.nodes) (devices[n.device ?? n.id] ??= []).push(n.id);
    const { plan, summary } = swarmPlan(
      new Rng(seed).fork('swarm'),
      { nodes: scenario.topology.nodes.map((n) => n.id), devices },
      f.swarm,
      scenario.durationMs,
    );
    return { plan, summary: formatSwarmSummary(summary) };
  }
  return { plan: f, summary: `plan: ${f.events.length} fault events` };
}

/** Runs `scenario` with `seed`. Never throws for failures of the system under test: they are verdicts. */
export async function runScenario(scenario: Scenario, seed: number, options: RunOptions = {}): Promise<RunResult> {
  const wallStart = performance.now();
  const variant = options.variant ?? '';
  const sim = new Simulation({
    seed,
    net: scenario.topology.net,
    trace: { keepAll: options.keepTrace ?? false, sink: options.traceSink },
    forceNextTickDrain: options.forceNextTickDrain,
    sliceEvents: options.sliceEvents,
    realWorld: { env: scenario.env, allow: scenario.allowRealWorld },
  });
  const exercised: Record<string, number> = {};
  for (const c of scenario.checks ?? []) for (const name of c.covers ?? []) exercised[name] = 0;
  const ctx = makeContext(sim, seed, variant, scenario.implementations ?? {}, options.workloadScale ?? 1, exercised);
  for (const [id, spec] of Object.entries(scenario.topology.devices ?? {})) sim.addDevice(id, spec);
  for (const n of scenario.topology.nodes) {
    sim.addNode(n.id, { device: n.device, clock: n.clock, program: scenario.program(n, ctx) });
  }

  const { plan, summary } = planFor(scenario, seed, options);
  // The header: what a recorded trace needs to be checked on its own (check-trace): the format's version, the
  // run's identity, and the topology (node ids, devices, roles) the area checks are built for.
  const nodes = scenario.topology.nodes.map((n) => ({ id: n.id, device: n.device ?? n.id, role: n.role ?? '' }));
  sim.trace.emit('sim', 'sim.begin', { schemaVersion: TRACE_SCHEMA_VERSION, scenario: scenario.name, seed, variant, faults: summary, nodes });

  // Checks subscribe first: the closed vocabulary of the models' areas counts their subscriptions.
  for (const c of scenario.checks ?? []) c.setup?.(ctx);
  // An observer reads the monitors' state while the run goes on: they then read every record at once.
  const watch = installWatch(scenario, sim, options.observe === undefined ? MODEL_BATCH : 1);
  options.observe?.(sim, watch.monitors);

  for (const n of scenario.topology.nodes) {
    if (n.startAtMs === null) continue;
    const at = n.startAtMs ?? 0;
    sim.scheduler.at(at * 1000, () => sim.start(n.id));
  }
  scenario.workload?.(ctx);
  const chaosEndUs = scenario.durationMs * 1000;
  const injector = installFaults(sim, plan, { healAtMs: scenario.durationMs });

  const maxEvents = scenario.maxEvents ?? DEFAULT_MAX_EVENTS;
  try {
    await runPhases(scenario, sim, ctx, watch, chaosEndUs, maxEvents);
    if (sim.failure === null) for (const c of scenario.checks ?? []) c.final?.(ctx);
    // Readers that read in batches read what the final checks wrote (a failure there is the run's).
    sim.settleDeferred();
  } catch (e) {
    // A throw out of the simulator itself (not the implementation): report as crash with the stack.
    const err = e instanceof Error ? e : new Error(String(e));
    sim.fail({ kind: 'crash', check: 'simulator', message: err.message, details: { stack: err.stack ?? '' } });
  }

  const failure: Failure | null = sim.failure;
  sim.trace.emit('sim', 'sim.end', { verdict: failure?.kind ?? 'pass' });
  watch.flush(); // (coverage below counts every record)
  return {
    scenario: scenario.name,
    seed,
    variant,
    verdict: failure?.kind ?? 'pass',
    failure,
    events: sim.scheduler.events,
    traceRecords: sim.trace.count,
    simTimeUs: sim.nowUs(),
    wallMs: performance.now() - wallStart,
    traceHash: sim.trace.hashHex(),
    probes: Object.fromEntries(sim.probes),
    faults: Object.fromEntries(injector.injected()),
    faultSummary: summary,
    coverage: watch.monitors.map((m) => m.coverage),
    exercised,
    replay: options.replay ?? replayCommand(scenario.name, seed, variant, options.faultsFile, options.workloadScale ?? 1, replayScenariosDir(scenario)),
  };
}

async function runPhases(
  scenario: Scenario,
  sim: Simulation,
  ctx: ScenarioContext,
  watch: Watch,
  chaosEndUs: number,
  maxEvents: number,
): Promise<void> {
  const chaos = await sim.run({ untilUs: chaosEndUs, maxEvents });
  if (budgetExceeded(chaos, sim, maxEvents) || sim.failure !== null) return;
  if (sim.nowUs() < chaosEndUs) sim.scheduler.now = chaosEndUs;
  const live = scenario.liveness;
  if (live === undefined) return;
  const deadlineUs = chaosEndUs + live.withinMs * 1000;
  const pollUs = (live.pollMs ?? 100) * 1000;
  let lastReason = 'not polled yet';
  /** The last poll found the scenario's condition met but a model instance still hot. */
  let lastHot = false;
  let done = false;
  const poll = (): void => {
    // The models catch up first: one may refuse a record written since their last batch (the run then
    // ends at that failure, as it would have when the record was written).
    watch.flush();
    if (sim.failure !== null) return;
    // The scenario's condition runs first, always: it may drive the system (a final forceSync, probe
    // writes). Hot model states (a recovery still running, a forwarded request unanswered...) then hold
    // convergence back.
    const own = live.done(ctx);
    const hot = own === true ? watch.hot() : [];
    const r = own !== true ? own : hot.length > 0 ? describeHot(hot, sim.nowUs()) : true;
    lastHot = own === true && hot.length > 0;
    if (r === true) {
      done = true;
      sim.trace.emit('sim', 'sim.converged', {});
      sim.scheduler.stop();
      return;
    }
    lastReason = r;
    if (sim.nowUs() + pollUs <= deadlineUs) sim.scheduler.after(pollUs, poll);
  };
  sim.scheduler.after(0, poll);
  const reason = await sim.run({ untilUs: deadlineUs, maxEvents });
  if (budgetExceeded(reason, sim, maxEvents) || sim.failure !== null || done) return;
  // A model instance stuck in a hot state is the model's liveness failure, named after it (when the
  // scenario's own condition held, or when nothing else explains the wait).
  const hot = watch.hot();
  const byModel = hot.length > 0 && (lastHot || lastReason === 'not polled yet');
  sim.fail({
    kind: 'liveness',
    check: byModel ? `model:${hot[0]!.model}` : 'liveness',
    message: `not done ${live.withinMs} ms after healing: ${byModel ? describeHot(hot, sim.nowUs()) : lastReason}${!byModel && hot.length > 0 ? `; also ${describeHot(hot, sim.nowUs())}` : ''}`,
    details: { lastReason, hot },
  });
}

function budgetExceeded(reason: string, sim: Simulation, maxEvents: number): boolean {
  if (reason !== 'budget') return false;
  sim.fail({
    kind: 'liveness',
    check: 'event-budget',
    message: `event budget of ${maxEvents} events exhausted at ${sim.nowUs()} µs (a livelock or a busy loop?)`,
  });
  return true;
}

function makeContext(
  sim: Simulation,
  seed: number,
  variant: string,
  implementations: Implementations,
  workloadScale: number,
  exercised: Record<string, number>,
): ScenarioContext {
  if (!(workloadScale > 0 && workloadScale <= 1)) throw new RangeError(`workloadScale ${workloadScale} not in (0, 1]`);
  return {
    sim,
    trace: sim.trace,
    seed,
    variant,
    implementations,
    rng: sim.stream('workload'),
    workloadScale,
    shared: new Map(),
    runState: new Map(),
    nowMs: () => sim.nowUs() / 1000,
    at: (atMs, fn) => {
      sim.scheduler.at(atMs * 1000, () => {
        try {
          fn();
        } catch (e) {
          // The workload calls into node handles synchronously: a throw there is the implementation's.
          const err = e instanceof Error ? e : new Error(String(e));
          sim.fail({ kind: 'crash', check: 'exception', message: `workload: ${err.message}`, details: { stack: err.stack ?? '' } });
        }
      });
    },
    handle: <T>(id: string): T | null => {
      const n = sim.node(id);
      return n.status === 'running' && n.handle !== undefined ? (n.handle as T) : null;
    },
    fail: (kind, check, message, details) => sim.fail({ kind, check, message, details }),
    exercised: (name, n = 1) => {
      exercised[name] = (exercised[name] ?? 0) + n;
    },
    emit: (kind, data) => {
      sim.trace.emit('workload', kind, data ?? {});
    },
  };
}

