/**
 * Spawned tasks with an awaitable handle (seed item 6: a JoinHandle that stores the task's outcome).
 */
import { CancellationToken } from './cancellation.ts';

/** A handle on a spawned task: await its outcome, ask it to stop, see whether it ended. */
export interface TaskHandle<T> {
  /** Resolves with the task's value or rejects with its error; the same outcome for every caller. */
  join(): Promise<T>;
  /** Cancels the task's token (cooperative: the task stops at its next check of the token). */
  abort(reason?: string): void;
  /** True once the task's promise settled. */
  readonly finished: boolean;
}

/**
 * Starts `fn` as a task with its own cancellation token (a child of `parent` if given, so cancelling the
 * parent aborts the task). The body starts in a later microtask, never inside the caller (as a runtime's
 * spawn), so a synchronous throw in `fn` becomes the task's error rather than the caller's.
 *
 * Abort is cooperative: `join()` settles with whatever the task does once its token fired, usually a
 * rejection with `Cancelled` from a cancellable wait. A task that ignores its token runs to its end.
 * A task that fails and is never joined does not raise an unhandled rejection: its error waits in `join()`.
 */
export function spawn<T>(fn: (token: CancellationToken) => Promise<T>, parent?: CancellationToken): TaskHandle<T> {
  const token = parent ? parent.child() : new CancellationToken();
  let finished = false;
  const outcome = Promise.resolve()
    .then(() => fn(token))
    .finally(() => {
      finished = true;
      token.detach();
    });
  outcome.catch(() => {}); // the error is delivered by join(), not as an unhandled rejection
  return {
    join: () => outcome,
    abort: (reason?: string) => token.cancel(reason ?? 'aborted'),
    get finished() {
      return finished;
    },
  };
}
