#!/usr/bin/env node
// Entry point of the `syncbench` command. An installed package runs the compiled JavaScript in dist/ (tsx is
// loaded only if a scenario module is TypeScript). A checkout (src/ beside bin/) runs the TypeScript sources
// through tsx, so an edit takes effect without a build; SYNCBENCH_COMPILED=1 makes a checkout run dist/
// instead (after `npm run build`), as the installed package does.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

// The parent process, taken before anything loads: if it dies while the CLI starts up, the CLI must still
// notice it was orphaned (src/cli/signals.ts).
const parent = process.ppid;
const args = process.argv.slice(2);

// Sweeps (run, nightly, explore) run under V8's single-threaded garbage collector. Each worker thread
// then collects its own garbage on its own thread instead of handing work to V8's helper threads, which
// competed with the other workers for the cores: on a 2-core machine the smoke suite ran at 54.5 seeds/s
// with 2 workers instead of 47.4 (1 worker: 33.2 and 33.6; `npm run bench -- runner` under each, one
// session). Node takes the flag only on its own command line (NODE_OPTIONS refuses it, and setting it at
// run time aborts V8), so the CLI starts itself again with it: one more process start for a command that
// runs for seconds. SYNCBENCH_GC=default keeps V8's default. Not on Windows (a detached child would get
// its own console), nor under a debugger (--inspect: the session is attached to this process).
const SWEEPS = new Set(['run', 'nightly', 'explore']);
const relaunch =
  SWEEPS.has(args[0] ?? '') &&
  !process.execArgv.includes('--single-threaded-gc') &&
  !process.execArgv.some((a) => a.startsWith('--inspect')) &&
  process.env.SYNCBENCH_GC !== 'default' &&
  process.platform !== 'win32';

if (relaunch) {
  process.exitCode = await relaunchWithFlag();
} else {
  const fromSource = process.env.SYNCBENCH_COMPILED !== '1' && existsSync(new URL('../src/cli/main.ts', import.meta.url));
  let main;
  if (fromSource) {
    (await import('tsx/esm/api')).register();
    ({ main } = await import('../src/cli/main.ts'));
  } else {
    ({ main } = await import('../dist/src/cli/main.js'));
  }
  process.exitCode = await main(args, { parent });
}

/**
 * Runs this CLI again as a child with --single-threaded-gc and passes its exit on. The child is in its own
 * process group, so a terminal's Ctrl-C reaches it once, through here, as a signal sent to this process
 * alone does (npx, a CI runner): each SIGINT, SIGTERM and SIGHUP received here is passed on, and the child
 * counts them as the CLI does (the first stops gently, the second at once). If this process is killed, or leaves
 * because its own parent went away, the child sees its parent change and stops as at SIGHUP.
 */
function relaunchWithFlag() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, '--single-threaded-gc', fileURLToPath(import.meta.url), ...args], {
      stdio: 'inherit',
      detached: true,
    });
    const forward = (sig) => () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((sig) => [sig, forward(sig)]);
    for (const [sig, fn] of handlers) process.on(sig, fn);
    // Orphaned: leave, so the child is orphaned too and stops on its own (it may still be loading, before
    // its handlers are in place: a SIGHUP sent now would kill it with nothing written).
    const orphaned = setInterval(() => {
      if (process.ppid !== parent) process.exit(128 + constants.signals.SIGHUP);
    }, 250);
    orphaned.unref();
    child.on('error', (e) => {
      process.stderr.write(`syncbench: could not start ${process.execPath}: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      clearInterval(orphaned);
      for (const [sig, fn] of handlers) process.off(sig, fn);
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}
