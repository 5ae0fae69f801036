/**
 * Several tabs of one device (docs/client-server.md, "Several tabs"): the tabs elect a leader with the
 * project's election (LeaseElection, src/impl/election), the leader tab runs the sync client (client.ts,
 * started through `startClient` as a single tab would, unchanged) over the device's shared kv store, and
 * every tab shows the leader's status.
 *
 * Who holds the connection: only the client of the current leader. It runs on a *tenure*, a view of the
 * tab's Env (clock, kv, net, trace) that ends when the election deposes the tab:
 * - on `follower` (lease expired, lost, closing) the tenure is revoked: its connections are closed, its
 *   timers never fire again, its sleeps never end, its trace records are dropped, its kv transactions fail;
 * - before every timer callback, connect, send, delivered message, kv transaction and trace record the
 *   tenure asks the election whether this tab still leads with the tenure's epoch (`canWrite`: the lease on
 *   the tab's own monotonic clock; lease mode guarantees it runs out before another tab may take over), so
 *   a tab frozen past its lease finds out on resume before its client does anything;
 * - fencing of the kv store: a new leader records its epoch in the kv store `cs-tabs` (key `fence`, a
 *   strict transaction: the election's `deps.fence`) before it starts its client; every readwrite
 *   transaction of a tenure's client reads that record inside the same transaction and aborts when it is
 *   higher than the tenure's epoch. The kv store's transactions are serialised, so once the new leader's
 *   fence committed, no write of a deposed client can commit, whatever it believes.
 *
 * Writes made in another tab are forwarded to the leader over the tabs' bus (channel `cs-tabs`), not written
 * into the shared change log: the client keeps its next version and the cells in memory (client.ts), so a
 * second writer of its log would reuse versions. The leader answers `accepted` at once (in the same event
 * as it hands the write to its client), then `written {version}` once it is durable locally. A request no
 * leader accepted is sent again to each newer leader heard (a leader deposed meanwhile never takes it: it
 * finds out before it acts); an accepted one is never sent again (at most once: a resend after a lost
 * answer would store the change twice). Each send is addressed to one leader's epoch (the latest heard; 0
 * when none was), and a leader takes only a request addressed to its own: the send before the resend may
 * still be on its way to the same new leader (variant cs-tabs-unaddressed: stored twice, cs-tabs-busy).
 * No answer within `forwardTimeoutMs`: the write fails. A failure says whether the write may be saved
 * (`TabWriteError.saved`): 'maybe' when a leader took it and never answered (it may have frozen or crashed
 * right after the write was durable; the next leader pushes it), 'no' when no leader took it or the leader
 * refused it.
 *
 * Status in every tab: the leader posts its client's status on the bus at each change and every
 * `statusEveryMs`; a follower shows the latest status of the highest epoch it heard, and `disconnected` when
 * it heard none for `silentMs` (the leader died or froze: nothing syncs the device's database). The leader
 * shows its client's status. Each tab traces what it shows: cs.tab.status {status, pending, unsaved, reason,
 * failures, epoch} (epoch: of the leader whose status it mirrors, 0 for none); a revoked tenure traces
 * cs.tab.stop {epoch, reason}.
 *
 * Variants: `cs-tabs-no-handover` (a deposed tab's client keeps running: no revocation, the new leader's
 * fence not checked by its transactions, no lease test); `cs-tabs-stale-status` (a follower keeps the last status it heard, however old);
 * `cs-tabs-unaddressed` (forwarded writes not addressed to an epoch: a request and its resend both taken);
 * `cs-tabs-resend-accepted` (an accepted request sent again to a new leader: stored twice when the leader
 * that took it wrote it and never answered); `cs-tabs-untold-maybe` (such a write reported "not saved");
 * `cs-tabs-written-on-accept` (answered `written` when taken, before the write is durable).
 */
