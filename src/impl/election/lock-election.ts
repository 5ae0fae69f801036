/**
 * Lock mode: leadership is the Web-Locks-like exclusive lock 'syncbench-election' of the device. The tab
 * granted the lock draws the next epoch from the kv store (object store 'election', key 'lock-epoch') in
 * one transaction, fences the store with it, and leads until it steps down (which releases the lock).
 *
 * Lock managers let a frozen tab keep its lock, so the leader posts a heartbeat on the bus every
 * `renewEveryMs`; a follower that hears none for `leaseTakeoverMs` (plus a random jitter, so followers do
 * not all steal at once) steals the lock. The deposed holder learns it from its request rejecting with
 * EABORT; until then its writes carry the old epoch and the store fences them.
 *
 * Bus channel 'election': {type:'leader' | 'heartbeat', holder, epoch}.
 */
import { EnvError, type Value } from '../env.ts';
import { ELECTION_CHANNEL } from './lease-election.ts';
import { tolerate } from './errors.ts';
import { FencedError } from './fenced-store.ts';
import { leaseTakeoverMs, type TabSettings } from './options.ts';
import type { Election, ElectionDeps, ElectionEvent, LostReason, Role, StepDownReason } from './types.ts';

/** Name of the leadership lock. */
export const ELECTION_LOCK = 'syncbench-election';
const STORE = 'election';
const EPOCH_KEY = 'lock-epoch';

/** Web-Locks based election (see the file comment). */
export class LockElection implements Election {
  private current: Role = 'follower';
  private myEpoch = 0;
  /** Generation of the latest lock request; a grant for an older one is returned at once. */
  private gen = 0;
  /** Generation of the request that currently holds the lock (0: none). */
  private holdingGen = 0;
  /** Generation whose request was stolen or failed before its `fn` ran (a late grant is returned at once). */
  private lostGen = 0;
  private releaseHold: (() => void) | null = null;
  private lastLeaderMono = 0;
  private jitterMs = 0;
  private closed = false;
  /** The shutdown close() started (null until then). */
  private closing: Promise<void> | null = null;
  private watchTimer = 0;
  private beatTimer = 0;
  /** The pending "queue again later" after a lost attempt (0: none); a new request cancels it. */
  private retryTimer = 0;
  private unsubscribe: () => void = () => {};
  private readonly listeners: ((e: ElectionEvent) => void)[] = [];
  private readonly neverStepDown: boolean;

  constructor(
    private readonly deps: ElectionDeps,
    private readonly s: TabSettings,
  ) {
    this.neverStepDown = s.variant === 'election-no-stepdown';
  }

  /** Subscribes to announcements, queues for the lock and starts the heartbeat watchdog. */
  start(): void {
    this.unsubscribe = this.deps.bus.subscribe(ELECTION_CHANNEL, (m) => this.onMessage(m));
    this.lastLeaderMono = this.deps.clock.monotonic();
    this.jitterMs = this.deps.random.int(Math.max(1, Math.round(this.s.renewEveryMs)));
    this.watchTimer = this.deps.clock.setInterval(() => this.watch(), this.s.renewEveryMs);
    this.request(false);
  }

  role(): Role {
    return this.current;
  }

  epoch(): number {
    return this.current === 'leader' ? this.myEpoch : 0;
  }

  canWrite(): boolean {
    return this.current === 'leader';
  }

  fenced(epoch: number): void {
    if (epoch === this.myEpoch && !this.neverStepDown) void this.stepDown('fenced');
  }

