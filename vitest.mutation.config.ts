/**
 * Vitest configuration of the mutation judge, used by `npm run mutate`: the scenario runs of the area named
 * by $SYNCBENCH_MUTATE_AREA (src/mutation/judge.test-entry.ts) and the area's fast unit tests
 * (src/mutation/areas.ts).
 */
import { defineConfig } from 'vitest/config';
import { MUTATION_AREAS } from './src/mutation/areas.ts';

const area = MUTATION_AREAS.find((a) => a.name === process.env.SYNCBENCH_MUTATE_AREA);

export default defineConfig({
  test: {
    include: ['src/mutation/judge.test-entry.ts', ...(area?.unitTests ?? [])],
    environment: 'node',
    pool: 'threads',
    testTimeout: 120_000,
  },
});