import { EnvError, type Connection, type Env, type KvStore, type Net, type TimerId, type Tracer, type Value } from '../env.ts';
import { FencedError } from '../election/fenced-store.ts';
import { LeaseElection } from '../election/lease-election.ts';
import { resolveTabOptions, type TabOptions } from '../election/options.ts';
import { makeReporter } from '../election/report.ts';
import type { Election, Role } from '../election/types.ts';
import { startClient, type ClientHandle } from './client.ts';
import type { ClientOptions } from './options.ts';
import { sameView, type StatusView } from './status.ts';

/** The kv store and key of the tabs' fence (the highest leader epoch that started a client). */
export const TABS_FENCE_STORE = 'cs-tabs';
const FENCE_KEY = 'fence';
/** The tabs' bus channel (statuses, forwarded writes and their answers). */
export const TABS_CHANNEL = 'cs-tabs';

/** Options of a tab. */
export interface CsTabOptions {
  /** The sync client's options (the leader tab starts it with these). */
  client: ClientOptions;
  /** Starts the sync client (default `startClient`; a scenario passes its `csClient` seam's factory). */
  startClient?: (env: Env, options: ClientOptions) => Promise<ClientHandle>;
  /** The election's options (lease mode is used: a deposed tab must find out before it acts). */
  election?: Omit<TabOptions, 'mode' | 'variant'>;
  /** The leader posts its status this often besides each change, ms (default 100). */
  statusEveryMs?: number;
  /** A follower that heard no status for this long shows disconnected, ms (default 300). */
  silentMs?: number;
  /** A forwarded write with no answer for this long fails, ms (default 5,000). */
  forwardTimeoutMs?: number;
  variant?: string;
}

/** What a tab offers the app (the workload) and liveness. */
export interface CsTabHandle {
  /** The tab's election role. */
  role(): Role;
  /** What this tab's footer shows. */
  status(): StatusView;
  /** The sync client this tab runs (leader only), or null. */
  client(): ClientHandle | null;
  /** A local write: through this tab's client when it leads, else forwarded to the leader. */
  write(table: string, pk: string, col: string, value: string | null): Promise<number>;
  /** Closes the tab: a leader stops its client and hands the lease over. */
  close(): Promise<void>;
}

type BusMessage =
  | { type: 'status'; epoch: number; view: StatusView }
  | { type: 'write'; id: string; epoch: number; table: string; pk: string; col: string; value: string | null }
  | { type: 'accepted'; id: string }
  | { type: 'written'; id: string; version: number }
  | { type: 'write-failed'; id: string; error: string };

/**
 * A forwarded write that failed, and whether it may be saved after all: 'maybe' when a leader tab took it
 * (its `accepted` came) and never answered (it may have crashed or frozen right after the write was
 * durable: the next leader pushes it), 'no' when no leader took it or the leader refused it. An app tells
 * the user "not saved" only for 'no' (a retry of a 'maybe' may store the change twice).
 */
export class TabWriteError extends EnvError {
  constructor(
    code: ConstructorParameters<typeof EnvError>[0],
    message: string,
    readonly saved: 'no' | 'maybe',
  ) {
    super(code, message);
  }
}

const NO_STATUS: StatusView = { status: 'disconnected', pending: 0, unsaved: 0, reason: null, failures: 0 };

const never = new Promise<never>(() => {});

/**
 * A leader's right to run the client: an Env view that stops working when the tenure ends (see the file
 * comment). `strict` false (variant cs-tabs-no-handover): it never ends. Exported for its unit test.
 */
export class Tenure {
  private revoked = false;
  private readonly conns = new Set<Connection>();
  private readonly timers = new Set<TimerId>();

  constructor(
    private readonly env: Env,
    readonly epoch: number,
    private readonly leads: () => boolean,
    private readonly strict: boolean,
  ) {}

  /** True while the client may act. */
  live(): boolean {
    return !this.strict || (!this.revoked && this.leads());
  }

