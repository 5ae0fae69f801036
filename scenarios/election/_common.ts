/**
 * Shared pieces of the election scenarios: the tab program, the write workload (every write is traced as
 * 'workload.write', its outcome as 'workload.result', and a write whose tab died before it settled as
 * 'workload.lost': the workload's own record; every third acknowledged write is read back at once by
 * another tab, 'workload.read' / 'workload.read-result'), the evidence recorders, the invariant check over the global
 * view, the per-tab and per-request models, and liveness (a leader among the running tabs, a write through
 * every running tab succeeding, every write settled).
 */
import type { TraceCheck } from '../../src/model/check.ts';
import { startElectionTab, type ElectionTabHandle } from '../../src/impl/election/tab.ts';
import { leaseTakeoverMs, resolveTabOptions, type TabOptions } from '../../src/impl/election/options.ts';
import { ELECTION_PROBES } from '../../src/impl/election/probes.ts';
import type { ElectionFactory } from '../../src/impl/election/types.ts';
import { WriteError } from '../../src/impl/election/writer.ts';
import { clockEvidence } from '../../src/evidence/clock.ts';
import { electionBusEvidence } from '../../src/evidence/election-bus.ts';
import { requestEvidence } from '../../src/evidence/requests.ts';
import { storeEvidence } from '../../src/evidence/store.ts';
import {
  apiAgrees,
  apiJudge,
  electionInvariants,
  electionModel,
  FROZEN_KINDS,
  FROZEN_LEADER_REPLACED,
  FrozenLeaderWatch,
  frozenBoundMs,
  lastPauses,
  pendingBound,
  failsForCause,
  promptWrites,
  requestModel,
  stableLeadership,
  strandedWrites,
  recordsFollowRequests,
  readsSeeStore,
  watchCheck,
  writerChannels,
  stealAfterSilence,
  type SilenceTerms,
  type PendingWrite,
} from '../../src/model/election/index.ts';
import { recoveryModel } from '../../src/model/storage/recovery-model.ts';
import type { ClockSpec } from '../../src/sim/clock.ts';
import type { KvSpec } from '../../src/sim/disk/kv-spec.ts';
import type { FaultPlan } from '../../src/faults/plan.ts';
import type { SwarmOptions } from '../../src/faults/swarm.ts';
import type { Liveness, Scenario, ScenarioContext } from '../../src/scenario/types.ts';

/** The device all tabs of a scenario share. */
export const DEVICE = 'browser';
const PENDING = 'election.pending-writes';
const COUNTER = 'election.write-counter';
/** The tabs' write deadline (TabOptions.writeDeadlineMs default). */
const WRITE_DEADLINE_MS = resolveTabOptions().writeDeadlineMs;


/** The map stored under `key` in the scenario's shared memory (created on first use). */
function sharedMap<K, V>(ctx: ScenarioContext, key: string): Map<K, V> {
  let m = ctx.shared.get(key) as Map<K, V> | undefined;
  if (m === undefined) ctx.shared.set(key, (m = new Map()));
  return m;
}

/** Value -> a write the workload issued and has not seen settle. */
function pending(ctx: ScenarioContext): Map<string, PendingWrite> {
  return sharedMap(ctx, PENDING);
}

/** How long after its deadline a write may take to settle before it counts as hung, ms. */
const HANG_SLACK_MS = 1_000;

/**
 * Never a hang: a write issued at a tab that stays up and is never frozen meanwhile settles by its
 * deadline (+ slack), also during chaos. A frozen tab's timers run late, so its writes are exempt.
 */
function watchForHang(ctx: ScenarioContext, tab: string, value: string, incarnation: number): void {
  const issuedMs = ctx.nowMs();
  ctx.at(issuedMs + WRITE_DEADLINE_MS + HANG_SLACK_MS, () => {
    const node = ctx.sim.node(tab);
    if (!pending(ctx).has(value) || node.incarnation !== incarnation || node.status !== 'running') return;
    if ((lastPauses(ctx).get(tab) ?? -1) >= issuedMs) return;
    ctx.fail('liveness', 'liveness:write-hang', `write ${value} at ${tab} has no result ${WRITE_DEADLINE_MS + HANG_SLACK_MS} ms after it was issued`);
  });
}

export function writeAt(ctx: ScenarioContext, tab: string): string | null {
  return issueWrite(ctx, tab, () => {});
}

