/**
 * The Election interface's contract (src/impl/election/types.ts), exercised on the built-in implementations
 * inside a simulated run, through the calls a user of the seam makes: what the scenarios' checks cannot see
 * because the single writer never makes those calls, or never in that order.
 *
 * - Before start() a tab is a follower with no epoch that may not write.
 * - Events agree with the API at the moment they are delivered: on 'leader' the tab leads that epoch and may
 *   write; on 'follower' it no longer leads and may not.
 * - Every well-formed announcement of a leader the bus hands a tab becomes a 'leader-seen' event.
 * - Listeners: every subscriber gets every event while subscribed (one per leadership change the tab
 *   reports), in subscription order, also when one of
 *   them unsubscribes while an event is being delivered; an unsubscribed listener gets nothing more; calling
 *   the unsubscribe function twice removes nothing else.
 * - fenced(epoch) steps down only for the tab's own current epoch (a stale report is ignored).
 * - takeOver() (lock mode) by a follower makes it leader at once (the old leader is deposed); by the leader
 *   it does nothing. Two followers stealing at once: the first loses its grant before it drew an epoch,
 *   reports the campaign lost ('stolen') and queues again without stealing (the lock manager's requests
 *   show it); the second leads undisturbed.
 * - close() twice at once: both resolve, each only once the step-down finished, one step-down ('closing'),
 *   role 'closed', and a closed tab never campaigns again, even when told to take over.
 * - ElectionDeps: a writing leader has writes in flight at times (inflight()), and a tab reports it is a
 *   follower again only once none is left (drained()).
 * - Announcements on the election channel that are malformed (an epoch that is not a number, a holder that
 *   is not a string, an unknown type) or stale (an epoch below the leader's) change nothing: no tab reports
 *   seeing their sender, the leader keeps leading.
 * - The tab handle: an acknowledged write reads back at every tab; takeOver() where the election offers none
 *   (lease mode) does nothing.
 */
import { describe, expect, it } from 'vitest';
import { ELECTION_CHANNEL, LeaseElection } from '../../src/impl/election/lease-election.ts';
import { LockElection } from '../../src/impl/election/lock-election.ts';
import { resolveTabOptions } from '../../src/impl/election/options.ts';
import type { ElectionTabHandle } from '../../src/impl/election/tab.ts';
import type { Bus } from '../../src/impl/env.ts';
import type { Election, ElectionDeps, ElectionEvent } from '../../src/impl/election/types.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { ScenarioContext } from '../../src/scenario/types.ts';
import type { TraceRecord } from '../../src/sim/trace.ts';
import { electionScenario, steadyWrites, writeAt } from '../../scenarios/election/_common.ts';

const TABS = ['A', 'B', 'C'];
type Mode = 'lease' | 'lock';

/** What one run observed: contract violations, and how often each contract was put to the test. */
interface Observed {
  problems: string[];
  tested: Map<string, number>;
}

/** One tab incarnation's election and what its listeners received. */
interface Tab {
  election: Election;
  deps: ElectionDeps;
  /** Events of the recording listener, with the virtual ms they arrived. */
  events: { e: ElectionEvent; atMs: number }[];
  /** Events of the listener that unsubscribes on its first event. */
  once: ElectionEvent[];
  /** Events of the listener unsubscribed at UNSUBSCRIBE_MS, with the ms they arrived. */
  early: { e: ElectionEvent; atMs: number }[];
  unsubscribeEarly: () => void;
  /** Events of a listener subscribed at UNSUBSCRIBE_MS, the newest when another one unsubscribed twice. */
  late: { e: ElectionEvent; atMs: number }[];
  /** Well-formed 'leader' announcements the bus handed to this tab. */
  announced: { holder: string; epoch: number }[];
}

const UNSUBSCRIBE_MS = 1_000;
const STALE_FENCE_MS = 2_000;
const OWN_FENCE_MS = 2_500;
const TAKEOVER_MS = 4_000;
const CLOSE_MS = 6_000;
const READ_BACK_MS = 7_000;
const ROGUE_MS = 7_500;
const DURATION_MS = 9_000;

