/**
 * The ground truth the client-server invariants share, built from the trace of one run: the server's
 * durable log (fact.cs.server), each client's durable database (fact.cs.client), the acknowledgements the
 * network delivered to each client (fact.cs.welcome, fact.cs.ack) and what each client shows (cs.status).
 * One per run (`truthOf`), updated before the checks that subscribe through it hear of a record.
 */
import type { TraceContext } from '../check.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { frozenOf, type FrozenSpells, type NodeFrozen } from './frozen-spells.ts';
import { countAtMost } from '../sorted.ts';

/** A durable server log entry (fact.cs.server `added`). */
export interface Entry {
  seq: number;
  site: string;
  version: number;
  key: string;
  value: string | null;
  colVersion: number;
  /** When it became durable, µs. */
  durableUs: number;
}

/** A cell's winning clock and value. */
export interface CellClock {
  value: string | null;
  colVersion: number;
  site: string;
}

/** What is true of one client. */
export interface ClientTruth {
  id: string;
  up: boolean;
  schema: number;
  /** Durable: site id, remembered server site, cursor, this site's local change versions, cells, unsaved keys. */
  site: string | null;
  remembered: string | null;
  cursor: number;
  /** Durable: the acknowledged version the client recorded (meta `acked`). */
  durableAcked: number;
  local: Map<number, number>; // version -> durable since (µs)
  cells: Map<string, CellClock>;
  /** How many fact.cs.client records the truth took in for it (its durable state, `cells` included, changes only with one). */
  facts: number;
  unsaved: Set<string>;
  /** The highest acknowledgement (Welcome.acked, Ack.upTo) delivered to this process for its site. */
  ackUpTo: number;
  /** Each acknowledgement delivered to this process for its site: [µs, upTo], upTo increasing. */
  acks: [number, number][];
  /** `storedCount`'s cache: for which site and lineage `storedVersions` was counted, sorted. */
  storedKey: string | null;
  storedVersions: number[];
  /**
   * The site id, remembered lineage, local change versions and durable `acked` a Nuke and Resync replaced
   * (set by the fact that replaced them, null on every other fact).
   */
  wiped: { site: string; lineage: string | null; local: number[]; acked: number } | null;
  /** The unsaved keys the latest fact stored, and those it deleted (fact.cs.client `unsaved`, `unsavedRemoved`). */
  unsavedAdded: string[];
  unsavedRemoved: string[];
  /** Its process's frozen spells (frozen-spells.ts: node.pause until node.resume, crash, stop or start). */
  proc: NodeFrozen;
  /** What it shows: the last cs.status. */
  status: string;
  green: boolean;
  /** When it last turned green (µs), or null while not green. */
  greenSinceUs: number | null;
}

/** True when a change with clock (colVersion, site) is reflected by a cell (the cell is at least as new). */
export function reflected(cell: CellClock | undefined, colVersion: number, site: string): boolean {
  if (cell === undefined) return false;
  return cell.colVersion > colVersion || (cell.colVersion === colVersion && cell.site >= site);
}

type Listener = (rec: TraceRecord, client: ClientTruth | null) => void;

/** The shared truth of one run. */
export class CsTruth {
  /** The server's durable identity and log of its current lineage. */
  serverSite: string | null = null;
  serverSchema: number | null = null;
  entries: Entry[] = [];
  /** Origin site -> the versions of it in the current lineage's durable log. */
  bySite = new Map<string, Set<number>>();
  /** Server site id (a lineage) -> its `bySite`: earlier lineages are kept (a client may still remember one). */
  private readonly lineages = new Map<string, Map<string, Set<number>>>();
  /** When the current lineage began (its site id appeared), µs. */
  lineageSinceUs = 0;
  readonly clients = new Map<string, ClientTruth>();
  private readonly listeners = new Map<string, Listener[]>();

  /** The run's frozen spells (every node's: the server's too). */
  readonly frozen: FrozenSpells;

  constructor(clients: readonly string[], frozen: FrozenSpells) {
    this.frozen = frozen;
    for (const id of clients) {
      this.clients.set(id, { id, up: false, schema: 0, site: null, remembered: null, cursor: 0, durableAcked: 0, local: new Map(), cells: new Map(), facts: 0, unsaved: new Set(), ackUpTo: 0, acks: [], storedKey: null, storedVersions: [], wiped: null, unsavedAdded: [], unsavedRemoved: [], proc: frozen.of(id), status: 'down', green: false, greenSinceUs: null });
    }
  }