/** `writeAt`, also telling `settled` whether the write succeeded (and its error code when not). */
function issueWrite(ctx: ScenarioContext, tab: string, settled: (ok: boolean, code: string) => void): string | null {
  const h = ctx.handle<ElectionTabHandle>(tab);
  if (h === null) return null;
  // Judged only for the first write of an instant: a write issued earlier in the same event may still wait
  // for its synchronous refusal (EBUSY) to reach the workload, which happens once the event's microtasks run.
  if (ctx.shared.get(LAST_ISSUE_MS) !== ctx.nowMs()) apiJudge(ctx)?.(tab);
  ctx.shared.set(LAST_ISSUE_MS, ctx.nowMs());
  const n = ((ctx.shared.get(COUNTER) as number | undefined) ?? 0) + 1;
  ctx.shared.set(COUNTER, n);
  const value = `w${n}`;
  const p = pending(ctx);
  const incarnation = ctx.sim.node(tab).incarnation;
  p.set(value, { node: tab, incarnation });
  ctx.emit('workload.write', { node: tab, value });
  watchForHang(ctx, tab, value, incarnation);
  h.write(`k${n % 8}`, value).then(
    (r) => {
      p.delete(value);
      ctx.emit('workload.result', { node: tab, value, ok: true, seq: r.seq, dedup: r.dedup });
      settled(true, '');
      if (n % READ_BACK_EVERY === 0) readBack(ctx, tab, `k${n % 8}`);
    },
    (e: unknown) => {
      p.delete(value);
      const code = e instanceof WriteError ? e.code : String(e);
      const definite = e instanceof WriteError && e.definite;
      ctx.emit('workload.result', { node: tab, value, ok: false, code, definite });
      settled(false, code);
    },
  );
  return value;
}

/** Every this many writes, one acknowledged is read back by another tab (prime to the 8 keys: every key is read). */
const READ_BACK_EVERY = 3;
const READ_COUNTER = 'election.read-counter';

/**
 * Another running tab (the first in topology order; the writer when it runs alone) reads `key` back at
 * once, through its `read()`: traced as 'workload.read' {node, device, key, id} and
 * 'workload.read-result' {node, key, id, ok, value | code} (invariant:reads-see-store).
 */
function readBack(ctx: ScenarioContext, writer: string, key: string): void {
  let reader = writer;
  for (const node of ctx.sim.nodes.values()) {
    if (node.id !== writer && node.status === 'running' && ctx.handle<ElectionTabHandle>(node.id) !== null) {
      reader = node.id;
      break;
    }
  }
  const h = ctx.handle<ElectionTabHandle>(reader);
  if (h === null) return;
  const id = ((ctx.shared.get(READ_COUNTER) as number | undefined) ?? 0) + 1;
  ctx.shared.set(READ_COUNTER, id);
  ctx.emit('workload.read', { node: reader, device: ctx.sim.node(reader).deviceId, key, id });
  h.read(key).then(
    (v) => ctx.emit('workload.read-result', { node: reader, key, id, ok: true, value: v ?? null }),
    (e: unknown) => ctx.emit('workload.read-result', { node: reader, key, id, ok: false, code: e instanceof Error ? e.message.slice(0, 80) : String(e) }),
  );
}

/**
 * A crashed or stopped tab's pending writes die with it (its callers are in the tab): traced as
 * 'workload.lost' {node, value} right after the tab went down, and no longer pending.
 */
function loseWritesOfDeadTabs(ctx: ScenarioContext): void {
  const lose = (rec: { node: string }): void => {
    for (const [value, w] of pending(ctx)) {
      if (w.node !== rec.node || ctx.sim.node(w.node).incarnation !== w.incarnation) continue;
      pending(ctx).delete(value);
      ctx.emit('workload.lost', { node: w.node, value });
    }
  };
  ctx.trace.on('node.crash', lose);
  ctx.trace.on('node.stop', lose);
}

/** A write every `everyMs` from `fromMs` to `toMs` at a tab picked from `tabs` by the workload stream. */
export function steadyWrites(ctx: ScenarioContext, tabs: readonly string[], fromMs: number, toMs: number, everyMs: number): void {
  const count = Math.max(1, Math.round(((toMs - fromMs) / everyMs) * ctx.workloadScale));
  for (let k = 0; k < count; k++) ctx.at(fromMs + k * everyMs, () => writeAt(ctx, ctx.rng.pick(tabs as string[])));
}