  /** Ends the tenure: closes its connections, cancels its timers. Returns false when it had ended. */
  revoke(): boolean {
    if (!this.strict || this.revoked) return false;
    this.revoked = true;
    for (const c of this.conns) if (c.open) c.close();
    for (const t of this.timers) this.env.clock.clearTimer(t);
    this.conns.clear();
    this.timers.clear();
    return true;
  }

  /** The Env the client runs on. */
  view(): Env {
    const { env } = this;
    const gate = (fn: () => void) => () => {
      if (this.live()) fn();
    };
    const clock = {
      now: () => env.clock.now(),
      monotonic: () => env.clock.monotonic(),
      sleep: (ms: number) => env.clock.sleep(ms).then(() => (this.live() ? undefined : never)),
      setTimeout: (fn: () => void, ms: number) => this.timer(env.clock.setTimeout(gate(fn), ms)),
      setInterval: (fn: () => void, ms: number) => this.timer(env.clock.setInterval(gate(fn), ms)),
      clearTimer: (id: TimerId) => env.clock.clearTimer(id),
    };
    const trace: Tracer = {
      emit: (kind, data) => (this.live() ? env.trace.emit(kind, data) : undefined),
      probe: (name) => (this.live() ? env.trace.probe(name) : undefined),
    };
    return { nodeId: env.nodeId, deviceId: env.deviceId, incarnation: env.incarnation, random: env.random, disk: env.disk, bus: env.bus, locks: env.locks, clock, trace, kv: this.kv(), net: this.net() };
  }

  private timer(id: TimerId): TimerId {
    if (this.strict) this.timers.add(id);
    return id;
  }

  private refused(what: string): EnvError {
    return new EnvError('ESTATE', `${what}: this tab no longer leads with epoch ${this.epoch}`);
  }

  private kv(): KvStore {
    const kv = this.env.kv;
    return {
      transaction: (stores, mode, fn, options) => {
        if (!this.live()) return Promise.reject(this.refused('kv transaction'));
        if (mode === 'readonly' || !this.strict) return kv.transaction(stores, mode, fn, options);
        return kv.transaction(
          [...stores, TABS_FENCE_STORE],
          mode,
          async (tx) => {
            const fence = await tx.get(TABS_FENCE_STORE, FENCE_KEY);
            if (typeof fence === 'number' && fence > this.epoch) throw new FencedError(this.epoch, fence);
            if (!this.live()) throw this.refused('kv transaction');
            return fn(tx);
          },
          options,
        );
      },
    };
  }

  private net(): Net {
    const net = this.env.net;
    return {
      address: net.address,
      // A client never listens nor sends datagrams; passed through unchanged.
      listen: (handler) => net.listen(handler),
      sendDatagram: (to, message) => net.sendDatagram(to, message),
      onDatagram: (handler) => net.onDatagram(handler),
      connect: async (address, options) => {
        if (!this.live()) throw this.refused('connect');
        const c = await net.connect(address, options);
        if (!this.live()) {
          c.close();
          throw this.refused('connect');
        }
        if (this.strict) this.conns.add(c);
        c.onClose(() => this.conns.delete(c));
        return this.connection(c);
      },
    };
  }

  private connection(c: Connection): Connection {
    return {
      id: c.id,
      peer: c.peer,
      get open() {
        return c.open;
      },
      send: (m: Value) => {
        // A deposed client's send is dropped and its connection closed (never a throw inside its timers).
        if (this.live()) return c.send(m);
        if (c.open) c.close();
      },
      onMessage: (h) => c.onMessage((m) => (this.live() ? h(m) : undefined)),
      onClose: (h) => c.onClose((why) => {
        this.conns.delete(c);
        h(why);
      }),
      close: () => c.close(),
    };
  }
}

/** Starts a tab on its node; resolves with its handle (the election and the bus are running). */
export async function startCsTab(env: Env, options: CsTabOptions): Promise<CsTabHandle> {
  const t = new Tab(env, options);
  t.start();
  return t.handle();
}

