/**
 * A lease election written like a third-party library adapted to the ElectionFactory seam, with one flaw:
 * its leader never steps down (LeadsForever). The lease is a record in the shared kv store ({holder,
 * epoch, renewals}) taken by compare-and-set once it has not changed for TAKEOVER_MS, renewed every
 * TICK_MS — but the leader never checks its own lease before writing (`canWrite` is just "I am
 * leader"), keeps leading when a renewal finds another holder, and ignores being fenced. After a freeze longer than its lease it
 * writes with its old epoch. It reports only the mandatory steps (no `validMs`), so what catches it is
 * what every implementation must report: its 'writer.begin' after a newer epoch was acquired.
 */
import type { Value } from '../../src/impl/env.ts';
import type { ElectionDeps } from '../../src/impl/election/types.ts';
import { LeadsForever } from './leads-forever.ts';

const STORE = 'sticky-lease';
const KEY = 'lease';
const TICK_MS = 250;
const TAKEOVER_MS = 1_200;

interface LeaseRecord {
  holder: string;
  epoch: number;
  renewals: number;
}

function keyOf(r: LeaseRecord | undefined): string {
  return r === undefined ? '' : `${r.holder}@${r.epoch}/${r.renewals}`;
}

/** The sticky lease election of one tab. */
export class StickyLeaseElection extends LeadsForever {
  private watchedKey = '\u0000';
  private watchedSinceMono = 0;
  private busy = false;
  private timer = 0;
  private readonly me: string;

  constructor(private readonly deps: ElectionDeps) {
    super();
    this.me = `${deps.nodeId}#${deps.incarnation}`;
  }

  start(): void {
    this.timer = this.deps.clock.setInterval(() => void this.tick(), TICK_MS);
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.busy || this.current === 'closed') return;
    this.busy = true;
    try {
      if (this.current === 'leader') await this.renew();
      else if (this.current === 'follower') await this.observe();
    } catch {
      // A failed transaction: try again at the next tick.
      if (this.current === 'candidate') {
        this.deps.report.lost('store-error');
        this.current = 'follower';
      }
    }
    this.busy = false;
  }

  private read(): Promise<LeaseRecord | undefined> {
    return this.deps.kv.transaction([STORE], 'readonly', async (tx) => (await tx.get(STORE, KEY)) as LeaseRecord | undefined);
  }

  /** Watches the record; campaigns when there is none or it has not changed for TAKEOVER_MS. */
  private async observe(): Promise<void> {
    const rec = await this.read();
    const now = this.deps.clock.monotonic();
    if (keyOf(rec) !== this.watchedKey) {
      this.watchedKey = keyOf(rec);
      this.watchedSinceMono = now;
      if (rec !== undefined) {
        const holder = rec.holder.split('#')[0]!;
        this.deps.report.seen(holder, rec.epoch);
        this.emit({ type: 'leader-seen', holder, epoch: rec.epoch });
      }
    }
    if (rec !== undefined && now - this.watchedSinceMono < TAKEOVER_MS) return;
    this.current = 'candidate';
    this.deps.report.campaign('sticky-lease');
    const epoch = await this.deps.kv.transaction([STORE], 'readwrite', async (tx) => {
      const cur = (await tx.get(STORE, KEY)) as LeaseRecord | undefined;
      if (keyOf(cur) !== keyOf(rec)) return 0;
      const next = (cur?.epoch ?? 0) + 1;
      await tx.put(STORE, KEY, { holder: this.me, epoch: next, renewals: 0 } as unknown as Value);
      return next;
    });
    if (epoch === 0) {
      this.deps.report.lost('taken');
      this.current = 'follower';
      return;
    }
    this.myEpoch = epoch;
    this.deps.report.acquired(epoch, 'sticky-lease');
    await this.deps.fence(epoch);
    this.current = 'leader';
    this.deps.report.leader(epoch);
    this.emit({ type: 'leader', epoch });
  }

  /** Renews the lease; the flaw: a renewal finding another holder is ignored. */
  private async renew(): Promise<void> {
    await this.deps.kv.transaction([STORE], 'readwrite', async (tx) => {
      const cur = (await tx.get(STORE, KEY)) as LeaseRecord | undefined;
      if (cur?.holder !== this.me || cur.epoch !== this.myEpoch) return;
      await tx.put(STORE, KEY, { ...cur, renewals: cur.renewals + 1 } as unknown as Value);
    });
  }

  async close(): Promise<void> {
    this.deps.clock.clearTimer(this.timer);
    if (this.current === 'leader') {
      this.current = 'stepping-down';
      this.deps.report.stepDown(this.myEpoch, 'closing');
      await this.deps.drained();
      this.deps.report.follower('closing');
    }
    this.current = 'closed';
  }
}
