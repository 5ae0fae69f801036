/**
 * A deliberately naive election, plugged in through the ElectionFactory seam to show that the model and
 * invariants check any implementation: a tab that has heard no leader for 300 ms reads the epoch counter
 * in one transaction and writes epoch + 1 in another (not atomic), then leads forever. Two tabs starting
 * together both win the same epoch.
 */
import type { Value } from '../../src/impl/env.ts';
import type { ElectionDeps } from '../../src/impl/election/types.ts';
import { LeadsForever } from './leads-forever.ts';

const CHANNEL = 'naive-election';

/** The naive election of one tab. */
export class NaiveElection extends LeadsForever {
  private heardLeader = false;

  constructor(private readonly deps: ElectionDeps) {
    super();
  }

  start(): void {
    this.deps.bus.subscribe(CHANNEL, (m: Value) => {
      const msg = m as { holder?: string; epoch?: number };
      if (typeof msg.holder !== 'string' || typeof msg.epoch !== 'number') return;
      this.heardLeader = true;
      this.deps.report.seen(msg.holder, msg.epoch);
      this.emit({ type: 'leader-seen', holder: msg.holder, epoch: msg.epoch });
    });
    this.deps.clock.setTimeout(() => void this.campaign(), 300);
  }

  private async campaign(): Promise<void> {
    if (this.heardLeader) return;
    this.current = 'candidate';
    this.deps.report.campaign('naive');
    const seen = await this.deps.kv.transaction(['naive'], 'readonly', (tx) => tx.get('naive', 'epoch'));
    const epoch = (typeof seen === 'number' ? seen : 0) + 1;
    await this.deps.kv.transaction(['naive'], 'readwrite', (tx) => tx.put('naive', 'epoch', epoch));
    this.myEpoch = epoch;
    this.deps.report.acquired(epoch, 'naive');
    await this.deps.fence(epoch);
    this.current = 'leader';
    this.deps.report.leader(epoch);
    this.deps.bus.post(CHANNEL, { holder: this.deps.nodeId, epoch });
    this.emit({ type: 'leader', epoch });
  }

  async close(): Promise<void> {
    this.current = 'closed';
  }
}
