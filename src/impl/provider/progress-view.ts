/**
 * The progress view: what a user interface shows of the sync jobs, kept up to date from the job events.
 * It spends `viewRenderMs` on each event (a slow subscriber), so bursts of progress can overrun the
 * broadcast channel: when told it lagged, it resynchronises from the watch channel's latest statuses.
 * Every change of what it shows is traced (`provider.view`), which is what `invariant:progress-view`
 * compares with the durable job records.
 */
import { sleep, type BroadcastReceiver, type WatchReceiver } from '../async/index.ts';
import type { Env } from '../env.ts';
import type { JobStatus } from './progress.ts';

/** Runs the view until the channel closes; `shown()` is what it displays now. */
export class ProgressView {
  private readonly shown = new Map<number, JobStatus>();
  private busy = false;

  constructor(
    private readonly env: Env,
    private readonly events: BroadcastReceiver<JobStatus>,
    private readonly latest: WatchReceiver<readonly JobStatus[]>,
    private readonly renderMs: number,
  ) {}

  /** True while an event is being rendered. */
  get rendering(): boolean {
    return this.busy;
  }

  /** What the view displays, by job id. */
  statuses(): JobStatus[] {
    return [...this.shown.values()].sort((a, b) => a.job - b.job);
  }

  async run(): Promise<void> {
    for (;;) {
      const r = await this.events.recv();
      if (r.kind === 'closed') return;
      this.busy = true;
      if (r.kind === 'lagged') {
        this.env.trace.probe('provider.view-lagged');
        for (const s of this.latest.borrow()) this.show(s);
      } else {
        this.show(r.value);
      }
      await sleep(this.env, this.renderMs);
      this.busy = false;
    }
  }

  private show(s: JobStatus): void {
    const before = this.shown.get(s.job);
    if (before !== undefined && before.version >= s.version) return;
    this.shown.set(s.job, s);
    this.env.trace.emit('provider.view', { job: s.job, provider: s.provider, state: s.state, items: s.items, total: s.total });
  }
}