class Tab {
  private readonly election: Election;
  private readonly statusEveryMs: number;
  private readonly silentMs: number;
  private readonly forwardTimeoutMs: number;
  private readonly variant: string;
  private tenure: Tenure | null = null;
  private client: ClientHandle | null = null;
  /** The highest leader epoch heard on the bus, its latest status and when it came (monotonic ms). */
  private heardEpoch = 0;
  private heard: StatusView | null = null;
  private heardAtMs = -Infinity;
  private shown: StatusView | null = null;
  private shownEpoch = 0;
  private writes = 0;
  /** Forwarded writes without an answer: `accepted` once a leader took the request (it is never sent again). */
  private readonly waiting = new Map<string, { request: BusMessage & { type: 'write' }; accepted: boolean; resolve: (v: number) => void; reject: (e: Error) => void; timer: TimerId }>();
  private closed = false;

  constructor(
    private readonly env: Env,
    private readonly options: CsTabOptions,
  ) {
    this.statusEveryMs = options.statusEveryMs ?? 100;
    this.silentMs = options.silentMs ?? 300;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 5_000;
    this.variant = options.variant ?? options.client.variant ?? '';
    const settings = resolveTabOptions({ ...options.election, mode: 'lease' });
    const { nodeId, incarnation, clock, random, bus, locks, kv } = env;
    // The client's work ends with its tenure (revoked at step-down): no in-flight writes to wait for.
    const deps = { nodeId, incarnation, clock, random, bus, locks, kv, inflight: () => 0, drained: () => Promise.resolve() };
    this.election = new LeaseElection({ ...deps, fence: (epoch) => this.fence(epoch), report: makeReporter(env.trace) }, settings);
  }

  start(): void {
    this.env.bus.subscribe(TABS_CHANNEL, (m) => this.onBus(m as unknown as BusMessage));
    this.election.subscribe((e) => {
      if (e.type === 'leader') this.lead(e.epoch);
      else if (e.type === 'follower') this.depose(e.reason);
    });
    this.env.clock.setInterval(() => this.tick(), Math.min(this.statusEveryMs, this.silentMs / 3));
    this.election.start();
    this.refresh();
  }

  handle(): CsTabHandle {
    return {
      role: () => this.election.role(),
      status: () => this.shown ?? NO_STATUS,
      client: () => (this.tenure?.live() === true ? this.client : null),
      write: (table, pk, col, value) => this.write(table, pk, col, value),
      close: () => this.close(),
    };
  }

  /** The election's fence: records `epoch` in the shared kv store unless a higher one is there. */
  private fence(epoch: number): Promise<void> {
    return this.env.kv.transaction(
      [TABS_FENCE_STORE],
      'readwrite',
      async (tx) => {
        const cur = await tx.get(TABS_FENCE_STORE, FENCE_KEY);
        if (typeof cur === 'number' && cur > epoch) throw new FencedError(epoch, cur);
        await tx.put(TABS_FENCE_STORE, FENCE_KEY, epoch);
      },
      { durability: 'strict' },
    );
  }

  private leads(epoch: number): boolean {
    return this.election.epoch() === epoch && this.election.canWrite();
  }

  /** Leader with `epoch` (its fence committed): starts the client on a fresh tenure. */
  private lead(epoch: number): void {
    if (this.closed) return;
    // Variant cs-tabs-no-handover: a tab whose client still runs from an earlier leadership keeps it.
    if (this.tenure !== null && this.tenure.live()) return;
    const tenure = new Tenure(this.env, epoch, () => this.leads(epoch), this.variant !== 'cs-tabs-no-handover');
    this.tenure = tenure;
    this.client = null;
    (this.options.startClient ?? startClient)(tenure.view(), this.options.client).then(
      (h) => {
        if (this.tenure !== tenure || !tenure.live()) return;
        this.client = h;
        h.onStatus(() => {
          this.refresh();
          this.post();
        });
        // Variant cs-tabs-own-untaken: the tabs before this was found.
        if (this.variant !== 'cs-tabs-own-untaken') this.takeOwn(h);
      },
      (e: unknown) => {
        // The load failed (a kv error, or fenced by a newer leader): give the lease up; another tab tries.
        if (this.tenure === tenure) this.env.trace.emit('cs.tab.stop', { epoch, reason: `start failed: ${String((e as Error)?.message ?? e).slice(0, 80)}` });
        if (this.tenure === tenure && tenure.revoke()) this.election.fenced(epoch);
      },
    );
  }

