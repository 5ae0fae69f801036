/** Vitest configuration of the mutation judge (src/mutation/judge.test-entry.ts), used by `npm run mutate`. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/mutation/judge.test-entry.ts'],
    environment: 'node',
    pool: 'threads',
    testTimeout: 120_000,
  },
});
