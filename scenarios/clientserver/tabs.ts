/**
 * Several tabs of one device (docs/client-server.md, "Several tabs"): device C1 runs three tabs T1..T3
 * (src/impl/clientserver/tabs.ts: the elected leader tab runs the sync client, the others show its status
 * and forward their writes to it), beside the server and another client C2. The leader tab is frozen past
 * its lease, crashed and closed while it syncs; another tab takes over each time.
 *
 * Checked: C1 as one client (the device's client is its leader tab's: every invariant and the sync-status
 * model through `deviceChecks`/`deviceModel`), and the tabs' promises (invariant:tabs-agree,
 * invariant:tabs-one-connection, invariant:tab-writes).
 */
import type { ClientHandle, ServerHandle } from '../../src/impl/clientserver/index.ts';
import { csClientFactory } from '../../src/impl/clientserver/seam.ts';
import { startCsTab, type CsTabHandle } from '../../src/impl/clientserver/tabs.ts';
import { deviceChecks, deviceModel, tabsChecks, type TabsOf } from '../../src/model/clientserver/tabs-agree.ts';
import { tabWriteAnswersCheck } from '../../src/model/clientserver/tab-write-answers.ts';
import type { FaultEvent } from '../../src/faults/plan.ts';
import type { Liveness, Scenario, ScenarioContext } from '../../src/scenario/types.ts';
import { CS_SEAMS, DB, META, SERVER, allSynced, clientWrites, csChecking, csProgram, csTopology, serverRecords } from './_common.ts';

/** The tabbed device and its tabs; T1 starts first and leads first. */
const DEVICE = 'C1';
const TABS = ['T1', 'T2', 'T3'];
const TABS_OF: TabsOf = { [DEVICE]: TABS };
const OTHER = 'C2';
/** Who leads when the fault fires: the tab whose announcement on the election's channel carries the highest epoch. */
const LEADER = { leader: 'election', by: 'bus' } as const;

const PENDING = 'cs.tabs.pending-writes';

/** Tab writes issued and not settled: value -> [tab, incarnation]. */
function pendingWrites(ctx: ScenarioContext): Map<string, [string, number]> {
  let m = ctx.shared.get(PENDING) as Map<string, [string, number]> | undefined;
  if (m === undefined) ctx.shared.set(PENDING, (m = new Map()));
  return m;
}

/**
 * `count` writes at random running tabs, one every `everyMs` from `fromMs`, each with a unique value:
 * traced as workload.write {node, value} and workload.result {node, value, ok, code?, saved?} (saved: 'maybe' on
 * a failure the tab said may be saved; invariant:tab-writes and invariant:tab-write-answers read them).
 */
function tabWrites(ctx: ScenarioContext, count: number, fromMs: number, everyMs: number): void {
  const n = Math.max(1, Math.round(count * ctx.workloadScale));
  for (let k = 0; k < n; k++) ctx.at(fromMs + k * everyMs, () => tabWrite(ctx, ctx.rng.pick(TABS), `#${k}`));
}

/** One write at `tab` (when it runs), its value `<tab><tag>` (unique). */
function tabWrite(ctx: ScenarioContext, tab: string, tag: string): void {
  const h = ctx.handle<CsTabHandle>(tab);
  if (h === null || ctx.sim.node(tab).status !== 'running') return;
  const value = `${tab}${tag}`;
  const table = ctx.rng.pick(['book', 'customer']);
  const pk = `${table}-${ctx.rng.int(20)}`;
  pendingWrites(ctx).set(value, [tab, ctx.sim.node(tab).incarnation]);
  ctx.emit('workload.write', { node: tab, value });
  h.write(table, pk, ctx.rng.pick(['title', 'price', 'note']), value).then(
    () => {
      pendingWrites(ctx).delete(value);
      ctx.emit('workload.result', { node: tab, value, ok: true });
    },
    (e: unknown) => {
      pendingWrites(ctx).delete(value);
      // `saved: 'maybe'` when the tab said the write may be saved after all (TabWriteError.saved); absent for
      // a definite failure (saved 'no', or any other error).
      const maybe = (e as { saved?: unknown } | null)?.saved === 'maybe';
      ctx.emit('workload.result', { node: tab, value, ok: false, code: String((e as Error)?.message ?? e).slice(0, 80), ...(maybe ? { saved: 'maybe' } : {}) });
    },
  );
}