  /** No longer leader: the client's tenure ends before anything else happens in this tab. */
  private depose(reason: string): void {
    const t = this.tenure;
    if (t === null || !t.revoke()) return;
    this.env.trace.emit('cs.tab.stop', { epoch: t.epoch, reason });
    this.tenure = null;
    this.client = null;
    this.refresh();
  }

  /** Periodic: the leader's heartbeat status; a follower's silence test. */
  private tick(): void {
    if (this.tenure?.live() === true && this.client !== null) this.post();
    this.refresh();
  }

  private post(): void {
    const t = this.tenure;
    if (t === null || this.client === null || !t.live()) return;
    this.env.bus.post(TABS_CHANNEL, { type: 'status', epoch: t.epoch, view: { ...this.client.status() } } as unknown as Value);
  }

  /** What this tab shows now, traced when it changed. */
  /** The clock a heard status's age is measured on: monotonic (variant cs-tabs-status-wall-clock: the wall clock). */
  private statusClock(): number {
    return this.variant === 'cs-tabs-status-wall-clock' ? this.env.clock.now() : this.env.clock.monotonic();
  }

  private refresh(): void {
    let view: StatusView;
    let epoch = 0;
    const t = this.tenure;
    if (t !== null && t.live()) {
      view = this.client?.status() ?? NO_STATUS;
      epoch = t.epoch;
    } else if (this.heard !== null && (this.variant === 'cs-tabs-stale-status' || this.statusClock() - this.heardAtMs <= this.silentMs)) {
      view = this.heard;
      epoch = this.heardEpoch;
    } else {
      view = { ...NO_STATUS, pending: this.heard?.pending ?? 0, unsaved: this.heard?.unsaved ?? 0 };
    }
    if (sameView(this.shown, view) && this.shownEpoch === epoch) return;
    this.shown = view;
    this.shownEpoch = epoch;
    this.env.trace.emit('cs.tab.status', { ...view, epoch });
  }

  private onBus(m: BusMessage): void {
    switch (m.type) {
      case 'status':
        if (m.epoch < this.heardEpoch) return;
        // A new leader: forwarded writes no leader took are sent to it (none can take them later: a
        // leader deposed meanwhile finds out before it acts on a request it had not taken).
        // Each send is addressed to one leader's epoch: the send before, still on its way, may reach this
        // same new leader, which takes only the copy addressed to it (else it would store it twice).
        if (m.epoch > this.heardEpoch) {
          for (const w of this.waiting.values()) {
            // Variant cs-tabs-resend-accepted: an accepted request is sent again too (stored twice when the
            // leader that took it had written it and never answered).
            if (w.accepted && this.variant !== 'cs-tabs-resend-accepted') continue;
            if (this.variant !== 'cs-tabs-unaddressed') w.request = { ...w.request, epoch: m.epoch };
            this.env.bus.post(TABS_CHANNEL, w.request as unknown as Value);
          }
        }
        this.heardEpoch = m.epoch;
        this.heard = m.view;
        this.heardAtMs = this.statusClock();
        return this.refresh();
      case 'write': {
        const t = this.tenure;
        const c = this.client;
        if (t === null || c === null || !t.live()) return;
        // Only a request addressed to this tenure (variant cs-tabs-unaddressed: any, so a request and its
        // resend to this leader are both stored).
        if (m.epoch !== t.epoch && this.variant !== 'cs-tabs-unaddressed') return;
        this.env.bus.post(TABS_CHANNEL, { type: 'accepted', id: m.id });
        // Variant cs-tabs-written-on-accept: answered written when taken, before the write is durable.
        if (this.variant === 'cs-tabs-written-on-accept') this.env.bus.post(TABS_CHANNEL, { type: 'written', id: m.id, version: 0 });
        c.write(m.table, m.pk, m.col, m.value).then(
          (version) => this.env.bus.post(TABS_CHANNEL, { type: 'written', id: m.id, version }),
          (e: unknown) => this.env.bus.post(TABS_CHANNEL, { type: 'write-failed', id: m.id, error: String((e as Error)?.message ?? e).slice(0, 120) }),
        );
        return;
      }
      case 'accepted': {
        const w = this.waiting.get(m.id);
        if (w !== undefined) w.accepted = true;
        return;
      }
      case 'written':
      case 'write-failed': {
        const w = this.waiting.get(m.id);
        if (w === undefined) return;
        this.waiting.delete(m.id);
        this.env.clock.clearTimer(w.timer);
        if (m.type === 'written') w.resolve(m.version);
        else w.reject(new TabWriteError('ESTATE', `the leader tab refused the write: ${m.error}`, 'no'));
        return;
      }
    }
  }

