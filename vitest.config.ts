import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    pool: 'threads',
    // Vitest's default leaves one core idle (cores - 1 workers): on the 2-core CI machine that ran the test
    // files one at a time. Two workers there cut `npm test` from 240 s to 186 s (same run, this machine).
    maxWorkers: Math.max(2, availableParallelism()),
    // Test files share their worker's module graph instead of re-importing it per file: every file that
    // loads scenarios re-imported the simulator, the models, xstate and all scenario modules (import time
    // 50 s of CPU in total). npm test went from 202-226 s to 177 s here, same 1,870 tests passing. Tests
    // must therefore not rely on a fresh module: state a test changes (spies, globals) is restored in its
    // hooks, and run state lives in the run, never in a module (what --check-determinism checks for code
    // under test).
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
