/**
 * Several tabs of one device (docs/client-server.md, "Several tabs"): the device is judged as one sync
 * client, and three promises of the tabs are checked on evidence.
 *
 * The device as one client (`deviceChecks`, `deviceModel`): the existing invariants and the sync-status
 * model are keyed by client = node = device. A device's client is the one its leader tab runs; `TabsView`
 * rewrites the trace the way those checks would see a single client on that device: the records of the
 * tab whose client last started (`cs.client.start`) — its `cs.*`, `net.*`, `node.pause/resume/crash/stop`
 * and the wire facts delivered to it (`fact.cs.* {client}`) — are shown as the device's; a new client
 * starting in another tab first ends the earlier one (a `node.stop` of the device: its client stopped, as
 * after a crash), as does the holder's own `cs.tab.stop` (its client was revoked) or its crash. Records
 * of the other tabs' clients are not shown to those checks (a deposed client acting is what
 * invariant:tabs-agree and invariant:tabs-one-connection catch). The device's durable database
 * (fact.cs.client {device}) is the device's kv image already: unchanged.
 *
 * The promises (checks on the raw trace):
 * - invariant:tabs-agree: every running tab shows (cs.tab.status) what the device's client shows (its last
 *   cs.status as the model judges it: status, pending, unsaved, reason), or `disconnected` while no client
 *   runs, within `boundMs`. While the client's tab is frozen its last status may still be shown, or
 *   `disconnected`. A frozen tab, and a tab for RESUME_GRACE after it resumed, is not judged. A tab whose
 *   BroadcastChannel tasks run late (the injector's `fault.taskDelay` on it, source `bus` or all, until
 *   its delay after the fault's `fault.end`: late tasks stay in order) may also show what the device
 *   showed at any moment of the last `delayMs` (it hears the leader's statuses that late).
 * - invariant:tabs-one-connection: at most one tab of a device uses a sync connection (net.established to
 *   the server, from the simulator's connection log): once a tab's connection is established, no other tab
 *   of the device sends on its own (net.send), and each such other connection is closed (net.close) within
 *   RESUME_GRACE of the later of the takeover and its tab's resume (a frozen tab cannot close it).
 * - invariant:tabs-fenced: a tab commits to the device's sync database (kv.commit, the simulator's commit
 *   log) only while it is the tab that committed the device's latest fence (a new leader's fence commit).
 * - invariant:tab-writes: every write a tab told the workload it made (workload.result ok, the workload's
 *   own record, unique values) is in the server's durable log (fact.cs.server) exactly once at the end of
 *   the run, and no tab write is ever in it twice.
 */
import type { TraceCheck, TraceContext, TraceSource } from '../check.ts';
import type { ModelSpec, ModelTarget, MonitorWorld } from '../monitor.ts';
import type { Check } from '../../scenario/types.ts';
import type { TraceListener, TraceRecord } from '../../sim/trace.ts';
import { RESUME_GRACE_US } from './cs-truth.ts';

/** Device -> its tabs (node ids). */
export type TabsOf = Readonly<Record<string, readonly string[]>>;

/** Default bound of invariant:tabs-agree, virtual ms. */
export const TABS_AGREE_MS = 600;

const WIRE_FACTS = new Set(['fact.cs.hello', 'fact.cs.push', 'fact.cs.welcome', 'fact.cs.changes', 'fact.cs.ack', 'fact.cs.meta']);
const HOLDER_KINDS = new Set(['node.pause', 'node.resume']);

/** The device view of a trace (see the file comment). One per consumer and run: it keeps state. */
export class TabsView {
  private readonly deviceOfTab = new Map<string, string>();
  /** Device -> the tab whose client is the device's (null: none running). */
  readonly holder = new Map<string, string | null>();

  constructor(tabs: TabsOf) {
    for (const [device, list] of Object.entries(tabs)) {
      this.holder.set(device, null);
      for (const t of list) this.deviceOfTab.set(t, device);
    }
  }

  /** The device of `tab` (undefined: not a tab). */
  deviceOf(tab: string): string | undefined {
    return this.deviceOfTab.get(tab);
  }

