/**
 * Targets resolved when a fault fires: node selectors.
 *
 * A plan's node field may name a node (`"B"`) or describe one (`{ "leader": "election" }`): "whoever leads
 * now", "whoever holds lock L", "whoever is backfilling resource R". A selector is resolved by the injector
 * at the moment its event fires (a timed event at its time, a triggered one at its operation), against
 * evidence the simulator owns: its own lock table, the durable kv image (the store's fencing epoch as
 * fact.store records it, and the kv.commit that moved it), what its tab bus carried, what its network
 * delivered (as the peer wire facts record it). The implementation's reports about itself are never read.
 *
 * Selectors live in one registry (`SELECTORS`): each kind has the key that names it, the fields it takes,
 * and how it is tracked and resolved in a simulation. Adding one means adding its entry here (and its line
 * in docs/faults.md, "Targets resolved when the fault fires").
 *
 * When several nodes match, the first in the simulation's node order is taken (deterministic) and the
 * others are named in the evidence; when none does, the event is skipped and traced as `fault.miss`.
 */
import type { SimNode } from '../sim/node.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';

/** The tab holding the simulated Web Lock `name` now (on `device`, or on any device). */
export interface LockHolderSelector {
  holder: 'lock';
  name: string;
  device?: string;
}

/**
 * The election's leader. `by: 'fence'` (default): the tab whose strict kv commit raised the durable fencing
 * epoch of a block store on its device to its current value (fact.store, from the durable kv image: every
 * election behind the seam fences before it leads), while that process lives. `by: 'bus'`: the tab whose
 * announcement (`{type: 'leader' | 'heartbeat', holder, epoch}` on channel 'election') carries the highest
 * epoch posted on its device, until it resigns (`{type: 'resign'}`) or its process ends.
 */
export interface ElectionLeaderSelector {
  leader: 'election';
  by?: 'fence' | 'bus';
  device?: string;
}

/**
 * A peer sync node backfilling `resource` ('*': any) now, or the peer serving that backfill, as the
 * network's deliveries say (fact.peer.request / fact.peer.response): a full-scan request for the resource
 * was delivered and the final answer (hasMore false) was not, and neither side's process ended since.
 * `of` restricts servingBackfill to one requester, `from` backfilling to one responder.
 */
export interface BackfillingSelector {
  backfilling: string;
  from?: string;
}

/** See BackfillingSelector. */
export interface ServingBackfillSelector {
  servingBackfill: string;
  of?: string;
}

/** A node described instead of named, resolved when its fault fires. */
export type NodeSelector = LockHolderSelector | ElectionLeaderSelector | BackfillingSelector | ServingBackfillSelector;

/** A node field of a plan: a node id, or a selector. */
export type NodeRef = string | NodeSelector;

/** What a selector resolved to: a node and why, or why nobody matched. */
export type Resolution = { node: string; evidence: string; all: readonly string[] } | { node: null; reason: string };

/** One field of a selector besides its key. */
export interface SelectorField {
  name: string;
  required: boolean;
  /** 'node': a node id of the scenario; 'device': a device id (checked at install); 'name': any non-empty string. */
  type: 'node' | 'device' | 'name';
  /** The values it may take, when listed. */
  values?: readonly string[];
}

/** A kind of selector. */
export interface SelectorSpec {
  /** The key naming the kind (`holder`, `leader`, ...). */
  key: string;
  /** What the key's value may be: listed values, or any non-empty string (a resource: `*` for any). */
  values: readonly string[] | 'resource';
  fields: readonly SelectorField[];
  /** One line for docs and errors. */
  doc: string;
  /** Starts tracking what the kind needs in `sim` (before the run) and returns its resolver. */
  track(sim: Simulation): (sel: NodeSelector) => Resolution;
}

/** The channel and message types of the election's announcements (docs/election.md, scenarios' bus). */
const ANNOUNCE_CHANNEL = 'election';

