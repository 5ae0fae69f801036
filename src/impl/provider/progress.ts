/**
 * Job events for observers (seed: events for started / progress / completed): every change of a job's
 * status is sent on a broadcast channel (capacity `progressCapacity`) and published as the latest status
 * of every job on a watch channel. A subscriber that falls behind learns it lagged (and by how much) from
 * the broadcast, and catches up from the watch channel's snapshot.
 *
 * `version` counts the status changes of one job: a subscriber applies an event only if it is newer than
 * what it holds, so events read after a resynchronisation never take a job's progress back.
 */
import { broadcast, watch, type BroadcastReceiver, type BroadcastSender, type WatchReceiver, type WatchSender } from '../async/index.ts';
import type { JobState } from './library-store.ts';

/** The status of one job as observers see it. */
export interface JobStatus {
  job: number;
  provider: string;
  state: JobState;
  items: number;
  total: number;
  bytes: number;
  version: number;
}

/** The job event channels of a library. */
export class JobEvents {
  private readonly sender: BroadcastSender<JobStatus>;
  private readonly latest: WatchSender<readonly JobStatus[]>;
  private readonly watched: { receiver(): WatchReceiver<readonly JobStatus[]> };
  private readonly statuses = new Map<number, JobStatus>();

  constructor(capacity: number, silentLag: boolean) {
    this.sender = broadcast<JobStatus>(capacity, silentLag ? { weaken: 'silent-lag' } : {}).sender;
    const w = watch<readonly JobStatus[]>([]);
    this.latest = w.sender;
    this.watched = w;
  }

  /** Publishes a job's new status. */
  publish(s: Omit<JobStatus, 'version'>): void {
    const status: JobStatus = { ...s, version: (this.statuses.get(s.job)?.version ?? 0) + 1 };
    this.statuses.set(s.job, status);
    this.sender.send(status);
    this.latest.send([...this.statuses.values()]);
  }

  /** A new subscriber to the events. */
  subscribe(): BroadcastReceiver<JobStatus> {
    return this.sender.subscribe();
  }

  /** The latest status of every job. */
  snapshot(): WatchReceiver<readonly JobStatus[]> {
    return this.watched.receiver();
  }
}