  private write(table: string, pk: string, col: string, value: string | null): Promise<number> {
    if (this.closed) return Promise.reject(new EnvError('ECLOSED', 'the tab is closed'));
    const t = this.tenure;
    if (t !== null && t.live() && this.client !== null) return this.client.write(table, pk, col, value);
    const id = `${this.env.nodeId}#${this.env.incarnation}/${++this.writes}`;
    // Addressed to the leader this tab heard last (none yet: epoch 0, which no leader takes; it is sent
    // again, addressed, when a leader is heard).
    const request = { type: 'write' as const, id, epoch: this.heardEpoch, table, pk, col, value };
    return new Promise<number>((resolve, reject) => {
      const timer = this.env.clock.setTimeout(() => {
        const w = this.waiting.get(id);
        this.waiting.delete(id);
        // Variant cs-tabs-untold-maybe: a write a leader took and never answered is reported not saved.
        const maybe = w?.accepted === true && this.variant !== 'cs-tabs-untold-maybe';
        reject(new TabWriteError('ETIMEDOUT', `write ${id}: ${w?.accepted === true ? 'the leader tab took it and never answered (it may be saved)' : 'no leader tab took it'} within ${this.forwardTimeoutMs} ms`, maybe ? 'maybe' : 'no'));
      }, this.forwardTimeoutMs);
      this.waiting.set(id, { request, accepted: false, resolve, reject, timer });
      this.env.bus.post(TABS_CHANNEL, request as unknown as Value);
    });
  }

  /**
   * Once this tab leads and its client runs: its own forwarded writes that no leader took. A tab hears none
   * of its own posts (a BroadcastChannel does not deliver to its sender), so when the newer leader is this
   * tab no status makes it send them again (a write made in the tab that took over as the user closed the
   * leader's failed after forwardTimeoutMs: invariant:tab-writes-taken, cs-tabs seeds 3 and 4); it takes
   * them itself. An older leader takes none of them any more: it was deposed and fenced before this tab led.
   */
  private takeOwn(h: ClientHandle): void {
    for (const [id, w] of this.waiting) {
      if (w.accepted) continue;
      w.accepted = true;
      const done = (): boolean => {
        if (this.waiting.get(id) !== w) return false;
        this.waiting.delete(id);
        this.env.clock.clearTimer(w.timer);
        return true;
      };
      const r = w.request;
      h.write(r.table, r.pk, r.col, r.value).then(
        (version) => done() && w.resolve(version),
        (e: unknown) => done() && w.reject(e instanceof Error ? e : new EnvError('ESTATE', String(e))),
      );
    }
  }

  private async close(): Promise<void> {
    this.closed = true;
    await this.election.close();
    this.depose('closing');
  }
}
