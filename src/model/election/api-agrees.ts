/**
 * invariant:api-agrees: what a tab's client API (`role()`, `epoch()`, `pendingWrites()`) says agrees with
 * what it reported and with the workload's own record (described at `apiAgrees` below).
 *
 * A live check: it reads each running tab's handle (`TabApi`, structurally: src/model does not import
 * src/impl), and the workload's ledger of the writes it issued and has no result for (`PendingWrite`: the
 * scenario passes its accessor, scenarios/election/_common.ts). The workload calls the judge the check
 * installs (`apiJudge`) right before each write it issues.
 */
import type { Check, ScenarioContext } from '../../scenario/types.ts';

/** The part of an election tab's handle the check reads (src/impl/election/types.ts, ElectionTabHandle). */
export interface TabApi {
  role(): string;
  epoch(): number;
  pendingWrites(): number;
}

/** A write the workload issued at a tab's process and has not seen settle. */
export interface PendingWrite {
  node: string;
  incarnation: number;
}

/** How often invariant:api-agrees reads every tab's handle, virtual ms. */
const API_POLL_MS = 100;

/** ctx.shared key of invariant:api-agrees' judge of one tab, which the workload calls before each write. */
const API_JUDGE = 'election.api-judge';

/** The role a tab's latest `election.<kind>` report implies. */
const ROLE_AFTER: Readonly<Record<string, readonly string[]>> = {
  campaign: ['candidate'],
  acquired: ['candidate'],
  leader: ['leader'],
  renewed: ['leader'],
  stepdown: ['stepping-down'],
  follower: ['follower'],
  lost: ['follower'],
};

/** The roles a tab's `role()` may return: src/impl/election/types.ts, Role (test/election/api-agrees.test.ts keeps both the same). */
export const TAB_ROLES = ['follower', 'candidate', 'leader', 'stepping-down', 'closed'] as const;
const ROLES: ReadonlySet<string> = new Set<string>(TAB_ROLES);

/** What invariant:api-agrees knows of a tab's current process from its reports and the workload. */
interface TabView {
  incarnation: number;
  /** Kind of its latest election report without the 'election.' prefix, null before any. */
  last: string | null;
  /** Epoch of its latest election.leader. */
  epoch: number;
  /** The workload told it to close. */
  closing: boolean;
}

/** What is wrong with a tab's API answers given its `view`, or null. */
function apiProblem(v: TabView, role: string, epoch: number, pendingWrites: number, pendingHere: number): string | null {
  const normal = v.last === null ? ['follower', 'candidate'] : ROLE_AFTER[v.last]!;
  // Closing: 'closed' is right once the tab no longer leads (a leader reports its step-down first).
  const expected = v.closing && v.last !== 'leader' && v.last !== 'renewed' && v.last !== 'stepdown' ? [...normal, 'closed'] : normal;
  if (!ROLES.has(role)) return `role() is '${role}', not a documented role`;
  if (!expected.includes(role)) return `role() is '${role}' but its latest report was election.${v.last ?? '(none)'}${v.closing ? ' (closing)' : ''}, which means ${expected.join(' or ')}`;
  if (epoch !== (role === 'leader' ? v.epoch : 0)) return `epoch() is ${epoch} while role() is '${role}' (its latest leader report named epoch ${v.epoch})`;
  if (pendingWrites !== pendingHere) return `pendingWrites() is ${pendingWrites} but the workload has ${pendingHere} writes at this process without a result`;
  return null;
}

/**
 * invariant:api-agrees: what a tab's client API says agrees with what it reported and with the workload's
 * own record. Before every write the workload issues at a tab (`apiJudge`), and every API_POLL_MS (100 ms),
 * the check reads each running tab's `role()`, `epoch()` and `pendingWrites()`:
 * - the role is one of the documented roles, and the one its latest `election.*` report implies (campaign
 *   or acquired: candidate; leader or renewed: leader; stepdown: stepping-down; follower or lost: follower;
 *   before any report, follower or candidate); once the workload closed it, also 'closed', but never
 *   straight from leading: a closing leader reports its step-down first (it drains and releases);
 * - `epoch()` is the epoch of its latest leader report while it leads, and 0 otherwise;
 * - `pendingWrites()` is the number of writes the workload issued at this process and has no result for.
 * A tab whose API drifts from its reports misleads its users (a UI that shows 'leader' while the tab no
 * longer writes) and hides bookkeeping bugs the reports alone do not show.
 */
export function apiAgrees(tabs: readonly string[], pendingOf: (ctx: ScenarioContext) => Iterable<PendingWrite>): Check {
  return {
    name: 'invariant:api-agrees',
    covers: ['invariant:api-agrees'],
    setup(ctx) {
      const views = new Map<string, TabView>();
      ctx.trace.on('node.start', (rec) => views.set(rec.node, { incarnation: rec.data.incarnation as number, last: null, epoch: 0, closing: false }));
      for (const kind of ['election.campaign', 'election.acquired', 'election.leader', 'election.renewed', 'election.stepdown', 'election.follower', 'election.lost']) {
        ctx.trace.on(kind, (rec) => {
          const v = views.get(rec.node);
          if (v === undefined) return;
          v.last = kind.slice('election.'.length);
          if (kind === 'election.leader') v.epoch = rec.data.epoch as number;
        });
      }
      ctx.trace.on('workload.handover', (rec) => {
        const v = views.get(rec.data.node as string);
        if (v !== undefined && rec.data.how === 'close') v.closing = true;
      });
      // The workload stops a tab once its close() resolved: a leader must have stepped down by then.
      ctx.trace.on('node.stop', (rec) => {
        const v = views.get(rec.node);
        if (v === undefined || !v.closing) return;
        ctx.exercised(this.name);
        if (v.last === 'leader' || v.last === 'renewed') ctx.fail('correctness', this.name, `${rec.node}: close() resolved while it still led epoch ${v.epoch} (no election.stepdown): a closing leader steps down, drains and releases first`, { traceIndex: rec.i });
      });
      /** Judges `tab`'s API now (the caller runs at an event boundary: every microtask has settled). */
      const judge = (tab: string): void => {
        const h = ctx.handle<TabApi>(tab);
        const v = views.get(tab);
        if (h === null || v === undefined || ctx.sim.node(tab).incarnation !== v.incarnation) return;
        let pendingHere = 0;
        for (const p of pendingOf(ctx)) if (p.node === tab && p.incarnation === v.incarnation) pendingHere++;
        ctx.exercised(this.name);
        const problem = apiProblem(v, h.role(), h.epoch(), h.pendingWrites(), pendingHere);
        if (problem !== null) ctx.fail('correctness', this.name, `${tab}: ${problem}`);
      };
      // Judged whenever the workload is about to write at a tab (no extra events: it runs at the workload's
      // own pace), and every API_POLL_MS for every tab, for the stretches without writes.
      ctx.shared.set(API_JUDGE, judge);
      const poll = (): void => {
        for (const tab of tabs) judge(tab);
        ctx.at(ctx.nowMs() + API_POLL_MS, poll);
      };
      ctx.at(0, poll);
    },
  };
}

/** The judge of one tab the check installed for this run (undefined without the check): the workload calls it before each write. */
export function apiJudge(ctx: ScenarioContext): ((tab: string) => void) | undefined {
  return ctx.shared.get(API_JUDGE) as ((tab: string) => void) | undefined;
}
