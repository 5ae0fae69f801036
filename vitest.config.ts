import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    pool: 'threads',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