/** First node of `sim` (in its order) among `ids`, with the others named. */
function first(sim: Simulation, ids: ReadonlySet<string>, what: (node: string) => string): Resolution | null {
  const order = [...sim.nodes.keys()].filter((n) => ids.has(n));
  if (order.length === 0) return null;
  const node = order[0]!;
  const others = order.length > 1 ? ` (also ${order.slice(1).join(', ')}; the first in node order is taken)` : '';
  return { node, evidence: `${what(node)}${others}`, all: order };
}

function devicesOf(sim: Simulation, device: string | undefined): string[] {
  return device === undefined ? [...sim.devices.keys()] : [device];
}

const lockHolder: SelectorSpec = {
  key: 'holder',
  values: ['lock'],
  fields: [
    { name: 'name', required: true, type: 'name' },
    { name: 'device', required: false, type: 'device' },
  ],
  doc: "the tab holding the simulated Web Lock `name` now, from the simulator's lock table (a paused tab keeps its locks)",
  track(sim) {
    return (s) => {
      const sel = s as LockHolderSelector;
      const holders = new Set<string>();
      for (const d of devicesOf(sim, sel.device)) {
        const h = sim.device(d).locks.holder(sel.name);
        if (h !== null) holders.add(h);
      }
      const where = sel.device === undefined ? '' : ` on device '${sel.device}'`;
      return first(sim, holders, (n) => `holds lock '${sel.name}'${where}`) ?? { node: null, reason: `nobody holds lock '${sel.name}'${where}` };
    };
  },
};

/** Per device, who leads by one kind of evidence, and why. */
type LeaderBoard = Map<string, { node: string | null; epoch: number; why: string }>;

/** Leaders by announcements on the election's bus channel. */
function leadersByBus(sim: Simulation): LeaderBoard {
  const board: LeaderBoard = new Map();
  for (const device of sim.devices.values()) {
    const s = { node: null as string | null, epoch: -Infinity, why: '' };
    board.set(device.id, s);
    device.bus.observe({
      posted(e) {
        if (e.channel !== ANNOUNCE_CHANNEL) return;
        const m = e.message as Record<string, unknown> | null;
        if (m === null || typeof m !== 'object' || typeof m.epoch !== 'number') return;
        if ((m.type === 'leader' || m.type === 'heartbeat') && m.epoch >= s.epoch) {
          Object.assign(s, { node: e.from, epoch: m.epoch, why: `announced leadership of epoch ${m.epoch} (bus post #${e.msg} at ${sim.nowUs() / 1000} ms)` });
        } else if (m.type === 'resign' && e.from === s.node && m.epoch === s.epoch) {
          s.node = null;
        }
      },
    });
  }
  return board;
}

/**
 * Who made the change a `fact.store` reports: the node of the strict `kv.commit` on that device right
 * before it (the fact follows the record that changed it; other facts may sit in between); null when
 * relaxed commits settling or a power loss moved it (no single author), or when nothing is found.
 */
function committerBefore(sim: Simulation, device: string, fact: TraceRecord): string | null {
  const recent = sim.trace.recent(64);
  for (let k = recent.length - 1; k >= 0; k--) {
    const r = recent[k]!;
    if (r.i >= fact.i) continue;
    if (r.kind === 'kv.commit' && r.node !== 'sim' && sim.node(r.node).deviceId === device) return r.data.durability === 'strict' ? r.node : null;
    if ((r.kind === 'kv.durable' || r.kind === 'kv.powerloss') && r.data.device === device) return null;
  }
  return null;
}

/** Leaders by the durable fencing epoch of the devices' kv block stores (fact.store) and who raised it. */
function leadersByFence(sim: Simulation): LeaderBoard {
  const board: LeaderBoard = new Map();
  const epochs = new Map<string, number>();
  sim.trace.on('fact.store', (r) => {
    const d = r.data;
    if (d.backend !== 'kv' || typeof d.device !== 'string' || typeof d.epoch !== 'number') return;
    const key = `${d.device}\u0000${String(d.root)}`;
    if (d.epoch <= (epochs.get(key) ?? -Infinity)) return;
    epochs.set(key, d.epoch);
    const by = committerBefore(sim, d.device, r);
    board.set(d.device, { node: by, epoch: d.epoch, why: `raised the durable fencing epoch of store '${String(d.root)}' to ${d.epoch} (fact.store at ${r.t / 1000} ms)` });
  });
  return board;
}