  /** The records the device view shows for `r` (none, `r` itself, or rewritten ones). */
  map(r: TraceRecord): readonly TraceRecord[] {
    if (WIRE_FACTS.has(r.kind)) {
      const d = this.deviceOfTab.get(r.data.client as string);
      if (d === undefined) return [r];
      return this.holder.get(d) === r.data.client ? [{ ...r, data: { ...r.data, client: d } }] : [];
    }
    const d = this.deviceOfTab.get(r.node);
    if (d === undefined) return [r];
    const mine = this.holder.get(d) === r.node;
    const as = (kind: string, data: Record<string, unknown>): TraceRecord => ({ ...r, node: d, kind, data });
    switch (r.kind) {
      case 'cs.client.start': {
        const out = mine || this.holder.get(d) === null ? [] : [as('node.stop', { incarnation: 0, powerLoss: false })];
        this.holder.set(d, r.node);
        return [...out, as(r.kind, r.data)];
      }
      case 'cs.tab.stop':
        if (!mine) return [];
        this.holder.set(d, null);
        return [as('node.stop', { incarnation: 0, powerLoss: false })];
      case 'node.crash':
      case 'node.stop':
        if (!mine) return [];
        this.holder.set(d, null);
        return [as(r.kind, r.data)];
      default:
        if (r.kind.startsWith('cs.tab.')) return [];
        if (r.kind.startsWith('cs.') || r.kind.startsWith('net.') || HOLDER_KINDS.has(r.kind)) return mine ? [as(r.kind, r.data)] : [];
        return [r];
    }
  }
}

/** The trace as the device view shows it, to the checks of one run (shared by them: one view, one order). */
class ViewSource implements TraceSource {
  private readonly listeners = new Map<string, TraceListener[]>();
  private readonly any: TraceListener[] = [];

  constructor(
    private readonly source: TraceSource,
    tabs: TabsOf,
  ) {
    const view = new TabsView(tabs);
    source.on('*', (r) => {
      for (const a of view.map(r)) {
        for (const l of this.listeners.get(a.kind) ?? []) l(a);
        for (const l of this.any) l(a);
      }
    });
  }