/**
 * At each takeover (election.leader), the other tabs write one every 0.2 ms for 40 ms: the new leader's
 * client is still loading, so they wait, and the last ones are on the bus when its first status arrives.
 */
function takeoverBursts(ctx: ScenarioContext): void {
  ctx.trace.on('election.leader', (rec) => {
    const others = TABS.filter((t) => t !== rec.node);
    const epoch = rec.data.epoch as number;
    for (let k = 0; k < 200; k++) ctx.at(ctx.nowMs() + k * 0.2, () => tabWrite(ctx, ctx.rng.pick(others), `-lead${epoch}#${k}`));
  });
}

/** The user closes the leader tab at `atMs` (a clean close: it hands over) and reopens it 500 ms later. */
function closeLeaderTab(ctx: ScenarioContext, atMs: number): void {
  ctx.at(atMs, () => {
    const tab = TABS.find((t) => ctx.handle<CsTabHandle>(t)?.role() === 'leader');
    if (tab === undefined) return;
    ctx.emit('workload.handover', { node: tab, how: 'close' });
    void ctx.handle<CsTabHandle>(tab)!.close().then(() => {
      ctx.sim.stop(tab);
      ctx.at(ctx.nowMs() + 500, () => ctx.sim.start(tab));
    });
  });
}

/**
 * Liveness: the server up and C2 synced, every tab up, the one tab running a client synced and equal to
 * the server, every tab showing synced, every tab write settled.
 */
function tabsSynced(withinMs = 20_000): Liveness {
  const other = allSynced([OTHER], withinMs);
  return {
    withinMs,
    pollMs: 200,
    done(ctx) {
      // The server up and C2 synced with it first.
      const c2 = other.done(ctx);
      if (c2 !== true) return c2;
      const server = ctx.handle<ServerHandle>(SERVER)!;
      const down = TABS.filter((t) => ctx.sim.node(t).status !== 'running');
      if (down.length > 0) return `tab(s) ${down.join(', ')} not running`;
      const clients = TABS.map((t) => ctx.handle<CsTabHandle>(t)?.client() ?? null).filter((c): c is ClientHandle => c !== null);
      if (clients.length !== 1) return `${clients.length} tabs run a sync client`;
      const c = clients[0]!;
      if (c.status().status !== 'synced') return `the leader tab's client shows ${c.status().status}`;
      if (c.digest() !== server.digest()) return `the leader tab's client holds ${c.digest()}, the server ${server.digest()}`;
      for (const t of TABS) {
        const s = ctx.handle<CsTabHandle>(t)!.status();
        if (s.status !== 'synced') return `tab ${t} shows ${s.status}`;
      }
      for (const [value, [tab, inc]] of pendingWrites(ctx)) {
        if (ctx.sim.node(tab).incarnation === inc) return `write ${value} at ${tab} has not settled`;
      }
      return true;
    },
  };
}

const checking = csChecking([DEVICE, OTHER]);

/** cs-tabs' fault plan: the leader frozen, crashed, cut off. */
const TABS_FAULTS: FaultEvent[] = [
  { kind: 'pause', atMs: 2_000, node: LEADER, durationMs: 3_000 },
  { kind: 'crash', atMs: 7_000, node: LEADER, restartAfterMs: 1_000 },
  // The device cut off from the server while its tabs write: every tab must show the pending count.
  { kind: 'partition', atMs: 8_800, a: TABS, b: ['S', 'M'], durationMs: 1_500 },
];

const tabs: Scenario = {
  name: 'cs-tabs',
  description:
    'Device C1 runs three tabs; the elected leader tab holds the sync connection and the others show its status and forward their writes to it; C2 and the operator write meanwhile. The leader tab freezes past its lease while it syncs (2 s, for 3 s), the next leader crashes during a 2,000-record download (7 s), the device is cut off from the server for 1.5 s (8.8 s: pending changes pile up), the leader is closed (10.8 s): another tab takes over each time, one tab at a time uses a sync connection, every tab shows the same status, and no write made in any tab is lost or stored twice.',
  suites: ['ci', 'default', 'nightly'],
  topology: {
    nodes: [...csTopology([OTHER]).nodes, ...TABS.map((id, i) => ({ id, device: DEVICE, role: 'tab', ...(i === 0 ? {} : { startAtMs: 100 }) }))],
  },
  program: (node, ctx) => {
    if (node.role !== 'tab') return csProgram()(node, ctx);
    return (env) =>
      startCsTab(env, {
        client: { server: SERVER, meta: META, db: DB, schema: 1, variant: ctx.variant },
        startClient: csClientFactory(ctx.implementations.csClient),
        variant: ctx.variant,
      });
  },
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 100, 300);
    serverRecords(ctx, 2_000, 6_980, 'bulk');
    tabWrites(ctx, 180, 300, 60);
    clientWrites(ctx, [OTHER], 60, 300, 180);
    closeLeaderTab(ctx, 10_800);
  },
  faults: { events: TABS_FAULTS },
  durationMs: 12_500,
  liveness: tabsSynced(),
  checks: [...deviceChecks(checking.checks, TABS_OF), ...tabsChecks(TABS_OF, SERVER), tabWriteAnswersCheck(TABS)],
  models: checking.models.map((m) => deviceModel(m, TABS_OF)),
  evidence: checking.evidence,
  probes: checking.probes,
  variantAreas: checking.variantAreas,
};