/** invariant:frozen-leader-replaced (src/model/election/frozen-leader-replaced.ts): a frozen leader's followers try to take over in time. */
export function frozenLeaderReplaced(mode: 'lease' | 'lock', options: TabOptions = {}): TraceCheck {
  const s = resolveTabOptions({ ...options, mode });
  const bound = frozenBoundMs(leaseTakeoverMs(s), s.renewEveryMs);
  return watchCheck('frozen-leader', [FROZEN_LEADER_REPLACED], FROZEN_KINDS, (ex) => new FrozenLeaderWatch(mode, bound, ex));
}

/** What invariant:steal-after-silence needs of lock-mode settings `options`. */
function silenceTerms(options: TabOptions = {}): SilenceTerms {
  const s = resolveTabOptions({ ...options, mode: 'lock' });
  return { takeoverMs: leaseTakeoverMs(s), clockDriftMaxPpm: s.clockDriftMaxPpm };
}

/** Bounds of the liveness phase, ms after healing. */
export const LIVENESS_BOUNDS = {
  /** A running tab leads within this (lease takeover ~1.1 s plus a poll, with room for a failed try). */
  leaderMs: 3_000,
  /** Every pending write settles, and a write through every running tab succeeds, within this (the write deadline is 10 s). */
  writesMs: 15_000,
} as const;

const PROBES = 'election.post-heal-probes';

/** A running tab's probe writes after healing: one in flight at a time, reissued until one succeeds. */
interface ProbeState {
  inFlight: boolean;
  ok: boolean;
  attempts: number;
  /** Error code of the latest failed probe ('' before any failed). */
  lastError: string;
}

/** `${tab}#${incarnation}` -> its probe writes after healing. */
function probes(ctx: ScenarioContext): Map<string, ProbeState> {
  return sharedMap(ctx, PROBES);
}

/**
 * Issues a probe write at `tab` unless one is in flight or one succeeded; true when one succeeded. The
 * write is issued as an event of its own (a throw in the tab's `write` is then the implementation's).
 */
function probeWrite(ctx: ScenarioContext, tab: string): boolean {
  const key = `${tab}#${ctx.sim.node(tab).incarnation}`;
  let st = probes(ctx).get(key);
  if (st === undefined) probes(ctx).set(key, (st = { inFlight: false, ok: false, attempts: 0, lastError: '' }));
  if (st.ok || st.inFlight || ctx.handle<ElectionTabHandle>(tab) === null) return st.ok;
  const s = st;
  s.inFlight = true;
  ctx.at(ctx.nowMs(), () => {
    const value = issueWrite(ctx, tab, (ok, code) => {
      s.inFlight = false;
      s.ok ||= ok;
      if (!ok) s.lastError = code;
    });
    if (value === null) s.inFlight = false;
    else s.attempts++;
  });
  return false;
}

/**
 * After healing (at `healMs`):
 * - some running tab leads within LIVENESS_BOUNDS.leaderMs (checked on every poll; later is a liveness
 *   failure 'liveness:leader-bound');
 * - once a leader is there, every running tab gets a probe write through: a probe is issued at each, and
 *   reissued while it fails, until one succeeds. Still none by the last poll is 'liveness:write-after-heal'
 *   (writes ending is not enough: a stuck leader failing every write would pass that);
 * - every write issued by a still-live tab settles within `withinMs`.
 */
export function leaderAndWritesSettle(tabs: readonly string[], healMs: number, withinMs: number = LIVENESS_BOUNDS.writesMs): Liveness {
  const pollMs = 50;
  return {
    withinMs,
    pollMs,
    done(ctx) {
      const running = tabs.filter((t) => ctx.sim.node(t).status === 'running');
      if (running.length === 0) return 'no tab is running';
      const waitedMs = ctx.nowMs() - healMs;
      const leaders = running.filter((t) => ctx.handle<ElectionTabHandle>(t)?.role() === 'leader');
      if (leaders.length === 0) {
        if (waitedMs > LIVENESS_BOUNDS.leaderMs) {
          ctx.fail('liveness', 'liveness:leader-bound', `no leader among running tabs ${running.join(', ')} ${Math.round(waitedMs)} ms after healing (bound ${LIVENESS_BOUNDS.leaderMs} ms)`);
        }
        return `no leader among running tabs ${running.join(', ')}`;
      }
      const stuck = running.filter((t) => !probeWrite(ctx, t));
      if (stuck.length > 0) {
        const says = stuck.map((t) => {
          const st = probes(ctx).get(`${t}#${ctx.sim.node(t).incarnation}`);
          return `${t} (${st?.attempts ?? 0} probes${st?.lastError ? `, last ${st.lastError}` : ''})`;
        });
        const reason = `no write issued after healing has succeeded through ${says.join(', ')}`;
        if (waitedMs + pollMs > withinMs) ctx.fail('liveness', 'liveness:write-after-heal', `${reason} ${Math.round(waitedMs)} ms after healing`);
        return reason;
      }
      for (const [value, w] of pending(ctx)) {
        const node = ctx.sim.node(w.node);
        if (node.incarnation === w.incarnation && node.status !== 'down') return `write ${value} at ${w.node} has not settled`;
      }
      return true;
    },
  };
}

