/**
 * The areas `check-trace <area> FILE` checks a trace against without a scenario: each area's models and its
 * trace checks, built for the topology the trace's header names (`sim.begin {nodes: [{id, device, role}]}`),
 * with the implementation's default configuration. A port whose trace runs another topology names its
 * nodes' roles there; one whose configuration differs (bounds, batch sizes) checks against a scenario
 * instead (`check-trace <scenario> FILE`), which carries its configuration.
 *
 * Peer sync is not an area here: its model needs the resources' order and its checks the batch size and
 * drift bound, which only a scenario knows (check against `peer-swarm` or another peer scenario).
 *
 * The checks each area runs are its trace checks only (`traceCheck`): live checks (a node's memory at the
 * end, the simulator's disks) need a run; check-trace lists them as not run.
 */
import { resolveLibraryOptions } from '../impl/provider/options.ts';
import { csChecks } from '../model/clientserver/index.ts';
import { syncStatusModel } from '../model/clientserver/sync-status-model.ts';
import { electionInvariants, promptWrites, stableLeadership, writerChannels } from '../model/election/index.ts';
import { electionModel } from '../model/election/election-model.ts';
import { requestModel } from '../model/election/request-model.ts';
import { providerChecks } from '../model/provider/index.ts';
import { syncJobModel } from '../model/provider/sync-job-model.ts';
import { lastCopyCheck } from '../model/storage/last-copy-kept.ts';
import { noFalseCorruption } from '../model/storage/no-false-corruption.ts';
import { recoveryModel } from '../model/storage/recovery-model.ts';
import type { ModelSpec } from '../model/monitor.ts';
import type { CheckTarget } from './check-records.ts';
import type { Check } from './types.ts';

/** A node of a trace's header. */
export interface HeaderNode {
  id: string;
  device: string;
  role: string;
}

/** An area check-trace knows. */
export interface AreaSpec {
  /** What it checks, one line (for `check-trace --help` and errors). */
  description: string;
  /** The roles it reads from the header ('' accepted where a role is optional). */
  roles: string;
  /** The target for a trace of `nodes`; throws an Error naming what the header lacks. */
  target(nodes: readonly HeaderNode[]): CheckTarget;
}

const withRole = (nodes: readonly HeaderNode[], role: string): string[] => nodes.filter((n) => n.role === role).map((n) => n.id);

function one(nodes: readonly HeaderNode[], role: string, area: string): HeaderNode {
  const found = nodes.filter((n) => n.role === role);
  if (found.length !== 1) throw new Error(`area ${area}: the trace's header must name exactly one node with role '${role}' (it names ${found.length})`);
  return found[0]!;
}

function some(ids: string[], role: string, area: string): string[] {
  if (ids.length === 0) throw new Error(`area ${area}: the trace's header names no node with role '${role}'`);
  return ids;
}

/** The areas, by the name check-trace takes. */
export const AREAS: Readonly<Record<string, AreaSpec>> = {
  storage: {
    description: 'the recovery model (commit numbers against the durable marker) and invariant:last-copy, over fact.store and fact.store-blocks',
    roles: 'any',
    target: () => ({ name: 'area storage', models: [recoveryModel], checks: [lastCopyCheck(), noFalseCorruption] }),
  },
  election: {
    description:
      'the election model (epochs, fences, leases), the write-forwarding request model, the recovery model of the shared store, and the ledger, stability, prompt-write and writer-channel invariants (lease exclusivity only in a scenario: it needs the mode)',
    roles: "'tab' (every node when none has it)",
    target: (nodes) => {
      const tabs = withRole(nodes, 'tab');
      const ids = tabs.length > 0 ? tabs : nodes.map((n) => n.id);
      return {
        name: 'area election',
        models: [electionModel({ tabs: ids }), requestModel(ids), recoveryModel],
        checks: [electionInvariants(false), stableLeadership(), promptWrites(), writerChannels],
      };
    },
  },
  'client-server': {
    description: 'the sync-status model and the client-server invariants (pending count, green bounds, no loss, nuke reports)',
    roles: "'server', 'meta', 'client'",
    target: (nodes) => {
      const server = one(nodes, 'server', 'client-server');
      const meta = one(nodes, 'meta', 'client-server');
      const clients = some(withRole(nodes, 'client'), 'client', 'client-server');
      return {
        name: 'area client-server',
        models: [syncStatusModel(clients, { server: server.id, meta: meta.id })],
        checks: csChecks(clients, { serverDevice: server.device, server: server.id }),
      };
    },
  },
  provider: {
    description: 'the sync-job model and the provider-sync invariants (completed work durable, one running job, bounded queue and concurrency...)',
    roles: "'library' (one), 'provider'",
    target: (nodes) => {
      const library = one(nodes, 'library', 'provider');
      const providers = some(withRole(nodes, 'provider'), 'provider', 'provider');
      const cfg = resolveLibraryOptions({ providers });
      const who = { libraries: [library.id], providers };
      return { name: 'area provider', models: [syncJobModel(who)], checks: providerChecks({ ...who, queueMax: cfg.queueMax, maxConcurrent: cfg.maxConcurrent }) };
    },
  },
};

/** The nodes of a trace header (`sim.begin.nodes`); throws an Error naming what is missing. */
export function headerNodes(header: Record<string, unknown>): HeaderNode[] {
  const nodes = header.nodes;
  if (!Array.isArray(nodes)) throw new Error('its header (sim.begin, line 1) has no "nodes" list: an area check needs the topology (a scenario check does not)');
  return nodes.map((n, k) => {
    const o = n as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || o.id === '') throw new Error(`header nodes[${k}] has no "id"`);
    return { id: o.id, device: typeof o.device === 'string' ? o.device : o.id, role: typeof o.role === 'string' ? o.role : '' };
  });
}

/**
 * What `check-trace <name>` checks a trace with `header` against: the area `name`, built for the header's
 * nodes, or the scenario `name` of `scenarios` (its own models and checks); null when it is neither.
 * Throws an Error naming what an area needs and the header lacks.
 */
export function checkTargetFor(name: string, header: Record<string, unknown>, scenarios: readonly { name: string; models?: readonly ModelSpec[]; checks?: readonly Check[] }[]): CheckTarget | null {
  const area = AREAS[name];
  if (area !== undefined) return area.target(headerNodes(header));
  const s = scenarios.find((x) => x.name === name);
  return s === undefined ? null : { name: `scenario ${s.name}`, models: s.models ?? [], checks: s.checks ?? [] };
}
