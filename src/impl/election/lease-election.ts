/**
 * Lease mode: the leader holds a lease record in the device's shared kv store (object store 'election',
 * key 'lease': {holder, epoch, renewals, wallExpiresMs}) and announces itself on the bus.
 *
 * Time: leases are measured on each tab's own monotonic clock, never compared across tabs.
 * - The leader trusts its lease for `leaseValidityMs` (leaseMs shortened by the drift bound and a margin)
 *   from the moment it *started* the renewal transaction.
 * - A follower takes the lease only after the record has not changed for `leaseTakeoverMs` (leaseMs
 *   lengthened by the drift bound and a margin) of its own monotonic clock, counted from when it *saw*
 *   the record. Whatever the skew, jumps and (bounded) drift, the leader's trust ends before a follower
 *   may take over; a frozen leader finds out on resume (`canWrite`) before it writes.
 * - Taking the lease is a compare-and-set in one readwrite transaction: the record must still be the one
 *   the follower watched expire. The new epoch is the old one plus one.
 *
 * Bus channel 'election': {type:'leader', holder, epoch} when a tab starts leading, {type:'resign',
 * holder, epoch} when a leader released the lease (followers campaign at once).
 */
import type { Value } from '../env.ts';
import { tolerate } from './errors.ts';
import { FencedError } from './fenced-store.ts';
import { leaseTakeoverMs, leaseValidityMs, type TabSettings } from './options.ts';
import type { Election, ElectionDeps, ElectionEvent, Role, StepDownReason } from './types.ts';

/** The lease record. `holder` is `${nodeId}#${incarnation}`, null when released. */
interface LeaseRecord {
  holder: string | null;
  epoch: number;
  renewals: number;
  /** Used only by the 'election-wall-clock-lease' variant. */
  wallExpiresMs: number;
}

const STORE = 'election';
const KEY = 'lease';
/** Bus channel of election announcements. */
export const ELECTION_CHANNEL = 'election';

function recordKey(r: LeaseRecord | undefined): string {
  return r === undefined ? '' : `${r.holder ?? '-'}@${r.epoch}/${r.renewals}`;
}

