/**
 * The full graph of a reference machine, from @xstate/graph, so coverage is measured against every state
 * and transition the model has ("100%" is computed, not claimed).
 *
 * Keys match the monitor's: a leaf state's key is its path below the machine ('idle', 'recovering.scan');
 * a transition's key is 'from|EVENT|to'. A transition declared on a compound state applies to each of its
 * leaf states and is listed once per leaf; a targetless one (an action or a guarded check that stays put)
 * is listed as 'leaf|EVENT|leaf', as the monitor counts it. A targetless transition of the machine itself
 * (a check valid in every state, e.g. a fact the model holds every claim against) is listed once, as
 * '*|EVENT|*' (`anywhere`): the coverage report credits it with the monitor's 'state|EVENT|state' counts
 * that no leaf transition explains.
 */
import { toDirectedGraph } from '@xstate/graph';
import type { AnyStateMachine } from 'xstate';

/** Every leaf state and every transition of a machine. */
export interface ModelGraph {
  states: string[];
  transitions: string[];
}

interface GraphNode {
  id: string;
  children: GraphNode[];
  edges: { label: { text: string }; source: { id: string }; target: { id: string } }[];
}

/** Computes the graph of `machine` (flat or nested; parallel regions are listed as separate leaves). */
export function modelGraph(machine: AnyStateMachine): ModelGraph {
  const root = toDirectedGraph(machine) as unknown as GraphNode;
  const prefix = `${root.id}.`;
  const strip = (id: string): string => (id.startsWith(prefix) ? id.slice(prefix.length) : id);
  const leavesOf = new Map<string, string[]>();
  const collectLeaves = (n: GraphNode): string[] => {
    const leaves = n.children.length === 0 ? [strip(n.id)] : n.children.flatMap(collectLeaves);
    leavesOf.set(n.id, leaves);
    return leaves;
  };
  const states = root.children.flatMap(collectLeaves);
  const transitions = new Set<string>();
  const visit = (n: GraphNode): void => {
    for (const e of n.edges) {
      const targetless = e.target.id === e.source.id;
      if (targetless && e.source.id === root.id) {
        transitions.add(`*|${e.label.text}|*`);
        continue;
      }
      const targets = leavesOf.get(e.target.id) ?? [strip(e.target.id)];
      // Entering a compound state lands in its initial leaf; we list the first leaf as the target.
      const to = targets[0]!;
      for (const from of leavesOf.get(e.source.id) ?? [strip(e.source.id)]) transitions.add(`${from}|${e.label.text}|${targetless ? from : to}`);
    }
    n.children.forEach(visit);
  };
  visit(root);
  return { states: [...new Set(states)].sort(), transitions: [...transitions].sort() };
}
