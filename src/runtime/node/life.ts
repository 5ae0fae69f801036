/**
 * The life of one runtime env: open until `close()`. A closed env behaves like a crashed process in the
 * simulator: its pending promises never settle, its timers never fire and its handlers are never called.
 * Every facet routes its results through `settle` so that a close in the middle of an await ends the story.
 */

/** A promise that never settles (what a closed env's operations return). */
export const NEVER: Promise<never> = new Promise<never>(() => {});

/** Open/closed state of one env, plus the cleanup steps run by close. */
export class Life {
  private closed = false;
  private readonly cleanups: (() => void | Promise<void>)[] = [];

  /** True until `close()` began. */
  get live(): boolean {
    return !this.closed;
  }

  /**
   * `p`, passed through only while the env is live: a result or error arriving after close is dropped and
   * the returned promise never settles.
   */
  settle<T>(p: Promise<T>): Promise<T> {
    if (this.closed) return NEVER;
    return new Promise<T>((resolve, reject) => {
      p.then(
        (v) => {
          if (!this.closed) resolve(v);
        },
        (e: unknown) => {
          if (!this.closed) reject(e);
        },
      );
    });
  }

  /** Runs `fn` now and passes its promise through `settle`; a synchronous throw becomes a rejection. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return NEVER;
    try {
      return this.settle(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Registers a cleanup step; close runs them in reverse order of registration. */
  onClose(fn: () => void | Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Marks the env closed and runs every cleanup (the first error is rethrown after all ran). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let first: unknown = null;
    for (let i = this.cleanups.length - 1; i >= 0; i--) {
      try {
        await this.cleanups[i]!();
      } catch (e) {
        first ??= e;
      }
    }
    this.cleanups.length = 0;
    if (first !== null) throw first;
  }
}