  on(kind: string, listener: TraceListener): () => void {
    // The source knows the kind is read (the monitor fails a run on a kind of its area nothing reads).
    if (kind !== '*' && !this.source.hasListener(kind)) this.source.on(kind, () => {});
    const list = kind === '*' ? this.any : (this.listeners.get(kind) ?? []);
    list.push(listener);
    if (kind !== '*') this.listeners.set(kind, list);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  hasListener(kind: string): boolean {
    return (this.listeners.get(kind)?.length ?? 0) > 0;
  }
}

const VIEW_CTX = 'cs.tabs.view-ctx';

/** `ctx` with its trace replaced by the device view (one per run, made on first use). */
function viewed<T extends TraceContext>(ctx: T, tabs: TabsOf): T {
  let v = ctx.runState.get(VIEW_CTX) as T | undefined;
  if (v === undefined) {
    v = Object.create(ctx, { trace: { value: new ViewSource(ctx.trace, tabs) } }) as T;
    ctx.runState.set(VIEW_CTX, v);
  }
  return v;
}

/** `checks` judging each tabbed device of `tabs` as one client (its leader tab's). */
export function deviceChecks(checks: readonly Check[], tabs: TabsOf): Check[] {
  return checks.map((c) => ({
    ...c,
    ...(c.setup === undefined ? {} : { setup: (ctx: Parameters<NonNullable<Check['setup']>>[0]) => c.setup!(viewed(ctx, tabs)) }),
    ...(c.final === undefined ? {} : { final: (ctx: Parameters<NonNullable<Check['final']>>[0]) => c.final!(viewed(ctx, tabs)) }),
  }));
}

/** Kinds of the tabs the sync-status model knowingly does not read. */
const TAB_IGNORES: Readonly<Record<string, string>> = {
  'cs.tab.status': "what a tab shows: judged by invariant:tabs-agree against the device's client's cs.status",
};

/** `spec` (the sync-status model) with each tabbed device of `tabs` as one instance (its leader tab's client). */
export function deviceModel(spec: ModelSpec, tabs: TabsOf): ModelSpec {
  const views = new WeakMap<MonitorWorld, TabsView>();
  return {
    ...spec,
    kinds: [...new Set([...spec.kinds, 'cs.tab.stop'])],
    ignores: { ...spec.ignores, ...TAB_IGNORES },
    map(rec, world) {
      let v = views.get(world);
      if (v === undefined) views.set(world, (v = new TabsView(tabs)));
      const out: ModelTarget[] = [];
      for (const a of v.map(rec)) {
        if (!spec.kinds.includes(a.kind)) continue;
        const m = spec.map(a, world);
        if (m === null) continue;
        if (Array.isArray(m)) out.push(...(m as readonly ModelTarget[]));
        else out.push(m as ModelTarget);
      }
      return out;
    },
  };
}

/** What a tab shows or a client shows: the fields compared. */
interface Shown {
  status: string;
  pending: number;
  unsaved: number;
  reason: string | null;
}

const shownOf = (d: Record<string, unknown>): Shown => ({ status: d.status as string, pending: d.pending as number, unsaved: d.unsaved as number, reason: d.reason as string | null });
const same = (a: Shown, b: Shown): boolean => a.status === b.status && a.pending === b.pending && a.unsaved === b.unsaved && a.reason === b.reason;
const say = (s: Shown | null): string => (s === null ? 'nothing' : `${s.status}${s.pending > 0 ? ` (${s.pending} pending)` : ''}${s.reason === null ? '' : `: ${s.reason}`}`);

/** A tab's process as the simulator recorded it. */
interface TabProc {
  up: boolean;
  paused: boolean;
  /** Not judged before this (started, resumed: µs). */
  judgedFromUs: number;
}

/** What a tabs check keeps: its own device view and the tabs' processes (`changed` runs after each change). */
interface TabsScope {
  view: TabsView;
  procs: Map<string, TabProc>;
  changed: () => void;
}

/** Tracks node.start/crash/stop/pause/resume of the tabs into `s.procs`. */
function trackTabs(ctx: TraceContext, s: TabsScope): void {
  for (const k of ['node.start', 'node.crash', 'node.stop', 'node.pause', 'node.resume'] as const) {
    ctx.trace.on(k, (r) => {
      if (s.view.deviceOf(r.node) === undefined) return;
      let p = s.procs.get(r.node);
      if (p === undefined) s.procs.set(r.node, (p = { up: false, paused: false, judgedFromUs: 0 }));
      if (k === 'node.start') Object.assign(p, { up: true, paused: false, judgedFromUs: r.t });
      else if (k === 'node.crash' || k === 'node.stop') Object.assign(p, { up: false, paused: false });
      else if (k === 'node.pause') p.paused = true;
      else Object.assign(p, { paused: false, judgedFromUs: r.t + RESUME_GRACE_US });
      s.changed();
    });
  }
}

/** A trace check `name` over the tabs of `tabs`: `setup` gets the check's scope, the tabs tracked first. */
function tabsCheck(name: string, tabs: TabsOf, setup: (ctx: TraceContext, s: TabsScope) => void, final?: (ctx: TraceContext) => void): TraceCheck {
  return {
    name,
    onTrace: true,
    covers: [name],
    setup(ctx) {
      const s: TabsScope = { view: new TabsView(tabs), procs: new Map(), changed: () => {} };
      trackTabs(ctx, s);
      setup(ctx, s);
    },
    ...(final === undefined ? {} : { final }),
  };
}

/** What a device's client showed from `fromUs` on (`none`: no client ran it). */
interface Past {
  fromUs: number;
  none: boolean;
  shown: Shown | null;
  frozen: boolean;
}

/**
 * Tabs whose BroadcastChannel tasks run late, from the injector's records: `fault.taskDelay {event, node,
 * source?, delayMs}` (source 'bus' or none) until its `fault.end`, and for its delay after that (the late
 * tasks still queued run in order). Overlapping faults: the largest delay (as the simulator applies them).
 */
class LateTabs {
  /** Fault event -> its tab and delay (µs), while it lasts. */
  private readonly active = new Map<number, { tab: string; us: number }>();
  /** Tab -> the delay its queued tasks may still have after a fault ended, and until when (µs). */
  private readonly tails = new Map<string, { us: number; untilUs: number }>();