  /** Calls `fn` after the truth took in each record of `kind` (the client it concerns, or null). */
  on(kind: string, fn: Listener): void {
    this.listenersOf(kind).push(fn);
  }

  /** The listeners of `kind` (one array per kind for the run: `attach` holds the ones it calls). */
  private listenersOf(kind: string): Listener[] {
    let list = this.listeners.get(kind);
    if (list === undefined) this.listeners.set(kind, (list = []));
    return list;
  }

  /**
   * True when the server's durable log holds `site`'s change `version`: the current log, or the log of the
   * lineage `lineage` (a server site id a client remembers; the one a rebuild replaced).
   */
  stored(site: string, version: number, lineage: string | null = null): boolean {
    const log = lineage === null || lineage === this.serverSite ? this.bySite : this.lineages.get(lineage);
    return log?.get(site)?.has(version) === true;
  }

  /** `stored` in the lineage client `c` remembers (the current one when it remembers none). */
  storedFor(c: ClientTruth, version: number): boolean {
    return c.site !== null && this.stored(c.site, version, c.remembered);
  }

  /**
   * How many of client `c`'s local changes the server's durable log (in the lineage it remembers) holds,
   * and how many of those are above version `above`. Kept incrementally: a status is checked at every
   * emission, and recounting every local change each time was the checks' main cost.
   */
  storedCount(c: ClientTruth, above: number): { stored: number; above: number } {
    const key = `${c.site}|${c.remembered ?? this.serverSite}`;
    if (c.storedKey !== key) {
      c.storedKey = key;
      c.storedVersions = [...c.local.keys()].filter((v) => this.storedFor(c, v)).sort((a, b) => a - b);
    }
    const vs = c.storedVersions;
    return { stored: vs.length, above: vs.length - countAtMost(vs, above) };
  }

  /** Records that `c`'s version `v` is now both local and stored (keeps `storedCount` current). */
  private noteStored(c: ClientTruth, v: number): void {
    if (c.storedKey === null) return;
    const vs = c.storedVersions;
    let i = vs.length;
    while (i > 0 && vs[i - 1]! > v) i--;
    if (vs[i - 1] !== v) vs.splice(i, 0, v);
  }

  /** Subscribes to the trace. */
  attach(ctx: TraceContext): void {
    const t = ctx.trace;
    const client = (id: unknown): ClientTruth | null => (typeof id === 'string' ? (this.clients.get(id) ?? null) : null);
    const then = (list: readonly Listener[], rec: TraceRecord, c: ClientTruth | null): void => {
      for (const fn of list) fn(rec, c);
    };
    const onServer = this.listenersOf('fact.cs.server');
    const onClient = this.listenersOf('fact.cs.client');
    const onStart = this.listenersOf('cs.client.start');
    const onStatus = this.listenersOf('cs.status');
    const onDown = this.listenersOf('down');
    t.on('fact.cs.server', (r) => then(onServer, r, this.server(r)));
    t.on('fact.cs.client', (r) => then(onClient, r, this.client(r, client(r.data.device))));
    for (const k of ['fact.cs.welcome', 'fact.cs.ack'] as const) {
      const list = this.listenersOf(k);
      t.on(k, (r) => {
        const c = client(r.data.client);
        const upTo = (r.data.acked ?? r.data.upTo) as number;
        if (c !== null && upTo > c.ackUpTo) {
          c.ackUpTo = upTo;
          c.acks.push([r.t, upTo]);
        }
        then(list, r, c);
      });
    }
    t.on('cs.client.start', (r) => {
      const c = client(r.node);
      if (c !== null) Object.assign(c, { up: true, schema: r.data.schema as number, ackUpTo: 0, acks: [] });
      then(onStart, r, c);
    });
    t.on('cs.status', (r) => {
      const c = client(r.node);
      if (c !== null) {
        const green = r.data.status === 'synced' || r.data.status === 'syncing';
        c.greenSinceUs = green ? (c.green ? c.greenSinceUs : r.t) : null;
        c.status = r.data.status as string;
        c.green = green;
      }
      then(onStatus, r, c);
    });
    for (const k of ['node.crash', 'node.stop'] as const) {
      t.on(k, (r) => {
        const c = client(r.node);
        if (c !== null) Object.assign(c, { up: false, status: 'down', green: false, greenSinceUs: null });
        then(onDown, r, c);
      });
    }
  }