const electionLeader: SelectorSpec = {
  key: 'leader',
  values: ['election'],
  fields: [
    { name: 'by', required: false, type: 'name', values: ['fence', 'bus'] },
    { name: 'device', required: false, type: 'device' },
  ],
  doc: "the election's leader: by 'fence' (default), the tab whose commit raised its device's store fencing epoch to the current one; by 'bus', the latest announcer of the highest epoch on channel 'election'",
  track(sim) {
    const boards = { fence: leadersByFence(sim), bus: leadersByBus(sim) };
    sim.onLifecycle({
      nodeDown(node: SimNode) {
        for (const board of [boards.fence, boards.bus]) {
          const s = board.get(node.deviceId);
          if (s !== undefined && s.node === node.id) s.node = null;
        }
      },
    });
    return (x) => {
      const sel = x as ElectionLeaderSelector;
      const by = sel.by ?? 'fence';
      const board = boards[by];
      const leaders = new Set<string>();
      for (const d of devicesOf(sim, sel.device)) {
        const n = board.get(d)?.node;
        if (n !== null && n !== undefined) leaders.add(n);
      }
      const where = sel.device === undefined ? '' : ` on device '${sel.device}'`;
      const none =
        by === 'bus'
          ? `no tab leads${where} by the bus: none announced, or the last one resigned or ended`
          : `no tab leads${where} by the store: none fenced it (fact.store), or the one that did has ended`;
      return first(sim, leaders, (n) => board.get(sim.node(n).deviceId)!.why) ?? { node: null, reason: none };
    };
  },
};

/** Open backfill streams, from the peer wire facts: `${requester}\u0000${resource}` -> responder. */
function trackBackfills(sim: Simulation): Map<string, { requester: string; responder: string; resource: string; sinceUs: number }> {
  const open = new Map<string, { requester: string; responder: string; resource: string; sinceUs: number }>();
  sim.trace.on('fact.peer.request', (r: TraceRecord) => {
    const d = r.data;
    if (d.writer !== null || typeof d.from !== 'string' || typeof d.to !== 'string' || typeof d.resource !== 'string') return;
    const key = `${d.from}\u0000${d.resource}`;
    const cur = open.get(key);
    if (cur === undefined || cur.responder !== d.to) open.set(key, { requester: d.from, responder: d.to, resource: d.resource, sinceUs: r.t });
  });
  sim.trace.on('fact.peer.response', (r: TraceRecord) => {
    const d = r.data;
    if (d.writer !== null || d.hasMore === true || typeof d.to !== 'string' || typeof d.resource !== 'string') return;
    const key = `${d.to}\u0000${d.resource}`;
    if (open.get(key)?.responder === d.from) open.delete(key);
  });
  sim.onLifecycle({
    nodeDown(node: SimNode) {
      for (const [k, s] of open) if (s.requester === node.id || s.responder === node.id) open.delete(k);
    },
  });
  return open;
}