function asRecord(v: Value | undefined): LeaseRecord | undefined {
  if (v === undefined || v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return v as unknown as LeaseRecord;
}

/** Lease-based election (see the file comment). */
export class LeaseElection implements Election {
  private current: Role = 'follower';
  private myEpoch = 0;
  private validUntilMono = 0;
  private validUntilWall = 0;
  private observedKey = '\u0000';
  private observedAtMono = 0;
  private observedLeader = '';
  /** A step is running ('stuck': only in the weakened variant 'election-loop-stops-on-error'). */
  private busy: boolean | 'stuck' = false;
  private closed = false;
  /** The shutdown close() started (null until then). */
  private closing: Promise<void> | null = null;
  private timer = 0;
  private unsubscribe: () => void = () => {};
  private readonly listeners: ((e: ElectionEvent) => void)[] = [];
  private readonly me: string;
  private readonly wallLease: boolean;
  /** Weakened variant 'election-wall-clock-trust': the leader's trust runs on the wall clock (followers are unchanged). */
  private readonly wallTrust: boolean;
  /** Weakened variant 'election-renew-from-reply': a renewal's trust is measured from its commit, not its start. */
  private readonly trustFromReply: boolean;
  private readonly neverStepDown: boolean;
  /** Variant 'election-renew-lost': a renewal never recognises the tab's own lease record. */
  private readonly renewLost: boolean;
  /** Variant 'election-renew-margin-added': a renewal adds the drift margin instead of subtracting it. */
  private readonly renewMarginAdded: boolean;

  constructor(
    private readonly deps: ElectionDeps,
    private readonly s: TabSettings,
  ) {
    this.me = `${deps.nodeId}#${deps.incarnation}`;
    this.wallLease = s.variant === 'election-wall-clock-lease';
    this.wallTrust = s.variant === 'election-wall-clock-trust';
    this.trustFromReply = s.variant === 'election-renew-from-reply';
    this.neverStepDown = s.variant === 'election-no-stepdown';
    this.renewLost = s.variant === 'election-renew-lost';
    this.renewMarginAdded = s.variant === 'election-renew-margin-added';
  }

  /** Subscribes to announcements and starts the renew/observe timer. */
  start(): void {
    this.unsubscribe = this.deps.bus.subscribe(ELECTION_CHANNEL, (m) => this.onMessage(m));
    this.timer = this.deps.clock.setInterval(() => this.tick(), this.s.renewEveryMs);
    this.tick();
  }

  role(): Role {
    return this.current;
  }

  epoch(): number {
    return this.current === 'leader' ? this.myEpoch : 0;
  }

  canWrite(): boolean {
    if (this.current !== 'leader') return false;
    if (this.leaseValid()) return true;
    void this.stepDown('lease-expired');
    return false;
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

  /** Idempotent: every call returns the first call's promise, which resolves once the step-down finished. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.deps.clock.clearTimer(this.timer);
    this.unsubscribe();
    if (this.current === 'leader') await this.stepDown('closing');
    this.current = 'closed';
  }

  // ---------------------------------------------------------------- timer

  private tick(): void {
    if (this.busy !== false || this.closed) return;
    this.busy = true;
    this.step()
      .catch((e: unknown) => {
        tolerate(e); // a failed kv transaction: the lease is not renewed, and lapses if this keeps happening
        // Weakened variant 'election-loop-stops-on-error': the loop stays busy after an error, so never runs again.
        if (this.s.variant === 'election-loop-stops-on-error') this.busy = 'stuck';
      })
      .finally(() => {
        if (this.busy !== 'stuck') this.busy = false;
      });
  }

  private async step(): Promise<void> {
    if (this.current === 'leader') {
      if (!this.leaseValid()) await this.stepDown('lease-expired');
      else await this.renew();
    } else if (this.current === 'follower') {
      await this.observe();
    }
  }

  /** How much longer the lease is good by this tab's own reckoning, ms (what it believes, variants included). */
  private remainingMs(): number {
    if (this.wallLease || this.wallTrust) return this.validUntilWall - this.deps.clock.now();
    return this.validUntilMono - this.deps.clock.monotonic();
  }

  private leaseValid(): boolean {
    if (this.neverStepDown) return true;
    if (this.wallLease || this.wallTrust) return this.deps.clock.now() < this.validUntilWall;
    return this.deps.clock.monotonic() < this.validUntilMono;
  }

  private emit(e: ElectionEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  // ---------------------------------------------------------------- follower

  /** Reads the lease; campaigns when it is free or has not changed for the takeover time. */
  private async observe(): Promise<void> {
    const rec = asRecord(await this.deps.kv.transaction([STORE], 'readonly', (tx) => tx.get(STORE, KEY)));
    if (this.current !== 'follower' || this.closed) return;
    const key = recordKey(rec);
    const now = this.followerNow();
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAtMono = now;
      this.noteLeader(rec);
    }
    if (this.expired(rec, now)) await this.campaign(rec);
  }

  /** Tells listeners about a new leader found in the store (once per holder and epoch). */
  private noteLeader(rec: LeaseRecord | undefined): void {
    if (rec?.holder == null || rec.holder === this.me) return;
    const key = `${rec.holder}@${rec.epoch}`;
    if (key === this.observedLeader) return;
    this.observedLeader = key;
    const holder = rec.holder.split('#')[0]!;
    this.deps.report.seen(holder, rec.epoch);
    this.emit({ type: 'leader-seen', holder, epoch: rec.epoch });
  }

  private expired(rec: LeaseRecord | undefined, nowMono: number): boolean {
    if (rec === undefined || rec.holder === null) return true;
    if (this.wallLease) return this.deps.clock.now() >= rec.wallExpiresMs;
    // Weakened variant 'election-deaf-followers': followers wait three takeover times.
    const takeoverMs = leaseTakeoverMs(this.s) * (this.s.variant === 'election-deaf-followers' ? 3 : 1);
    return nowMono - this.observedAtMono >= takeoverMs;
  }

  /**
   * The follower's clock for a lease record's silence: monotonic. (Weakened variant
   * 'election-follower-wall-clock': the wall clock, so a clock set ahead makes a live lease look old.)
   */
  private followerNow(): number {
    return this.s.variant === 'election-follower-wall-clock' ? this.deps.clock.now() : this.deps.clock.monotonic();
  }

  /** Compare-and-set: takes the lease if it is still the record that expired. */
  private async campaign(expected: LeaseRecord | undefined): Promise<void> {
    this.current = 'candidate';
    this.deps.report.campaign('lease');
    const t0Mono = this.deps.clock.monotonic();
    const t0Wall = this.deps.clock.now();
    let epoch = 0;
    let failed = false;
    try {
      epoch = await this.deps.kv.transaction([STORE], 'readwrite', async (tx) => {
        const cur = asRecord(await tx.get(STORE, KEY));
        if (recordKey(cur) !== recordKey(expected)) return 0;
        const next = (cur?.epoch ?? 0) + 1;
        const rec: LeaseRecord = { holder: this.me, epoch: next, renewals: 0, wallExpiresMs: t0Wall + this.s.leaseMs };
        await tx.put(STORE, KEY, rec as unknown as Value);
        return next;
      });
    } catch (e) {
      tolerate(e);
      failed = true;
    }
    if (epoch === 0 || this.closed) {
      if (epoch === 0 && !failed) this.deps.report.probe('election.lease-race-lost');
      this.deps.report.lost(failed ? 'store-error' : epoch === 0 ? 'taken' : 'closed');
      this.current = this.closed ? 'closed' : 'follower';
      return;
    }
    // A lease released by a clean close (holder null after an epoch): taken over without waiting for expiry.
    if (expected !== undefined && expected.holder === null) this.deps.report.probe('election.handover-on-close');
    this.myEpoch = epoch;
    // Weakened variant 'election-campaign-trust-from-reply': the new lease is trusted from the campaign's reply.
    this.validUntilMono = (this.s.variant === 'election-campaign-trust-from-reply' ? this.deps.clock.monotonic() : t0Mono) + leaseValidityMs(this.s);
    this.validUntilWall = t0Wall + (this.wallTrust ? leaseValidityMs(this.s) : this.s.leaseMs);
    this.deps.report.acquired(epoch, 'lease');
    await this.fenceAndLead(epoch);
  }

  /** Fences the store at `epoch`, then starts acting as leader (if the lease is still good). */
  private async fenceAndLead(epoch: number): Promise<void> {
    try {
      await this.deps.fence(epoch);
    } catch (e) {
      await this.stepDown(tolerate(e) instanceof FencedError ? 'fenced' : 'error', true);
      return;
    }
    if (this.closed || !this.leaseValid()) {
      this.deps.report.probe('election.lease-ran-out-while-fencing');
      await this.stepDown(this.closed ? 'closing' : 'lease-expired', true);
      return;
    }
    this.current = 'leader';
    this.deps.report.leader(epoch, this.remainingMs());
    this.deps.bus.post(ELECTION_CHANNEL, { type: 'leader', holder: this.deps.nodeId, epoch });
    this.emit({ type: 'leader', epoch });
  }

  // ---------------------------------------------------------------- leader

  private async renew(): Promise<void> {
    const epoch = this.myEpoch;
    const t0Mono = this.deps.clock.monotonic();
    const t0Wall = this.deps.clock.now();
    const ok = await this.deps.kv.transaction([STORE], 'readwrite', async (tx) => {
      const cur = asRecord(await tx.get(STORE, KEY));
      if (cur === undefined || cur.holder !== this.me || cur.epoch !== epoch || this.renewLost) return false;
      const rec: LeaseRecord = { ...cur, renewals: cur.renewals + 1, wallExpiresMs: t0Wall + this.s.leaseMs };
      await tx.put(STORE, KEY, rec as unknown as Value);
      return true;
    });
    if (this.current !== 'leader' || this.myEpoch !== epoch) return;
    if (ok) {
      // Measured from before the renewal was sent: the others count the lease from the record it wrote, and a
      // renewal may take long (a slow store, a frozen tab) before its reply comes back.
      // Weakened variant 'election-renew-margin-added': leaseMs·(1 + d) − m (the full lease at the defaults).
      const validMs = this.renewMarginAdded ? this.s.leaseMs * (1 + this.s.clockDriftMaxPpm / 1e6) - this.s.safetyMarginMs : leaseValidityMs(this.s);
      this.validUntilMono = (this.trustFromReply ? this.deps.clock.monotonic() : t0Mono) + validMs;
      this.validUntilWall = t0Wall + (this.wallTrust ? leaseValidityMs(this.s) : this.s.leaseMs);
      this.deps.report.renewed(epoch, this.remainingMs());
    } else if (!this.neverStepDown) {
      await this.stepDown('lease-lost');
    }
  }

  /**
   * Stops acting as leader now, waits for in-flight leader writes, releases the lease when closing, and
   * becomes a follower. `acquiring` allows it before the tab started leading (fencing failed).
   */
  private async stepDown(reason: StepDownReason, acquiring = false): Promise<void> {
    if (this.current !== 'leader' && !(acquiring && this.current === 'candidate')) return;
    const epoch = this.myEpoch;
    this.current = 'stepping-down';
    if (reason === 'lease-expired') this.deps.report.probe('election.lease-expired');
    this.deps.report.stepDown(epoch, reason);
    this.emit({ type: 'follower', reason });
    // Weakened variant 'election-no-drain': reports follower (and, closing, gives the lease up) with writes still in flight.
    if (this.s.variant !== 'election-no-drain') await this.deps.drained();
    if (reason === 'closing') await this.release(epoch);
    this.myEpoch = 0;
    this.observedKey = '\u0000';
    this.deps.report.follower(reason);
    this.current = this.closed ? 'closed' : 'follower';
  }

  /** Gives the lease up (holder null) so a follower can take it without waiting for expiry. */
  private async release(epoch: number): Promise<void> {
    try {
      await this.deps.kv.transaction([STORE], 'readwrite', async (tx) => {
        const cur = asRecord(await tx.get(STORE, KEY));
        // Weakened variant 'election-release-any-holder': clears the record even when another tab holds it now.
        if (cur === undefined || ((cur.holder !== this.me || cur.epoch !== epoch) && this.s.variant !== 'election-release-any-holder')) return;
        await tx.put(STORE, KEY, { ...cur, holder: null } as unknown as Value);
      });
      this.deps.bus.post(ELECTION_CHANNEL, { type: 'resign', holder: this.deps.nodeId, epoch });
    } catch (e) {
      tolerate(e); // the lease then simply expires
    }
  }

  // ---------------------------------------------------------------- bus

  private onMessage(m: Value): void {
    const msg = m as { type?: unknown; holder?: unknown; epoch?: unknown };
    if (typeof msg.epoch !== 'number' || typeof msg.holder !== 'string') return;
    if (msg.type === 'leader') {
      this.deps.report.seen(msg.holder, msg.epoch);
      this.emit({ type: 'leader-seen', holder: msg.holder, epoch: msg.epoch });
      if (this.current === 'leader' && msg.epoch > this.myEpoch && !this.neverStepDown) void this.stepDown('lease-lost');
    } else if (msg.type === 'resign' && this.current === 'follower') {
      this.tick();
    }
  }
}