function run(mode: Mode, seed: number): Promise<{ observed: Observed; failure: string | null }> {
  const settings = resolveTabOptions({ mode });
  const observed: Observed = { problems: [], tested: new Map() };
  const test = (name: string): void => void observed.tested.set(name, (observed.tested.get(name) ?? 0) + 1);
  const problem = (text: string): void => void observed.problems.push(text);
  const tabs = new Map<string, Tab>();
  let nowMs = (): number => 0;

  const scenario = electionScenario({
    name: `election-conformance-${mode}`,
    description: 'Three tabs; the test calls the Election API directly (listeners, fenced, takeOver, close).',
    suites: [],
    tabs: TABS,
    mode,
    startAtMs: { B: 100, C: 100 },
    factory: (given) => {
      // The bus as the election sees it, with every announcement it is handed noted first.
      const announced: { holder: string; epoch: number }[] = [];
      const bus: Bus = {
        post: (channel, message) => given.bus.post(channel, message),
        subscribe: (channel, handler) =>
          given.bus.subscribe(channel, (message, from) => {
            const m = message as { type?: unknown; holder?: unknown; epoch?: unknown };
            if (channel === ELECTION_CHANNEL && m.type === 'leader' && typeof m.holder === 'string' && typeof m.epoch === 'number') announced.push({ holder: m.holder, epoch: m.epoch });
            handler(message, from);
          }),
      };
      const deps: ElectionDeps = { ...given, bus };
      const election = mode === 'lock' ? new LockElection(deps, settings) : new LeaseElection(deps, settings);
      const tab: Tab = { election, deps, events: [], once: [], early: [], unsubscribeEarly: () => {}, late: [], announced };
      tabs.set(deps.nodeId, tab);
      test('before start()');
      if (election.role() !== 'follower' || election.epoch() !== 0 || election.canWrite()) problem(`${deps.nodeId}: before start() role() is ${election.role()}, epoch() ${election.epoch()}`);
      // Subscribed before start(), in this order: the self-removing listener first, so a delivery that
      // iterated the live list would skip the recording listener right after it.
      const offOnce = election.subscribe((e) => {
        tab.once.push(e);
        offOnce();
      });
      election.subscribe((e) => {
        tab.events.push({ e, atMs: nowMs() });
        if (e.type === 'leader') {
          test('leader event agrees with the API');
          if (election.role() !== 'leader' || election.epoch() !== e.epoch || !election.canWrite()) {
            problem(`${deps.nodeId}: 'leader' event for epoch ${e.epoch} while role() is ${election.role()}, epoch() ${election.epoch()}`);
          }
        } else if (e.type === 'follower') {
          test('follower event agrees with the API');
          if (election.role() === 'leader' || election.epoch() !== 0 || election.canWrite()) {
            problem(`${deps.nodeId}: 'follower' event (${e.reason}) while role() is ${election.role()}, epoch() ${election.epoch()}`);
          }
        }
      });
      tab.unsubscribeEarly = election.subscribe((e) => tab.early.push({ e, atMs: nowMs() }));
      return election;
    },
    workload: (ctx: ScenarioContext) => {
      nowMs = () => ctx.nowMs();
      steadyWrites(ctx, TABS, 200, READ_BACK_MS - 200, 50);
      const records: TraceRecord[] = [];
      for (const kind of ['election.campaign', 'election.stepdown', 'election.leader', 'election.lost', 'election.follower', 'election.seen']) ctx.sim.trace.on(kind, (r) => records.push(r));
      // The simulated lock manager's record of every request (ground truth for queueing again).
      const lockRequests: TraceRecord[] = [];
      ctx.sim.trace.on('lock.request', (r) => lockRequests.push(r));

      // ElectionDeps.inflight() / drained(): what a stepping-down leader waits for. A leader writing has writes
      // in flight at times; a tab reports it is a follower again only once none is left.
      let busiest = 0;
      ctx.sim.trace.on('writer.begin', (r) => {
        const n = tabs.get(r.node)?.deps.inflight();
        if (typeof n !== 'number') problem(`${r.node}: deps.inflight() returned ${String(n)}, not a number`);
        else busiest = Math.max(busiest, n);
      });
      ctx.sim.trace.on('election.follower', (r) => {
        test('a tab is a follower again only once its writes drained');
        const n = tabs.get(r.node)?.deps.inflight();
        if (n !== 0) problem(`${r.node}: reported follower (${String(r.data.reason)}) with ${String(n)} leader writes still in flight`);
      });
      ctx.at(DURATION_MS - 60, () => {
        test('a writing leader has writes in flight');
        if (busiest === 0) problem('deps.inflight() never counted a leader write in flight');
      });
      const since = (node: string, kind: string, fromMs: number): TraceRecord[] => records.filter((r) => r.node === node && r.kind === kind && r.t >= fromMs * 1000);
      const leader = (): [string, Tab] | undefined => [...tabs].find(([, t]) => t.election.role() === 'leader');

      ctx.at(UNSUBSCRIBE_MS, () => {
        for (const t of tabs.values()) {
          t.unsubscribeEarly();
          // A second call of an unsubscribe function removes nothing else, not even the newest listener.
          const off = t.election.subscribe(() => {});
          t.election.subscribe((e) => t.late.push({ e, atMs: ctx.nowMs() }));
          off();
          off();
        }
      });

      // fenced(): a report for an epoch that is not the tab's own is ignored; its own epoch deposes it.
      let fencedTab = '';
      let staleFenceAt = 0;
      ctx.at(STALE_FENCE_MS, () => {
        const l = leader();
        if (l === undefined) return;
        const [id, t] = l;
        staleFenceAt = ctx.nowMs();
        fencedTab = id;
        t.election.fenced(t.election.epoch() - 1);
        t.election.fenced(t.election.epoch() + 1);
        for (const [other, o] of tabs) if (other !== id) o.election.fenced(t.election.epoch());
      });
      ctx.at(OWN_FENCE_MS - 1, () => {
        if (fencedTab === '') return;
        test('a stale fenced() is ignored');
        for (const r of records) {
          if (r.kind === 'election.stepdown' && r.t >= staleFenceAt * 1000) problem(`${r.node} stepped down (${String(r.data.reason)}) after a fenced() report that was not for its own epoch`);
        }
      });
      ctx.at(OWN_FENCE_MS, () => {
        const l = leader();
        if (l === undefined) return;
        const [id, t] = l;
        ctx.emit('workload.handover', { node: id, how: 'fenced' }); // a deposition the stability check must not blame
        t.election.fenced(t.election.epoch());
        ctx.at(OWN_FENCE_MS + 200, () => {
          test('fenced() for its own epoch deposes the leader');
          const downs = since(id, 'election.stepdown', OWN_FENCE_MS);
          if (downs.length === 0 || downs[0]!.data.reason !== 'fenced') problem(`${id}: fenced() for its own epoch did not make it step down with reason 'fenced'`);
        });
      });

      // takeOver() (lock mode): the leader's own call does nothing; a follower's deposes the leader at once.
      if (mode === 'lock') {
        ctx.at(TAKEOVER_MS, () => {
          const l = leader();
          if (l === undefined) return;
          const [id, t] = l;
          const epoch = t.election.epoch();
          t.election.takeOver?.();
          const thief = TABS.find((x) => x !== id && ['follower', 'candidate'].includes(tabs.get(x)?.election.role() ?? ''));
          ctx.at(TAKEOVER_MS + 50, () => {
            test('takeOver() by the leader does nothing');
            if (since(id, 'election.campaign', TAKEOVER_MS).length > 0 || t.election.epoch() !== epoch) problem(`${id}: takeOver() while leading epoch ${epoch} campaigned again`);
            if (thief === undefined) return;
            ctx.emit('workload.handover', { node: thief, how: 'takeOver' });
            tabs.get(thief)!.election.takeOver?.();
            ctx.at(TAKEOVER_MS + 500, () => {
              test('takeOver() by a follower makes it leader at once');
              if (tabs.get(thief)!.election.role() !== 'leader') problem(`${thief}: takeOver() did not make it leader within 450 ms (role ${tabs.get(thief)!.election.role()})`);
              const downs = since(id, 'election.stepdown', TAKEOVER_MS);
              if (downs.length === 0) problem(`${id}: still leading after ${thief} took over`);
            });
            // Two followers steal at once: the first is granted the lock and loses it before it drew an epoch.
            // It reports the campaign lost ('stolen') and queues again without stealing; the second leads.
            const third = TABS.find((x) => x !== id && x !== thief)!;
            ctx.at(TAKEOVER_MS + 1_000, () => {
              const [y, z] = [id, third];
              if (!['follower', 'candidate'].includes(tabs.get(y)!.election.role()) || !['follower', 'candidate'].includes(tabs.get(z)!.election.role())) return;
              ctx.emit('workload.handover', { node: y, how: 'takeOver' });
              tabs.get(y)!.election.takeOver?.();
              ctx.emit('workload.handover', { node: z, how: 'takeOver' });
              tabs.get(z)!.election.takeOver?.();
              const fromMs = ctx.nowMs();
              ctx.at(fromMs + 3 * settings.renewEveryMs + 100, () => {
                test('a tab that lost its grant before leading queues again');
                const lost = since(y, 'election.lost', fromMs);
                if (lost.length !== 1 || lost[0]!.data.reason !== 'stolen') problem(`${y}: lost its grant to ${z}'s steal but reported ${JSON.stringify(lost.map((r) => r.data.reason))}, not one 'stolen'`);
                const requeue = lockRequests.filter((r) => r.node === y && r.t > (lost[0]?.t ?? Infinity));
                if (requeue.length === 0) problem(`${y}: did not queue for the lock again after it lost its grant (no lock.request)`);
                else if (requeue.some((r) => r.data.steal === true)) problem(`${y}: queued again by stealing the lock from ${z}`);
                if (tabs.get(z)!.election.role() !== 'leader' || since(z, 'election.stepdown', fromMs).length > 0) problem(`${z}: took the lock last but does not lead undisturbed (role ${tabs.get(z)!.election.role()})`);
              });
            });
          });
        });
      }

      // close() twice at once on the leader: both resolve, one step-down, closed for good.
      ctx.at(CLOSE_MS, () => {
        const l = leader();
        if (l === undefined) return;
        const [id, t] = l;
        ctx.emit('workload.handover', { node: id, how: 'close' });
        let resolved = 0;
        let closedAt = -1;
        const done = (): void => {
          resolved++;
          if (resolved === 2) closedAt = ctx.nowMs();
          test('close() resolves once the step-down finished');
          if (since(id, 'election.follower', CLOSE_MS).length === 0) problem(`${id}: a close() resolved before the tab finished stepping down (no election.follower yet)`);
        };
        void t.election.close().then(done);
        void t.election.close().then(done);
        ctx.at(DURATION_MS - 100, () => {
          test('close() twice: one step-down, closed for good');
          if (resolved !== 2) problem(`${id}: ${resolved} of 2 close() calls resolved`);
          const downs = since(id, 'election.stepdown', CLOSE_MS);
          if (downs.length !== 1 || downs[0]!.data.reason !== 'closing') problem(`${id}: close() twice gave ${downs.length} step-downs (${downs.map((r) => String(r.data.reason)).join(', ')}), not one 'closing'`);
          if (t.election.role() !== 'closed' || t.election.canWrite()) problem(`${id}: role() is ${t.election.role()} after close()`);
          const campaigns = since(id, 'election.campaign', CLOSE_MS);
          if (campaigns.length > 0) problem(`${id}: campaigned ${campaigns.length} times after close() (first at ${campaigns[0]!.t / 1000} ms, closed at ${closedAt} ms)`);
        });
        // A closed tab told to take over stays closed.
        ctx.at(CLOSE_MS + 1_000, () => t.election.takeOver?.());
      });

      // Malformed announcements on the election channel, and a stale one, change nothing: no tab reports
      // seeing their sender, and the leader keeps leading (the channel is open to every tab of the device).
      ctx.at(ROGUE_MS, () => {
        const l = leader();
        const poster = TABS.find((x) => x !== l?.[0] && tabs.get(x)?.election.role() !== 'closed');
        if (l === undefined || poster === undefined) return;
        const bus = tabs.get(poster)!.deps.bus;
        const stale = l[1].election.epoch() - 1;
        for (const m of [
          { type: 'leader', holder: 'R1', epoch: String(stale + 5) },
          { type: 'leader', holder: 7, epoch: stale + 5 },
          { type: 'bogus', holder: 'R2', epoch: stale + 5 },
          { type: 'heartbeat', holder: 'R3' },
          { type: 'leader', holder: 'R4', epoch: stale },
          { type: 'heartbeat', holder: 'R4', epoch: stale },
        ]) bus.post(ELECTION_CHANNEL, m);
        ctx.at(ROGUE_MS + 100, () => {
          test('malformed and stale announcements change nothing');
          for (const r of records) {
            if (r.t < ROGUE_MS * 1000) continue;
            if (r.kind === 'election.stepdown') problem(`${r.node} stepped down (${String(r.data.reason)}) after malformed or stale announcements`);
            if (r.kind === 'election.seen' && ['R1', 'R2', 'R3', 7].includes(r.data.holder as string)) problem(`${r.node} reported seeing ${String(r.data.holder)} from a malformed announcement`);
          }
          if (l[1].election.role() !== 'leader') problem(`${l[0]}: no longer leads after malformed or stale announcements (role ${l[1].election.role()})`);
        });
      });

      // The tab handle: a write acknowledged by the leader is read back at every tab (reads need no leader);
      // takeOver() where the election has none (lease mode) is a no-op, not an error.
      ctx.at(READ_BACK_MS, () => {
        const l = leader();
        const value = l === undefined ? null : writeAt(ctx, l[0]);
        if (value === null) return;
        // writeAt writes value w<n> under key k<n % 8>; the steady writes stopped before, so nothing overwrites it.
        const key = `k${Number(value.slice(1)) % 8}`;
        const off = ctx.sim.trace.on('workload.result', (r) => {
          if (r.data.value !== value) return;
          off();
          if (r.data.ok !== true) return problem(`the read-back write ${value} failed (${String(r.data.code)})`);
          for (const tab of TABS) {
            void ctx.handle<ElectionTabHandle>(tab)?.read(key).then((v) => {
              test('an acknowledged write reads back at every tab');
              if (v !== value) problem(`${tab}: read('${key}') gave ${JSON.stringify(v)} after write ${value} was acknowledged`);
            });
          }
        });
        if (mode === 'lease') {
          for (const tab of TABS) ctx.handle<ElectionTabHandle>(tab)?.takeOver();
          test('takeOver() without an election that supports it does nothing');
        }
      });

      // Listener delivery, judged at the end.
      ctx.at(DURATION_MS - 50, () => {
        for (const [id, t] of tabs) {
          if (t.events.length === 0) continue;
          test('listeners');
          // The recording listener heard every leadership change the tab reported, to the end.
          const reported = records
            .filter((r) => r.node === id && (r.kind === 'election.leader' || r.kind === 'election.stepdown'))
            .map((r) => (r.kind === 'election.leader' ? `leader ${String(r.data.epoch)}` : `follower ${String(r.data.reason)}`));
          const heard = t.events.filter((x) => x.e.type !== 'leader-seen').map(({ e }) => (e.type === 'leader' ? `leader ${e.epoch}` : `follower ${e.type === 'follower' ? e.reason : ''}`));
          if (JSON.stringify(heard) !== JSON.stringify(reported)) problem(`${id}: its listener heard [${heard.join(', ')}] but the tab reported [${reported.join(', ')}]`);
          if (t.once.length !== 1 || JSON.stringify(t.once[0]) !== JSON.stringify(t.events[0]!.e)) {
            problem(`${id}: the self-removing listener got ${JSON.stringify(t.once)}, not exactly the first event ${JSON.stringify(t.events[0]!.e)}`);
          }
          const expectedEarly = t.events.filter((x) => x.atMs < UNSUBSCRIBE_MS);
          if (JSON.stringify(t.early) !== JSON.stringify(expectedEarly)) {
            problem(`${id}: the listener unsubscribed at ${UNSUBSCRIBE_MS} ms got ${t.early.length} events, expected the ${expectedEarly.length} before it`);
          }
          // Every announcement of a new leader the bus handed to the tab became a 'leader-seen' event (what the
          // writer re-sends its pending writes on).
          const seen = new Set(t.events.filter((x) => x.e.type === 'leader-seen').map(({ e }) => (e.type === 'leader-seen' ? `${e.holder}@${e.epoch}` : '')));
          for (const a of t.announced) {
            test('an announced leader is seen');
            if (!seen.has(`${a.holder}@${a.epoch}`)) problem(`${id}: the bus handed it ${a.holder}'s announcement of epoch ${a.epoch}, but its listeners got no 'leader-seen' event for it`);
          }
          const expectedLate = t.events.filter((x) => x.atMs >= UNSUBSCRIBE_MS);
          if (JSON.stringify(t.late) !== JSON.stringify(expectedLate)) {
            problem(`${id}: the listener subscribed at ${UNSUBSCRIBE_MS} ms got ${t.late.length} events, expected the ${expectedLate.length} after it`);
          }
        }
      });
    },
    durationMs: DURATION_MS,
  });
  return runScenario(scenario, seed).then((r) => ({ observed, failure: r.failure === null ? null : `${r.failure.check}: ${r.failure.message}` }));
}

describe.each(['lease', 'lock'] as const)('the Election contract, %s mode', (mode) => {
  it.each([1, 2, 3])('seed %i', async (seed) => {
    const { observed, failure } = await run(mode, seed);
    expect(failure).toBeNull();
    expect(observed.problems).toEqual([]);
    const expected = [
      'before start()',
      'leader event agrees with the API',
      'follower event agrees with the API',
      'a stale fenced() is ignored',
      'fenced() for its own epoch deposes the leader',
      'close() twice: one step-down, closed for good',
      'listeners',
      'an acknowledged write reads back at every tab',
      'a tab is a follower again only once its writes drained',
      'a writing leader has writes in flight',
      'close() resolves once the step-down finished',
      'malformed and stale announcements change nothing',
      'an announced leader is seen',
      ...(mode === 'lease' ? ['takeOver() without an election that supports it does nothing'] : []),
      ...(mode === 'lock' ? ['takeOver() by the leader does nothing', 'takeOver() by a follower makes it leader at once', 'a tab that lost its grant before leading queues again'] : []),
    ];
    for (const name of expected) expect(observed.tested.get(name) ?? 0, name).toBeGreaterThan(0);
  });
});