  private server(r: TraceRecord): null {
    const d = r.data;
    if (d.site !== this.serverSite) {
      this.entries = [];
      this.bySite = new Map();
      if (typeof d.site === 'string') this.lineages.set(d.site, this.bySite);
      this.lineageSinceUs = r.t;
    }
    this.serverSite = d.site as string | null;
    this.serverSchema = d.schema as number | null;
    for (const a of d.added as [number, string, number, string, string, string, string | null, number][]) {
      const [seq, site, version, table, pk, col, value, colVersion] = a;
      const e: Entry = { seq, site, version, key: `${table}\u0000${pk}\u0000${col}`, value, colVersion, durableUs: r.t };
      this.entries.push(e);
      let vs = this.bySite.get(site);
      if (vs === undefined) this.bySite.set(site, (vs = new Set()));
      vs.add(version);
    }
    // Keep the clients' stored counts current (a change of their own just stored).
    for (const c of this.clients.values()) {
      if (c.storedKey === null || (c.remembered ?? this.serverSite) !== this.serverSite) continue;
      for (const a of d.added as [number, string, number][]) if (a[1] === c.site && c.local.has(a[2])) this.noteStored(c, a[2]);
    }
    return null;
  }

  private client(r: TraceRecord, c: ClientTruth | null): ClientTruth | null {
    if (c === null) return null;
    const d = r.data;
    c.facts++;
    c.wiped = null;
    if (c.site !== null && d.site !== c.site) {
      c.wiped = { site: c.site, lineage: c.remembered, local: [...c.local.keys()], acked: c.durableAcked };
      c.local = new Map();
      c.cells = new Map();
      c.ackUpTo = 0;
      c.acks = [];
    }
    c.site = d.site as string | null;
    c.remembered = d.server as string | null;
    c.cursor = d.cursor as number;
    c.durableAcked = d.acked as number;
    for (const v of d.local as number[]) {
      c.local.set(v, r.t);
      if (this.storedFor(c, v)) this.noteStored(c, v);
    }
    for (const [key, value, colVersion, site] of d.cells as [string, string | null, number, string][]) {
      if (colVersion < 0) {
        c.cells.delete(key);
        continue;
      }
      // A cell's clock is updated in place (nothing holds one beyond a lookup): no object per write to
      // survive the young generation and die in the old one.
      const cell = c.cells.get(key);
      if (cell === undefined) c.cells.set(key, { value, colVersion, site });
      else {
        cell.value = value;
        cell.colVersion = colVersion;
        cell.site = site;
      }
    }
    c.unsavedAdded = d.unsaved as string[];
    c.unsavedRemoved = (d.unsavedRemoved as string[] | undefined) ?? [];
    for (const k of c.unsavedAdded) c.unsaved.add(k);
    for (const k of c.unsavedRemoved) c.unsaved.delete(k);
    return c;
  }
}

/**
 * How long after a resume a client's footer is held to the green promises again: a frozen tab (paused)
 * shows what it showed when it froze and can change nothing; at resume its queued timers and deliveries
 * run, and its next ping period (250 ms) closes a connection that went silent meanwhile.
 */
export const RESUME_GRACE_US = 500_000;

/** True when `c` is judged as showing green at `nowUs`: green, not frozen, not just resumed. */
export function heldGreen(c: ClientTruth, nowUs: number): boolean {
  return c.green && !c.proc.frozen && nowUs - c.proc.resumedUs >= RESUME_GRACE_US;
}

/** The highest acknowledgement delivered to `c` at least `graceUs` before `nowUs` (0: none). */
export function ackedBefore(c: ClientTruth, nowUs: number, graceUs: number): number {
  // `acks` is in trace order (times non-decreasing, upTo increasing): the last one old enough, by bisection
  // (a status is checked at every emission; scanning every acknowledgement made that O(n) each).
  const acks = c.acks;
  const limit = nowUs - graceUs;
  let lo = 0;
  let hi = acks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (acks[mid]![0] <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : acks[lo - 1]![1];
}

/** The truth of the run `ctx` belongs to (made and attached by the first check that asks). */
export function truthOf(ctx: TraceContext, clients: readonly string[]): CsTruth {
  let t = ctx.runState.get('cs.truth') as CsTruth | undefined;
  if (t === undefined) {
    t = new CsTruth(clients, frozenOf(ctx));
    t.attach(ctx);
    ctx.runState.set('cs.truth', t);
  }
  return t;
}
