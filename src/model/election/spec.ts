/**
 * The election model as a monitor spec: which trace kinds feed it and how each becomes a model event for
 * one tab (the instance is the trace record's node).
 */
import type { ModelSpec } from '../monitor.ts';
import type { TraceRecord } from '../../sim/trace.ts';
import { tabElectionMachine, type TabModelEvent } from './machine.ts';

const EVENT_OF: Readonly<Record<string, TabModelEvent['type']>> = {
  'node.start': 'START',
  'node.crash': 'DOWN',
  'node.stop': 'DOWN',
  'election.campaign': 'CAMPAIGN',
  'election.lost': 'LOST',
  'election.acquired': 'ACQUIRED',
  'election.leader': 'LEADER',
  'election.renewed': 'RENEWED',
  'election.stepdown': 'STEP_DOWN',
  'election.follower': 'FOLLOWER',
  'election.seen': 'SEEN',
  'writer.begin': 'WRITE',
};

/** Trace kinds the election model reads. */
export const ELECTION_MODEL_KINDS: readonly string[] = Object.keys(EVENT_OF);

/** Model spec of the per-tab election machine; `tabs` limits it to these nodes (default: every node). */
export function electionModel(tabs?: readonly string[]): ModelSpec {
  const only = tabs === undefined ? null : new Set(tabs);
  return {
    name: 'election',
    machine: tabElectionMachine,
    kinds: ELECTION_MODEL_KINDS,
    finite: true,
    map(rec: TraceRecord) {
      if (only !== null && !only.has(rec.node)) return null;
      const type = EVENT_OF[rec.kind];
      return type === undefined ? null : { instance: rec.node, event: { type } };
    },
  };
}