  subscribe(listener: (event: ElectionEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Steals the lock now (a closed tab does nothing: `request` refuses). */
  takeOver(): void {
    if (this.mayStealNow()) this.request(true);
  }

  /**
   * True when this tab may steal the lock: it holds no grant and has no term (a follower, or a candidate
   * still waiting in the queue). Never from ourselves: a tab that holds the lock and is still drawing its
   * epoch or fencing is a 'candidate' too (a pause of the old holder kept B's fence waiting, and B stole the
   * lock from itself mid-fence: found by syncbench explore, election-lock-stolen-mid-write seed 7004).
   */
  private mayStealNow(): boolean {
    return this.myEpoch === 0 && this.holdingGen === 0 && this.s.variant !== 'election-ignore-takeover';
  }

  /** Idempotent: every call returns the first call's promise, which resolves once the step-down finished. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.deps.clock.clearTimer(this.watchTimer);
    this.deps.clock.clearTimer(this.retryTimer);
    this.unsubscribe();
    if (this.current === 'leader') await this.stepDown('closing');
    this.current = 'closed';
  }

  private emit(e: ElectionEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  // ---------------------------------------------------------------- lock

  /** Queues (or, with `steal`, takes) the lock under a new generation. */
  private request(steal: boolean): void {
    if (this.closed) return;
    // A retry scheduled by an earlier lost attempt must not fire once a newer request exists: it would
    // campaign again while this tab holds the lock and fences (found by syncbench explore,
    // election-lock-leader-paused seed 5021 with B paused at its 2nd lock request).
    this.deps.clock.clearTimer(this.retryTimer);
    this.retryTimer = 0;
    const gen = ++this.gen;
    this.current = 'candidate';
    this.deps.report.campaign(steal ? 'lock-steal' : 'lock');
    this.deps.locks
      .request(ELECTION_LOCK, { steal }, async (lock) => {
        if (lock === null || gen !== this.gen || gen === this.lostGen || this.closed) return;
        this.holdingGen = gen;
        await this.lead(gen);
      })
      .then(
        () => this.requestEnded(gen, null),
        (e: unknown) => this.requestEnded(gen, e),
      );
  }

  /** The lock request of generation `gen` settled (hold ended, stolen, or failed). */
  private requestEnded(gen: number, error: unknown): void {
    if (this.holdingGen === gen) this.holdingGen = 0;
    if (error !== null) tolerate(error);
    if (error === null || gen !== this.gen) return;
    const stolen = error instanceof EnvError && error.code === 'EABORT';
    if (stolen && (this.current === 'leader' || this.myEpoch !== 0)) {
      if (!this.neverStepDown) void this.stepDown('lock-stolen', true);
      return;
    }
    if (this.current === 'candidate' && this.myEpoch === 0) {
      this.lostGen = gen;
      this.deps.report.lost(stolen ? 'stolen' : 'lock-error');
      this.current = 'follower';
      this.retryLater();
    }
  }

  /** Queues again after `renewEveryMs` (one pending retry at most; `request` cancels it). */
  private retryLater(): void {
    this.deps.clock.clearTimer(this.retryTimer);
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = 0;
      this.request(false);
    }, this.s.renewEveryMs);
  }

  /** Holder of the lock: draws an epoch, fences, leads until stepping down. */
  private async lead(gen: number): Promise<void> {
    let epoch: number;
    try {
      // One readwrite transaction: the read and the write of the counter are atomic, so two holders (one
      // frozen mid-draw, one that stole the lock meanwhile) can never draw the same epoch.
      epoch =
        this.s.variant === 'election-epoch-two-tx'
          ? await this.drawInTwoTransactions()
          : await this.deps.kv.transaction([STORE], 'readwrite', async (tx) => {
              const cur = await tx.get(STORE, EPOCH_KEY);
              const next = (typeof cur === 'number' ? cur : 0) + 1;
              await tx.put(STORE, EPOCH_KEY, next);
              return next;
            });
    } catch (e) {
      tolerate(e);
      this.deps.report.lost('epoch-error');
      this.current = 'follower';
      this.retryLater();
      return;
    }
    if (this.holdingGen !== gen) return this.abandon(gen, 'stolen');
    this.myEpoch = epoch;
    this.deps.report.acquired(epoch, 'lock');
    try {
      await this.deps.fence(epoch);
    } catch (e) {
      const fenced = tolerate(e) instanceof FencedError;
      // Only this grant's term steps down: a fence that fails after the lock was stolen and the tab won a
      // newer grant (its fence waited behind a frozen tab's transaction) must not end the newer term
      // (found by syncbench explore, election-lock-paused-before-fence seed 11014: the newer term stepped
      // down, then led anyway with no epoch).
      if (this.holdingGen === gen && this.myEpoch === epoch) await this.stepDown(fenced ? 'fenced' : 'error', true);
      return;
    }
    if (this.holdingGen !== gen || this.current !== 'candidate') return;
    this.current = 'leader';
    this.deps.report.leader(epoch);
    this.announce('leader');
    this.beatTimer = this.deps.clock.setInterval(() => this.announce('heartbeat'), this.s.renewEveryMs);
    this.emit({ type: 'leader', epoch });
    await new Promise<void>((resolve) => {
      this.releaseHold = resolve;
    });
  }

