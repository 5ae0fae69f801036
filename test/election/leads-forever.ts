/**
 * The part the deliberately flawed test elections share: once leader, a tab leads forever — `canWrite`
 * is just "I am leader" (no look at any lease) and being fenced is ignored. Subclasses decide how a tab
 * becomes leader.
 */
import type { Election, ElectionEvent, Role } from '../../src/impl/election/types.ts';

/** An election whose leader never steps down (see the file comment). */
export abstract class LeadsForever implements Election {
  protected current: Role = 'follower';
  protected myEpoch = 0;
  private readonly listeners: ((e: ElectionEvent) => void)[] = [];

  abstract start(): void;
  abstract close(): Promise<void>;

  role(): Role {
    return this.current;
  }

  epoch(): number {
    return this.current === 'leader' ? this.myEpoch : 0;
  }

  /** The flaw: no look at the lease (if any) before a write. */
  canWrite(): boolean {
    return this.current === 'leader';
  }

  fenced(): void {
    // The flaw again: keeps leading.
  }

  subscribe(listener: (event: ElectionEvent) => void): () => void {
    this.listeners.push(listener);
    return () => void this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  protected emit(event: ElectionEvent): void {
    for (const l of this.listeners) l(event);
  }
}
