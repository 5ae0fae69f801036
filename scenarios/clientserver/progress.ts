/** The seed's e2e test "progress shows record counts not chunk counts": 5,000 records to a fresh client. */
import type { Scenario } from '../../src/scenario/types.ts';
import { CS_SEAMS, allSynced, clientIds, clientWrites, csChecking, csProgram, csTopology, serverRecords } from './_common.ts';

const two = clientIds(2);

const progress5000: Scenario = {
  name: 'cs-progress-5000',
  description:
    'The server holds 5,000 records; a fresh client (C2) connects at 2.5 s and downloads them in 25 messages: its progress counts records and bytes of what was delivered (never chunks), from 0 to exactly 5,000, monotonically, with an estimate of the time left; C1 keeps writing meanwhile (live relays during the download).',
  suites: ['ci', 'default', 'nightly'],
  topology: { ...csTopology(two), nodes: csTopology(two).nodes.map((n) => (n.id === 'C2' ? { ...n, startAtMs: 2_500 } : n)) },
  program: csProgram(),
  seams: CS_SEAMS,
  workload: (ctx) => {
    serverRecords(ctx, 5_000, 100);
    clientWrites(ctx, ['C1'], 40, 300, 100);
  },
  durationMs: 6_000,
  liveness: allSynced(two),
  ...csChecking(two),
};

export default [progress5000];