/**
 * cs-tabs with a burst of writes from the other tabs at each takeover (takeoverBursts): a follower hears
 * the new leader's first status while requests it forwarded are still on the bus, on their way to that same
 * leader (cs-tabs writes every 60 ms and almost never has one in flight then). A request sent again to the
 * new leader must not be taken twice (variant cs-tabs-unaddressed: invariant:tab-writes).
 */
const busy: Scenario = {
  ...tabs,
  name: 'cs-tabs-busy',
  description:
    "cs-tabs (device C1 with three tabs, the leader frozen at 2 s, crashed at 7 s, cut off at 8.8 s, closed at 10.8 s) with a burst of 200 writes from the other tabs, one every 0.2 ms, from each new leader's election: its client is still loading, so a follower hears its first status while writes it forwarded are still on their way to it, and each is stored once (taken only by the leader it is addressed to), and every write reported done is on the server exactly once.",
  workload: (ctx) => {
    tabs.workload!(ctx);
    takeoverBursts(ctx);
  },
};

/**
 * cs-tabs with tabs whose tasks run late (fault `taskDelay`, as a background or busy browser tab's are):
 * a follower hears the leader's statuses and replies 120 ms late for 4 s, the leader handles forwarded
 * writes and its lock callbacks 150 ms late while the next leader is elected after the crash, and a tab's
 * lock callbacks run 300 ms late around the close. Every tab must still show the device's status (late by
 * at most its delay: invariant:tabs-agree judges it against what the device showed within that delay),
 * one tab at a time syncs, and every write is stored once.
 */
const late: Scenario = {
  ...tabs,
  name: 'cs-tabs-late',
  description:
    "cs-tabs (device C1 with three tabs, the leader frozen at 2 s, crashed at 7 s, cut off at 8.8 s, closed at 10.8 s) with late tasks: follower T2's BroadcastChannel tasks run 120 ms late from 0.5 s to 4.5 s, the leader's bus and lock tasks 150 ms late from 6.5 s to 9.5 s, T3's lock callbacks 300 ms late from 10 s to 12 s; tabs still show the device's status within their delay and the bound, one tab at a time syncs, and every write is stored once.",
  suites: ['ci', 'nightly'],
  faults: {
    events: [
      ...TABS_FAULTS,
      { kind: 'taskDelay', atMs: 500, node: 'T2', source: 'bus', delayMs: 120, durationMs: 4_000 },
      { kind: 'taskDelay', atMs: 6_500, node: LEADER, delayMs: 150, durationMs: 3_000 },
      { kind: 'taskDelay', atMs: 10_000, node: 'T3', source: 'lock', delayMs: 300, durationMs: 2_000 },
    ],
  },
};

/** A forwarded write's commit in the leader tab's client: its kv transaction (client-store.ts `write`, under the tenure's fence). */
const WRITE_COMMIT = { node: LEADER, area: 'kv', op: 'commit', target: 'cells,local,meta,cs-tabs' } as const;

/** `count` writes at follower tabs (forwarded to the leader), one every `everyMs` from `fromMs`. */
function followerWrites(ctx: ScenarioContext, count: number, fromMs: number, everyMs: number): void {
  for (let k = 0; k < count; k++) {
    ctx.at(fromMs + k * everyMs, () => {
      const followers = TABS.filter((t) => ctx.sim.node(t).status === 'running' && ctx.handle<CsTabHandle>(t)?.role() !== 'leader');
      if (followers.length > 0) tabWrite(ctx, ctx.rng.pick(followers), `~${k}`);
    });
  }
}