  /** Weakened variant 'election-epoch-two-tx': the counter read and written in two transactions (not atomic). */
  private async drawInTwoTransactions(): Promise<number> {
    const cur = await this.deps.kv.transaction([STORE], 'readonly', (tx) => tx.get(STORE, EPOCH_KEY));
    const next = (typeof cur === 'number' ? cur : 0) + 1;
    await this.deps.kv.transaction([STORE], 'readwrite', (tx) => tx.put(STORE, EPOCH_KEY, next));
    return next;
  }

  /** The grant was lost before an epoch was drawn (ignored when a newer request superseded it). */
  private abandon(gen: number, reason: LostReason): void {
    if (this.current !== 'candidate' || gen !== this.gen) return;
    this.deps.report.lost(reason);
    this.current = 'follower';
  }

  private announce(type: 'leader' | 'heartbeat'): void {
    if (this.current === 'leader') this.deps.bus.post(ELECTION_CHANNEL, { type, holder: this.deps.nodeId, epoch: this.myEpoch });
  }

  /** Stops leading, waits for in-flight writes, releases the lock, and queues again unless closing. */
  private async stepDown(reason: StepDownReason, acquiring = false): Promise<void> {
    if (this.current !== 'leader' && !(acquiring && this.current === 'candidate' && this.myEpoch !== 0)) return;
    const epoch = this.myEpoch;
    this.current = 'stepping-down';
    this.deps.clock.clearTimer(this.beatTimer);
    this.deps.report.stepDown(epoch, reason);
    this.emit({ type: 'follower', reason });
    // Weakened variant 'election-no-drain': reports follower (and, closing, gives the lease up) with writes still in flight.
    if (this.s.variant !== 'election-no-drain') await this.deps.drained();
    this.myEpoch = 0;
    this.deps.report.follower(reason);
    this.current = this.closed ? 'closed' : 'follower';
    this.lastLeaderMono = this.deps.clock.monotonic();
    const release = this.releaseHold;
    this.releaseHold = null;
    release?.();
    if (!this.closed) this.request(false);
  }

  // ---------------------------------------------------------------- followers

  /** Steals the lock when the leader has been silent for the takeover time. */
  private watch(): void {
    if (!this.mayStealNow()) return; // the watchdog stops when the tab closes (close() clears it)
    if (this.s.variant === 'election-deaf-followers') return; // weakened: never notices a silent leader
    const silentMs = this.deps.clock.monotonic() - this.lastLeaderMono;
    // Weakened variant 'election-early-steal': steals after a third of the takeover time.
    const takeoverMs = leaseTakeoverMs(this.s) / (this.s.variant === 'election-early-steal' ? 3 : 1);
    if (silentMs < takeoverMs + this.jitterMs) return;
    this.deps.report.probe('election.lock-steal-silent-leader');
    this.lastLeaderMono = this.deps.clock.monotonic();
    this.request(true);
  }

  private onMessage(m: Value): void {
    const msg = m as { type?: unknown; holder?: unknown; epoch?: unknown };
    if (typeof msg.epoch !== 'number' || typeof msg.holder !== 'string') return;
    if (msg.type !== 'leader' && msg.type !== 'heartbeat') return;
    this.lastLeaderMono = this.deps.clock.monotonic();
    this.deps.report.seen(msg.holder, msg.epoch);
    if (msg.type === 'leader') this.emit({ type: 'leader-seen', holder: msg.holder, epoch: msg.epoch });
    if (this.current === 'leader' && msg.epoch > this.myEpoch && !this.neverStepDown) void this.stepDown('lock-stolen');
  }
}
