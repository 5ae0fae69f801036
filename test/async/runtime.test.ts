/**
 * The same program on the real Node runtime: real timers instead of simulated ones, and the same story
 * (the log the simulated run writes, PIPELINE_LOG), so the primitives behave alike on both.
 */
import { describe, expect, it } from 'vitest';
import { EnvPool, tempDir, within } from '../runtime/helpers.ts';
import { PIPELINE_LOG, pipeline } from './pipeline.ts';

describe('async primitives on the Node runtime', { timeout: 10_000 }, () => {
  it('the pipeline writes the same log as under the simulator', async () => {
    const dir = await tempDir();
    const pool = new EnvPool();
    try {
      const h = await pool.create({ nodeId: 'n', dataDir: dir.path });
      const log: string[] = [];
      const started = performance.now();
      // Units of 40 ms: the closest deadlines are one unit apart, so a timer may fire that late on a loaded
      // machine without changing the story.
      await within(5_000, 'pipeline on the Node runtime', pipeline(h.env, (line) => log.push(line), 40));
      expect(log).toEqual(PIPELINE_LOG);
      expect(performance.now() - started).toBeGreaterThanOrEqual(479); // real timers: the last worker leaves at 12 units
    } finally {
      await pool.closeAll();
      await dir.remove();
    }
  });
});
