/**
 * SIGINT, SIGTERM and SIGHUP during a long command (a sweep, a replay, a shrink) all mean "stop, and keep
 * what is finished":
 *
 * - the first signal stops taking new work; runs in flight finish (the watchdog bounds them) and the
 *   command writes what it has, marked partial;
 * - the second abandons the runs in flight (their threads are terminated) and the command writes what is
 *   finished at once;
 * - a third ends the process immediately (the report folder is swapped as a whole, so even then it holds
 *   the old report or the new one).
 *
 * The exit code is 128 + the signal's number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP), as a
 * shell reports a process killed by that signal, so CI sees an interrupted job as failed.
 *
 * Started through `npx syncbench` or `npm start`, the CLI runs under `npm -> sh -c -> node`: a signal sent
 * to npm alone is passed to the shell, which dies of it without passing it on, and the CLI is left running
 * as an orphan. So the handlers also watch the parent process: when it goes away (the CLI is re-parented),
 * that counts as a SIGHUP ("the controlling process ended"), with the same stop-and-write behaviour.
 */

/** The signals handled. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

const NUMBER: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** How often the parent process is checked, ms. */
const PARENT_POLL_MS = 500;

/**
 * The parent process when the CLI started: bin/syncbench.js takes it before loading anything and main()
 * passes it here; otherwise it is the parent when this module loaded. Taken at start, not when a command
 * installs its handlers: a parent that dies while the scenarios load (seconds on a busy machine) would
 * otherwise be missed, the CLI already re-parented when it looked, and the orphan would run on.
 */
let parentAtStart = process.ppid;

/** Records the CLI's parent process as it was at start (see parentAtStart). */
export function setParentAtStart(pid: number): void {
  parentAtStart = pid;
}

/** What the handlers tell the command. */
export interface Interrupts {
  /** Aborted at the first signal: take no new work. */
  readonly soft: AbortSignal;
  /** Aborted at the second: abandon the work in flight. */
  readonly hard: AbortSignal;
  /** The first signal received, or null. */
  received(): StopSignal | null;
  /** 128 + the first signal's number (0 when none came). */
  exitCode(): number;
  /** Removes the handlers (call when the command's interruptible part is over). */
  dispose(): void;
}

/** Messages printed (to stderr) at the first and second signal. */
export interface InterruptMessages {
  first: string;
  second: string;
}

/** Installs the handlers until dispose(). */
export function onInterrupt(messages: InterruptMessages, write: (s: string) => void = (s) => void process.stderr.write(s)): Interrupts {
  const soft = new AbortController();
  const hard = new AbortController();
  let first: StopSignal | null = null;
  let count = 0;
  const handler = (sig: StopSignal): void => {
    count++;
    first ??= sig;
    if (count === 1) {
      write(`\nsyncbench: ${sig}: ${messages.first} (send it again to stop now)\n`);
      soft.abort();
    } else if (count === 2) {
      write(`\nsyncbench: ${sig} again: ${messages.second}\n`);
      hard.abort();
    } else {
      process.exit(128 + NUMBER[first]);
    }
  };
  const bound = STOP_SIGNALS.map((sig) => [sig, () => handler(sig)] as const);
  for (const [sig, fn] of bound) process.on(sig, fn);
  const parent = parentAtStart;
  const orphaned = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(orphaned);
    write(`\nsyncbench: the parent process (${parent}) ended`);
    handler('SIGHUP');
  }, PARENT_POLL_MS);
  orphaned.unref();
  return {
    soft: soft.signal,
    hard: hard.signal,
    received: () => first,
    exitCode: () => (first === null ? 0 : 128 + NUMBER[first]),
    dispose: () => {
      clearInterval(orphaned);
      for (const [sig, fn] of bound) process.off(sig, fn);
    },
  };
}