/** ctx.shared key: the virtual ms of the workload's latest write. */
const LAST_ISSUE_MS = 'election.last-issue-ms';

/** What an election scenario varies. */
export interface ElectionScenarioSpec {
  name: string;
  description: string;
  suites: string[];
  /** Tab ids (all on device DEVICE). */
  tabs: string[];
  mode: 'lease' | 'lock';
  /** Start times (ms) of tabs that do not start at 0. */
  startAtMs?: Record<string, number>;
  clocks?: Record<string, ClockSpec>;
  /** Settings of the device's kv store (the shared store), e.g. slow strict commits (then invariant:prompt-writes is not judged). */
  kv?: KvSpec;
  options?: TabOptions;
  workload(ctx: ScenarioContext): void;
  faults?: FaultPlan | { swarm: SwarmOptions };
  durationMs: number;
  livenessMs?: number;
  maxEvents?: number;
  /**
   * Plugs in another election implementation (the pluggability test does). It is checked exactly like
   * the built-in one; `mode` then says what it promises: 'lease' (a deposed leader finds out before it
   * writes: invariant:lease-exclusive applies) or 'lock' (preemptive: only fencing protects the store).
   */
  factory?: ElectionFactory;
}

/** The lease a scenario's tabs run with (invariant:lease-bounded holds their beliefs to it). */
function leaseTerms(options: TabOptions = {}): { leaseMs: number; clockDriftMaxPpm: number } {
  const s = resolveTabOptions(options);
  return { leaseMs: s.leaseMs, clockDriftMaxPpm: s.clockDriftMaxPpm };
}

/** Builds a scenario from its spec: tab program, invariants, per-tab model and liveness. */
export function electionScenario(spec: ElectionScenarioSpec): Scenario {
  return {
    name: spec.name,
    description: spec.description,
    suites: spec.suites,
    topology: {
      nodes: spec.tabs.map((id) => ({ id, device: DEVICE, role: 'tab', clock: spec.clocks?.[id], startAtMs: spec.startAtMs?.[id] })),
      ...(spec.kv === undefined ? {} : { devices: { [DEVICE]: { kv: spec.kv } } }),
    },
    program: (_node, ctx) => (env) => startElectionTab(env, { ...spec.options, mode: spec.mode, variant: ctx.variant }, ctx.implementations.election ?? spec.factory),
    workload: (ctx) => {
      loseWritesOfDeadTabs(ctx);
      spec.workload(ctx);
    },
    faults: spec.faults,
    durationMs: spec.durationMs,
    liveness: leaderAndWritesSettle(spec.tabs, spec.durationMs, spec.livenessMs),
    // The same checks for a plugged-in implementation: they read only what the reporter and the
    // single writer trace for any implementation.
    checks: [
      electionInvariants(spec.mode === 'lease', leaseTerms(spec.options)),
      stableLeadership(),
      // Its bound (250 ms: a few bus round trips and store commits) assumes the default store speed.
      ...(spec.kv === undefined ? [promptWrites()] : []),
      strandedWrites(resolveTabOptions(spec.options).writeDeadlineMs),
      pendingBound(resolveTabOptions(spec.options).pendingWritesMax),
      failsForCause(resolveTabOptions(spec.options).writeDeadlineMs),
      frozenLeaderReplaced(spec.mode, spec.options),
      apiAgrees(spec.tabs, (ctx) => pending(ctx).values()),
      writerChannels,
      recordsFollowRequests(),
      readsSeeStore(),
      ...(spec.mode === 'lock' ? [stealAfterSilence(silenceTerms(spec.options))] : []),
    ],
    // The election model first (tests read its coverage as coverage[0]).
    models: [
      electionModel(spec.tabs),
      requestModel(spec.tabs),
      recoveryModel,
    ],
    evidence: [
      storeEvidence([{ backend: 'kv', root: 'store' }]),
      clockEvidence(),
      requestEvidence(),
      electionBusEvidence(),
    ],
    maxEvents: spec.maxEvents,
    variantAreas: ['election'],
    seams: ['election'],
    probes: ELECTION_PROBES,
  };
}