/**
 * A forwarded write durable in the device's database and unanswered at a takeover: the leader tab is
 * frozen right after the commit of one (3 s: past its lease, so another tab takes over, and the frozen one
 * answers at its resume, inside the 5 s the follower waits), later frozen right after another for 6 s (the
 * follower's wait ends first: it must say "may be saved"), and crashed right after a third (no answer
 * ever; restarted after 1 s). The next leader finds each write in the change log and pushes it; the
 * follower must not send it again (stored twice: cs-tabs-resend-accepted, invariant:tab-writes) and must
 * not report it not saved (cs-tabs-untold-maybe, invariant:tab-write-answers). Last, the leader crashes just
 * before a write's commit: that write is lost, and no tab may report it written (a leader that answers
 * `written` when it takes a write: invariant:tab-writes).
 */
const unanswered: Scenario = {
  ...tabs,
  name: 'cs-tabs-commit-unanswered',
  description:
    "Device C1 with three tabs; writes are made in the follower tabs and forwarded to the leader. The leader tab is frozen right after a forwarded write's kv commit (its 12th, for 3 s: past its lease), then right after another (its 61st, for 6 s: longer than the follower waits), and crashed right after a third (its 112th, restarted after 1 s): each write is durable and unanswered when another tab takes over. Each is on the server once, and no tab reports one of them not saved. Then crashed just before a fourth write's commit (its 203rd, once the third write's wait ended): that write is lost, and no tab reports it written.",
  suites: ['ci', 'default', 'nightly'],
  workload: (ctx) => {
    serverRecords(ctx, 100, 300);
    followerWrites(ctx, 240, 300, 60);
    clientWrites(ctx, [OTHER], 60, 300, 180);
  },
  faults: {
    // `nth` counts the commits no earlier rule answered (src/faults/rules.ts): a rule that fired takes its
    // commit from the later ones' count, so these fire at the 12th, 61st, 112th and 203rd commit.
    events: [
      { kind: 'pause', node: LEADER, when: 'after', durationMs: 3_000, trigger: { ...WRITE_COMMIT, nth: 12 } },
      { kind: 'pause', node: LEADER, when: 'after', durationMs: 6_000, trigger: { ...WRITE_COMMIT, nth: 60 } },
      { kind: 'crash', node: LEADER, when: 'after', restartAfterMs: 1_000, trigger: { ...WRITE_COMMIT, nth: 110 } },
      // And once before the commit, after the third write's wait ended (a crash of the waiting tab would end
    // its wait unanswered): the write is not saved, its acceptance already told (may be saved, never "written").
      { kind: 'crash', node: LEADER, when: 'before', restartAfterMs: 1_000, trigger: { ...WRITE_COMMIT, nth: 200 } },
    ],
  },
  durationMs: 18_000,
};

/**
 * cs-tabs with the tabs' wall clocks set while they run (every tab's 30 s back right after the leader crashes at
 * 7 s, T3's 45 s ahead at 9.5 s): a follower judges how old the leader's last status is on its monotonic clock, so
 * it shows disconnected within its bound once the leader is gone, and never before. Found by the sixth bug
 * hunt: a freshness test on the wall clock kept a dead leader's green for 30 s in a follower whose clock went
 * back (and would show disconnected under a live leader after a jump ahead); no scenario moved a tab's clock.
 */
const clockJumps: Scenario = {
  ...tabs,
  name: 'cs-tabs-clock-jumps',
  description:
    "cs-tabs with the tabs' wall clocks set while they run (every tab's 30 s back at 7.05 s, right after the leader crashed, and T3's 45 s ahead at 9.5 s): every tab must still show the device's status within 600 ms (a follower times the leader's last status on its monotonic clock).",
  suites: ['ci'],
  faults: {
    events: [
      ...TABS_FAULTS,
      // Right after the leader's crash (7 s), before a follower finds its last status too old.
      { kind: 'clockJump', atMs: 7_050, node: 'T1', deltaMs: -30_000 },
      { kind: 'clockJump', atMs: 7_050, node: 'T2', deltaMs: -30_000 },
      { kind: 'clockJump', atMs: 7_050, node: 'T3', deltaMs: -30_000 },
      { kind: 'clockJump', atMs: 9_500, node: 'T3', deltaMs: 45_000 },
    ],
  },
};

export default [tabs, busy, late, unanswered, clockJumps];
