/** invariant:job-records-forward's rule (src/model/provider/job-records-forward.ts), record by record. */
import { describe, expect, it } from 'vitest';
import { jobRecordStep } from '../../src/model/provider/job-records-forward.ts';

const rec = (state: string, type = 'incremental', provider = 'P1', requested = 'incremental') => ({ state, provider, requested, type });

describe('a durable job record only moves forward', () => {
  it('accepts the lifecycle of the built-in library', () => {
    expect(jobRecordStep(undefined, rec('pending'), 3, 2)).toBeNull();
    expect(jobRecordStep(rec('pending'), rec('running', 'full'), 3, 3)).toBeNull(); // no completed cursor: runs full
    expect(jobRecordStep(rec('running'), rec('running'), 3, 3)).toBeNull(); // its cursor persisted
    expect(jobRecordStep(rec('running'), rec('running', 'full'), 3, 3)).toBeNull(); // escalated after a 410
    for (const end of ['completed', 'failed', 'cancelled']) expect(jobRecordStep(rec('running'), rec(end), 3, 3)).toBeNull();
  });

  it('refuses a record going back, a rewritten ended job, a reused or lower id, a changed identity', () => {
    expect(jobRecordStep(rec('failed'), rec('pending'), 2, 5)).toMatch(/job 2 ended failed and was written again as pending .* a job id is never reused/);
    expect(jobRecordStep(rec('completed'), rec('completed'), 2, 5)).toMatch(/an ended job is final/);
    expect(jobRecordStep(rec('running'), rec('pending'), 2, 2)).toMatch(/went back from running to pending/);
    expect(jobRecordStep(undefined, rec('pending'), 2, 5)).toMatch(/a new job 2 is not above job 5 already recorded/);
    expect(jobRecordStep(undefined, rec('running'), 6, 5)).toMatch(/job 6 first appears running, not pending/);
    expect(jobRecordStep(rec('pending'), rec('running', 'incremental', 'P2'), 2, 2)).toMatch(/changed from P1 requested incremental to P2/);
    expect(jobRecordStep(rec('pending', 'full', 'P1', 'full'), rec('running', 'full', 'P1', 'incremental'), 2, 2)).toMatch(/requested full to P1 requested incremental/);
    expect(jobRecordStep(rec('running', 'full'), rec('running', 'incremental'), 2, 2)).toMatch(/changed its type from full to incremental/);
    expect(jobRecordStep(undefined, rec('paused'), 2, 1)).toMatch(/unknown state 'paused'/);
  });
});
