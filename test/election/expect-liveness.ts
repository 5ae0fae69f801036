/** A shared assertion of the election tests about liveness failures. */
import { expect } from 'vitest';

/** Liveness failed because no write through A succeeded after healing (named by liveness or by A's unanswered write). */
export function expectNoWriteThroughA(verdict: string, check: string | undefined, message: string | undefined): void {
  expect(verdict).toBe('liveness');
  if (check === 'liveness:write-after-heal') expect(message).toMatch(/through A \(\d+ probes, last EFENCED\)/);
  else {
    expect(check).toBe('model:request');
    expect(message).toMatch(/model 'request' instance 'A#w\d+' still in hot state 'pending'/);
  }
}
