#!/usr/bin/env node
// Entry point of the `syncbench` command. An installed package runs the compiled JavaScript in dist/ (tsx is
// loaded only if a scenario module is TypeScript). A checkout (src/ beside bin/) runs the TypeScript sources
// through tsx, so an edit takes effect without a build; SYNCBENCH_COMPILED=1 makes a checkout run dist/
// instead (after `npm run build`), as the installed package does.
import { existsSync } from 'node:fs';

// The parent process, taken before anything loads: if it dies while the CLI starts up, the CLI must still
// notice it was orphaned (src/cli/signals.ts).
const parent = process.ppid;

const fromSource = process.env.SYNCBENCH_COMPILED !== '1' && existsSync(new URL('../src/cli/main.ts', import.meta.url));
let main;
if (fromSource) {
  (await import('tsx/esm/api')).register();
  ({ main } = await import('../src/cli/main.ts'));
} else {
  ({ main } = await import('../dist/src/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2), { parent });