  /** Reads a fault record; true when the tab delays changed. */
  onRecord(r: TraceRecord, view: TabsView): boolean {
    if (r.kind === 'fault.taskDelay') {
      const tab = r.data.node as string;
      if (view.deviceOf(tab) === undefined || (r.data.source !== undefined && r.data.source !== 'bus')) return false;
      this.active.set(r.data.event as number, { tab, us: (r.data.delayMs as number) * 1000 });
      return true;
    }
    if (r.kind !== 'fault.end') return false;
    const f = this.active.get(r.data.event as number);
    if (f === undefined) return false;
    this.active.delete(r.data.event as number);
    const tail = this.tails.get(f.tab);
    const us = tail !== undefined && tail.untilUs >= r.t ? Math.max(tail.us, f.us) : f.us;
    this.tails.set(f.tab, { us, untilUs: r.t + us });
    return true;
  }

  /** The delay of `tab`'s bus tasks at `nowUs` (0: on time). */
  delayUs(tab: string, nowUs: number): number {
    let us = 0;
    for (const f of this.active.values()) if (f.tab === tab && f.us > us) us = f.us;
    const tail = this.tails.get(tab);
    if (tail !== undefined && tail.untilUs >= nowUs && tail.us > us) us = tail.us;
    return us;
  }

  /** The largest delay in effect or still draining. */
  maxDelayUs(): number {
    let us = 0;
    for (const f of this.active.values()) us = Math.max(us, f.us);
    for (const t of this.tails.values()) us = Math.max(us, t.us);
    return us;
  }

