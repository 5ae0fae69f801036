/** Provider sync's kinds (docs/provider-sync.md, "Trace records"): `provider.*`. */
import { count, int, kind, nullable, oneOf, str, type KindSchemas } from './dsl.ts';

const syncType = oneOf('full', 'incremental');
const jobState = oneOf('pending', 'running', 'completed', 'failed', 'cancelled');
const job = { job: count, provider: str };

export const PROVIDER_KINDS: KindSchemas = {
  'provider.job.pending': kind('a sync job requested (durably pending)', { ...job, requested: syncType }),
  'provider.job.start': kind('a job running: its type, the cursor it starts from, why an incremental request runs full', {
    ...job,
    requested: syncType,
    type: syncType,
    from: nullable(str),
    escalated: nullable(oneOf('no-cursor')),
  }),
  'provider.job.escalate': kind('an expired cursor (410) escalated the job to a full listing', { ...job, reason: oneOf('expired') }),
  'provider.job.cursor': kind("the job's stream reached this cursor", { ...job, cursor: str }),
  'provider.job.resolved': kind('conflict resolution done', { ...job, duplicates: count }),
  'provider.job.end': kind('the job ended', { ...job, state: oneOf('completed', 'failed', 'cancelled'), items: count, bytes: count, error: nullable(str) }),
  'provider.job.error': kind('the job record could not be written', { ...job, error: str }),
  'provider.item.applied': kind('a file applied to the library', { ...job, id: str, rev: int, how: oneOf('download', 'move') }),
  'provider.item.skipped': kind('a file skipped', { ...job, id: str, rev: int, why: oneOf('held', 'superseded') }),
  'provider.item.deleted': kind('a track deleted', { ...job, id: str, rev: int }),
  'provider.queue.push': kind('a work item queued', { job: count, id: str, priority: oneOf('high', 'normal') }),
  'provider.queue.take': kind('a work item taken', { job: count, id: str }),
  'provider.view': kind('what the progress view shows of a job', { ...job, state: jobState, items: count, total: count }),
  'provider.server.ready': kind('a provider started: live files, feed head, feed epoch', { files: count, head: count, epoch: count }),
  'provider.server.reset': kind('a provider reset its feed (new epoch; entries below `floor` gone)', { epoch: count, floor: count }),
};