function backfillSelector(key: 'backfilling' | 'servingBackfill'): SelectorSpec {
  const serving = key === 'servingBackfill';
  return {
    key,
    values: 'resource',
    fields: [{ name: serving ? 'of' : 'from', required: false, type: 'node' }],
    doc: serving
      ? 'the peer answering a backfill (full-scan) of the resource now (`of`: of that requester), from the network\'s deliveries (fact.peer.request / response)'
      : 'the peer backfilling the resource now (`from`: from that responder), from the network\'s deliveries (fact.peer.request / response)',
    track(sim) {
      const open = trackBackfills(sim);
      return (x) => {
        const resource = serving ? (x as ServingBackfillSelector).servingBackfill : (x as BackfillingSelector).backfilling;
        const other = serving ? (x as ServingBackfillSelector).of : (x as BackfillingSelector).from;
        const found = new Map<string, string>();
        for (const s of open.values()) {
          if (resource !== '*' && s.resource !== resource) continue;
          const [me, them] = serving ? [s.responder, s.requester] : [s.requester, s.responder];
          if (other !== undefined && them !== other) continue;
          if (!found.has(me)) found.set(me, serving ? `serves the backfill of '${s.resource}' to ${them} (requested at ${s.sinceUs / 1000} ms)` : `backfills '${s.resource}' from ${them} (requested at ${s.sinceUs / 1000} ms)`);
        }
        const what = resource === '*' ? 'any resource' : `'${resource}'`;
        const whose = other === undefined ? '' : serving ? ` of ${other}` : ` from ${other}`;
        return first(sim, new Set(found.keys()), (n) => found.get(n)!) ?? { node: null, reason: `no backfill of ${what}${whose} is open (by the delivered fact.peer.request / response)` };
      };
    },
  };
}

/** Every kind of selector, by key. */
export const SELECTORS: Readonly<Record<string, SelectorSpec>> = Object.fromEntries(
  [lockHolder, electionLeader, backfillSelector('backfilling'), backfillSelector('servingBackfill')].map((s) => [s.key, s]),
);

/** The registry entry of a selector. */
export function selectorSpec(sel: NodeSelector): SelectorSpec {
  for (const key of Object.keys(sel)) {
    const spec = SELECTORS[key];
    if (spec !== undefined) return spec;
  }
  throw new Error(`not a node selector: ${JSON.stringify(sel)}`);
}

/** True when `ref` is a selector rather than a node id. */
export function isSelector(ref: unknown): ref is NodeSelector {
  return typeof ref === 'object' && ref !== null && !Array.isArray(ref);
}

/** `{leader:election}`, `{holder:lock name:L}`: a selector in one word (printing, plan lines). */
export function formatSelector(sel: NodeSelector): string {
  const spec = selectorSpec(sel);
  const rec = sel as unknown as Record<string, string>;
  const rest = spec.fields.filter((f) => rec[f.name] !== undefined).map((f) => ` ${f.name}:${rec[f.name]}`);
  return `{${spec.key}:${rec[spec.key]}${rest.join('')}}`;
}

/** A node field as text: the id, or the selector in one word. */
export function formatRef(ref: NodeRef): string {
  return typeof ref === 'string' ? ref : formatSelector(ref);
}

/** True when two node fields name the same node or describe it the same way. */
export function sameRef(a: NodeRef | undefined, b: NodeRef | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return formatSelector(a) === formatSelector(b);
}

/** Resolves selectors in one simulation: trackers start when built (before the run), one per kind used. */
export class SelectorResolver {
  private readonly resolvers = new Map<string, (sel: NodeSelector) => Resolution>();

  constructor(sim: Simulation, used: readonly NodeSelector[]) {
    for (const sel of used) {
      const spec = selectorSpec(sel);
      if (!this.resolvers.has(spec.key)) this.resolvers.set(spec.key, spec.track(sim));
    }
  }

  /** Who `ref` names now (a node id names itself). */
  resolve(ref: NodeRef): Resolution {
    if (typeof ref === 'string') return { node: ref, evidence: 'named', all: [ref] };
    const spec = selectorSpec(ref);
    const r = this.resolvers.get(spec.key);
    if (r === undefined) throw new Error(`selector ${formatSelector(ref)} was not tracked from the start of the run`);
    return r(ref);
  }

  /** True when `node` is (one of) those `ref` describes now (a trigger's node: its operations count). */
  matches(ref: NodeRef, node: string): boolean {
    if (typeof ref === 'string') return ref === node;
    const r = this.resolve(ref);
    return r.node !== null && r.all.includes(node);
  }
}