  /** True while some tab is late (a fault lasts, or a tail has not run out at `nowUs`). */
  any(nowUs: number): boolean {
    if (this.active.size > 0) return true;
    for (const [tab, t] of this.tails) if (t.untilUs < nowUs) this.tails.delete(tab);
    return this.tails.size > 0;
  }
}

/**
 * invariant:tabs-agree: every running tab shows the device client's status within `boundMs` (see the
 * file comment).
 */
export function tabsAgreeCheck(tabs: TabsOf, boundMs = TABS_AGREE_MS): TraceCheck {
  const name = 'invariant:tabs-agree';
  return tabsCheck(name, tabs, (ctx, scope) => {
    const { view, procs } = scope;
    /** Device -> its client's last status (null: none yet or none running), and whether its tab is frozen. */
    const client = new Map<string, { shown: Shown | null; frozen: boolean }>();
    const tabShown = new Map<string, Shown>();
    /** Tab -> since when (µs) it has shown something else than expected. */
    const since = new Map<string, number>();
    let dirty = true;
    for (const d of Object.keys(tabs)) client.set(d, { shown: null, frozen: false });
    scope.changed = () => (dirty = true);
    const expected = (device: string): string => {
      const c = client.get(device)!;
      if (view.holder.get(device) === null || c.shown === null) return 'disconnected (no client runs the device)';
      return c.frozen ? `${say(c.shown)} or disconnected (the client's tab is frozen)` : say(c.shown);
    };
    /** Whether `s` fits what the device's client shows when it is in state `c` (`none`: no client runs). */
    const fitsState = (none: boolean, c: { shown: Shown | null; frozen: boolean }, s: Shown): boolean => {
      if (none || c.shown === null) return s.status === 'disconnected';
      if (c.frozen) return s.status === 'disconnected' || same(s, c.shown);
      return same(s, c.shown);
    };
    const late = new LateTabs();
    /** Device -> what its client showed since the first late tab (newest last), kept only while a tab is late. */
    const history = new Map<string, Past[]>();
    const fits = (device: string, tab: string, s: Shown | undefined, nowUs: number): boolean => {
      if (s === undefined) return false;
      if (fitsState(view.holder.get(device) === null, client.get(device)!, s)) return true;
      const lateUs = late.delayUs(tab, nowUs);
      if (lateUs === 0) return false;
      // What the device showed at any moment of the last lateUs: each past state until the one current then.
      const past = history.get(device) ?? [];
      for (let i = past.length - 1; i >= 0; i--) {
        const h = past[i]!;
        if (fitsState(h.none, h, s)) return true;
        if (h.fromUs <= nowUs - lateUs) break;
      }
      return false;
    };
    ctx.trace.on('*', (r) => {
      let moved = false;
      for (const a of view.map(r)) {
        const c = client.get(a.node);
        if (c === undefined) continue;
        if (a.kind === 'cs.status') c.shown = shownOf(a.data);
        else if (a.kind === 'cs.client.start' || a.kind === 'node.crash' || a.kind === 'node.stop') Object.assign(c, { shown: null, frozen: false });
        else if (a.kind === 'node.pause') c.frozen = true;
        else if (a.kind === 'node.resume') c.frozen = false;
        else continue;
        dirty = moved = true;
      }
      if (r.kind === 'cs.tab.status' && view.deviceOf(r.node) !== undefined) {
        tabShown.set(r.node, shownOf(r.data));
        dirty = true;
      }
      if (late.onRecord(r, view)) dirty = true;
      const lateNow = late.any(r.t);
      // A late tab's fit changes as time passes (a past state ages out): judge at every record.
      if (lateNow) dirty = true;
      if (moved) {
        for (const [device, c] of client) {
          const past = history.get(device) ?? [];
          past.push({ fromUs: r.t, none: view.holder.get(device) === null, shown: c.shown, frozen: c.frozen });
          // While a tab is late: what the latest delay can still reach (and the state before it). Otherwise
          // the last two states, so a late period starting now still knows the one shown just before (a
          // status posted just before the fault is delivered late).
          const horizon = lateNow ? r.t - late.maxDelayUs() : Infinity;
          let drop = 0;
          while (drop + 2 < past.length && past[drop + 1]!.fromUs <= horizon) drop++;
          history.set(device, drop > 0 ? past.slice(drop) : past);
        }
      }
      if (dirty) {
        dirty = false;
        let judged = false;
        for (const [device, list] of Object.entries(tabs)) {
          for (const t of list) {
            const p = procs.get(t);
            const held = p !== undefined && p.up && !p.paused;
            judged ||= held && r.t >= p.judgedFromUs;
            if (!held || fits(device, t, tabShown.get(t), r.t)) since.delete(t);
            // A late tab shows what it held before a freeze until its delay after the resume has passed too.
            else if (!since.has(t)) since.set(t, Math.max(r.t, p.judgedFromUs + late.delayUs(t, r.t)));
          }
        }
        if (judged) ctx.exercised(name);
      }
      for (const [t, from] of since) {
        if (r.t - from <= boundMs * 1000) continue;
        const device = view.deviceOf(t)!;
        ctx.fail('correctness', name, `tab ${t} of ${device} has shown ${say(tabShown.get(t) ?? null)} for ${((r.t - from) / 1000).toFixed(0)} ms (bound ${boundMs} ms) while the device's client shows ${expected(device)}`, { tab: t, device });
        return;
      }
    });
  });
}

/** invariant:tabs-one-connection: one tab of a device at a time uses a sync connection to `server`. */
export function tabsOneConnectionCheck(tabs: TabsOf, server: string): TraceCheck {
  const name = 'invariant:tabs-one-connection';
  return tabsCheck(name, tabs, (ctx, { view, procs }) => {
    /** Sync connection -> its tab; device -> the latest established one and since when (µs). */
    const conns = new Map<string, { tab: string; device: string }>();
    const latest = new Map<string, { tab: string; conn: string; sinceUs: number }>();
    ctx.trace.on('net.established', (r) => {
      const device = view.deviceOf(r.node);
      if (device === undefined || r.data.to !== server) return;
      conns.set(r.data.conn as string, { tab: r.node, device });
      latest.set(device, { tab: r.node, conn: r.data.conn as string, sinceUs: r.t });
    });
    ctx.trace.on('net.close', (r) => {
      if (conns.get(r.data.conn as string)?.tab === r.node) conns.delete(r.data.conn as string);
    });
    for (const k of ['node.crash', 'node.stop'] as const) {
      ctx.trace.on(k, (r) => {
        for (const [id, c] of conns) if (c.tab === r.node) conns.delete(id);
      });
    }
    ctx.trace.on('net.send', (r) => {
      const c = conns.get(r.data.conn as string);
      if (c === undefined || c.tab !== r.node) return;
      const l = latest.get(c.device)!;
      ctx.exercised(name);
      if (l.tab !== r.node) {
        ctx.fail('correctness', name, `tab ${r.node} of ${c.device} sent on its sync connection ${String(r.data.conn)} after tab ${l.tab} established ${l.conn} at ${(l.sinceUs / 1000).toFixed(0)} ms: two tabs' clients sync the same database`, { tab: r.node, device: c.device });
      }
    });
    ctx.trace.on('*', (r) => {
      for (const [id, c] of conns) {
        const l = latest.get(c.device)!;
        if (l.tab === c.tab) continue;
        const p = procs.get(c.tab);
        if (p === undefined || p.paused) continue;
        // A superseded connection is closed within the grace of the takeover or of its tab's resume.
        const deadline = Math.max(l.sinceUs + RESUME_GRACE_US, p.judgedFromUs);
        if (r.t <= deadline) continue;
        ctx.fail('correctness', name, `tab ${c.tab} of ${c.device} still holds its sync connection ${id} ${((r.t - l.sinceUs) / 1000).toFixed(0)} ms after tab ${l.tab} established ${l.conn} (it runs, so it must close it)`, { tab: c.tab, device: c.device });
        return;
      }
    });
  });
}

/** Value -> the tab that wrote it and whether it told the workload it succeeded; value -> entries in the durable log. */
interface TabWrites {
  writes: Map<string, { tab: string; ok: boolean }>;
  stored: Map<string, number>;
}

/** invariant:tab-writes: the writes the tabs made reach the server's durable log, each exactly once. */
export function tabWritesCheck(tabs: TabsOf): TraceCheck {
  const name = 'invariant:tab-writes';
  const all = new Set(Object.values(tabs).flat());
  return tabsCheck(
    name,
    tabs,
    (ctx) => {
      const w: TabWrites = { writes: new Map(), stored: new Map() };
      let lineage: unknown = null;
      ctx.trace.on('workload.write', (r) => {
        if (all.has(r.data.node as string)) w.writes.set(r.data.value as string, { tab: r.data.node as string, ok: false });
      });
      ctx.trace.on('workload.result', (r) => {
        const x = w.writes.get(r.data.value as string);
        if (x !== undefined && r.data.ok === true) x.ok = true;
      });
      // The current lineage's durable log (a rebuild starts an empty one).
      ctx.trace.on('fact.cs.server', (r) => {
        if (r.data.site !== lineage) w.stored.clear();
        lineage = r.data.site;
        for (const a of r.data.added as unknown[][]) {
          const value = a[6] as string | null;
          if (value === null || !w.writes.has(value)) continue;
          const n = (w.stored.get(value) ?? 0) + 1;
          w.stored.set(value, n);
          if (n > 1) ctx.fail('correctness', name, `write ${value} made in tab ${w.writes.get(value)!.tab} is in the server's durable log ${n} times`, { value });
        }
      });
      ctx.runState.set(name, w);
    },
    (ctx) => {
      const { writes, stored } = ctx.runState.get(name) as TabWrites;
      const made = [...writes].filter(([, x]) => x.ok);
      const lost = made.filter(([v]) => stored.get(v) !== 1);
      ctx.exercised(name, made.length);
      if (lost.length > 0) {
        const [v, x] = lost[0]!;
        ctx.fail('correctness', name, `${lost.length} write(s) the tabs reported made are not in the server's durable log at the end, e.g. ${v} (tab ${x.tab})`, { value: v });
      }
    },
  );
}

/**
 * How long after a tab's disruption ends (resumed, restarted) a write may still fail for it: the tab
 * rejoins the election and a leader it deposed finds out within one lease (about 0.9 s here).
 */
export const TAB_SETTLE_US = 1_000_000;

const ms = (us: number): string => (us / 1000).toFixed(0);

/**
 * The longest stretch of [fromUs, toUs] outside every spell, each spell counted until TAB_SETTLE_US after
 * its end: its start and length, µs.
 */
function longestCalm(spells: readonly [number, number][], fromUs: number, toUs: number): { fromUs: number; us: number } {
  const busy = spells
    .map(([a, b]): [number, number] => [a, b + TAB_SETTLE_US])
    .filter(([a, b]) => a <= toUs && b >= fromUs)
    .sort((x, y) => x[0] - y[0]);
  let best = { fromUs, us: 0 };
  let at = fromUs;
  for (const [a, b] of busy) {
    if (a - at > best.us) best = { fromUs: at, us: a - at };
    at = Math.max(at, b);
  }
  if (toUs - at > best.us) best = { fromUs: at, us: toUs - at };
  return best;
}

/** One tab write waiting for its result: its tab and when it was made (µs). */
interface Waiting {
  tab: string;
  atUs: number;
}

/**
 * invariant:tab-writes-taken: a write made in a tab fails only when the device's tabs were disturbed while
 * it waited. From the workload's own records (workload.write, workload.result ok false: unique values) and
 * the simulator's and the injector's: the disturbances are the spells in which some tab of its device was
 * frozen (node.pause to node.resume), down (node.crash or node.stop to node.start), closed by the user
 * (workload.handover) or ran its tasks late (fault.taskDelay to its fault.end and its delay), each counted until TAB_SETTLE_US after it ended (the tabs settle on a
 * leader within a lease). A failed write fails the check when, while it waited, there was a stretch of at
 * least TAB_SETTLE_US outside all of these: every tab running on time, a leader among them that takes a
 * forwarded write within a bus delivery. Such a failure is a write the user could not make for no reason
 * the device saw (a leader that never takes forwarded writes, a request never resent to a new leader, one
 * addressed to an epoch no leader holds).
 */
export function tabWritesTakenCheck(tabs: TabsOf): TraceCheck {
  const name = 'invariant:tab-writes-taken';
  return tabsCheck(name, tabs, (ctx, { view }) => {
    const waiting = new Map<string, Waiting>();
    /** Device -> its disruptions: [fromUs, untilUs] (untilUs Infinity while open). */
    const spells = new Map<string, [number, number][]>();
    /** Tab -> its open spell (frozen or down). */
    const open = new Map<string, [number, number]>();
    /** Fault event -> its open task-delay spell and the delay (µs). */
    const delays = new Map<number, { spell: [number, number]; us: number }>();
    const spellsOf = (device: string): [number, number][] => {
      let l = spells.get(device);
      if (l === undefined) spells.set(device, (l = []));
      return l;
    };
    const begin = (tab: string, atUs: number): void => {
      const device = view.deviceOf(tab);
      if (device === undefined || open.has(tab)) return;
      const spell: [number, number] = [atUs, Infinity];
      open.set(tab, spell);
      spellsOf(device).push(spell);
    };
    const end = (tab: string, atUs: number): void => {
      const spell = open.get(tab);
      if (spell === undefined) return;
      spell[1] = atUs;
      open.delete(tab);
    };
    ctx.trace.on('node.pause', (r) => begin(r.node, r.t));
    ctx.trace.on('node.crash', (r) => begin(r.node, r.t));
    ctx.trace.on('node.stop', (r) => begin(r.node, r.t));
    ctx.trace.on('node.resume', (r) => end(r.node, r.t));
    ctx.trace.on('node.start', (r) => end(r.node, r.t));
    ctx.trace.on('workload.handover', (r) => {
      const device = view.deviceOf(r.data.node as string);
      if (device !== undefined) spellsOf(device).push([r.t, r.t]);
    });
    ctx.trace.on('fault.taskDelay', (r) => {
      const device = view.deviceOf(r.data.node as string);
      if (device === undefined) return;
      const spell: [number, number] = [r.t, Infinity];
      spellsOf(device).push(spell);
      delays.set(r.data.event as number, { spell, us: (r.data.delayMs as number) * 1000 });
    });
    ctx.trace.on('fault.end', (r) => {
      const d = delays.get(r.data.event as number);
      if (d === undefined) return;
      d.spell[1] = r.t + d.us;
      delays.delete(r.data.event as number);
    });
    ctx.trace.on('workload.write', (r) => {
      const tab = r.data.node as string;
      if (view.deviceOf(tab) !== undefined) waiting.set(r.data.value as string, { tab, atUs: r.t });
    });
    ctx.trace.on('workload.result', (r) => {
      const value = r.data.value as string;
      const w = waiting.get(value);
      if (w === undefined) return;
      waiting.delete(value);
      ctx.exercised(name);
      if (r.data.ok === true) return;
      // "May be saved" (workload.result saved 'maybe': a leader took it and never answered) is the honest
      // failure when the tabs were disturbed after the write was made (the leader froze or crashed right
      // after it wrote it: cs-tabs-commit-unanswered); the next leader pushes it and cannot answer it.
      if (r.data.saved === 'maybe' && spellsOf(view.deviceOf(w.tab)!).some(([a]) => a >= w.atUs && a <= r.t)) return;
      const calm = longestCalm(spellsOf(view.deviceOf(w.tab)!), w.atUs, r.t);
      if (calm.us >= TAB_SETTLE_US) {
        ctx.fail(
          'correctness',
          name,
          `write ${value} made in tab ${w.tab} at ${ms(w.atUs)} ms failed at ${ms(r.t)} ms (${String(r.data.code ?? '')}), though every tab of its device ran on time from ${ms(calm.fromUs)} ms to ${ms(calm.fromUs + calm.us)} ms while it waited`,
          { value },
        );
      }
    });
  });
}

/** The kv stores of the client's database (client-store.ts) and the tabs' fence store (tabs.ts). */
const CLIENT_STORES = ['cells', 'local', 'meta', 'unsaved'];
const FENCE_STORE = 'cs-tabs';

/**
 * invariant:tabs-fenced: a deposed tab's client never writes the device's database. From the simulator's
 * commit log (kv.commit {stores}, node = the committing tab): a tab that commits to the client's stores
 * must be the tab that committed the device's latest fence (a transaction over the fence store alone:
 * the election's fence of a new leader); a commit before any fence fails too (every leader fences before
 * its client starts).
 */
export function tabsFencedCheck(tabs: TabsOf): TraceCheck {
  const name = 'invariant:tabs-fenced';
  return tabsCheck(name, tabs, (ctx, { view }) => {
    /** Device -> the tab that committed its latest fence, and when (µs). */
    const fencer = new Map<string, { tab: string; atUs: number }>();
    ctx.trace.on('kv.commit', (r) => {
      const device = view.deviceOf(r.node);
      const stores = r.data.stores as readonly string[];
      if (device === undefined || !Array.isArray(stores)) return;
      if (stores.length === 1 && stores[0] === FENCE_STORE) return void fencer.set(device, { tab: r.node, atUs: r.t });
      if (!stores.some((s) => CLIENT_STORES.includes(s))) return;
      const f = fencer.get(device);
      ctx.exercised(name);
      // Every leader fences before its client starts: a client commit with no fence before it is a tab
      // that leads (or believes it does) without having fenced.
      if (f === undefined) return ctx.fail('correctness', name, `tab ${r.node} committed to ${device}'s sync database (stores ${stores.join(', ')}) before any tab fenced it: a leader's client writes without a fence`, { tab: r.node, device });
      if (f.tab !== r.node) ctx.fail('correctness', name, `tab ${r.node} committed to ${device}'s sync database (stores ${stores.join(', ')}) after tab ${f.tab} fenced it at ${(f.atUs / 1000).toFixed(0)} ms: a deposed tab's client wrote`, { tab: r.node, device });
    });
  });
}

/** The tabs' checks for a scenario. */
export function tabsChecks(tabs: TabsOf, server: string, boundMs = TABS_AGREE_MS): TraceCheck[] {
  return [tabsAgreeCheck(tabs, boundMs), tabsOneConnectionCheck(tabs, server), tabsFencedCheck(tabs), tabWritesCheck(tabs), tabWritesTakenCheck(tabs)];
}
