/**
 * The network's fault API as the injector uses it (`sim.network`). Declared here so the fault layer
 * depends only on these signatures; `networkApi` checks at install time that the network provides them,
 * so a plan with network faults fails before the run, not during it.
 */
import type { Simulation } from '../sim/simulation.ts';

/** Per-link behaviour (probabilities are per message). */
export interface LinkFaults {
  latencyMs: number;
  jitterMs: number;
  tailProbability: number;
  tailMs: number;
  lossRate: number;
  dupRate: number;
  reorderRate: number;
}

/** What the injector needs from `sim.network`. */
export interface NetworkFaultApi {
  /** Cuts sideA <-> sideB (only A -> B with oneWay); returns an id for heal. */
  partition(sideA: string[], sideB: string[], options?: { oneWay?: boolean }): number;
  /** Ends one partition. */
  heal(id: number): void;
  /** Ends every partition (and other network faults the network heals as a whole). */
  healAll(): void;
  /** Drops a node from everyone. */
  isolate(node: string): void;
  /** Ends an isolation. */
  rejoin(node: string): void;
  /** Overrides fields of one directed link. */
  setLink(from: string, to: string, faults: Partial<LinkFaults>): void;
  /** Overrides fields of every link without its own override. */
  setDefaultLink(faults: Partial<LinkFaults>): void;
  /** Holds messages from -> to until unclogged. */
  clog(from: string, to: string): void;
  /** Releases a clog. */
  unclog(from: string, to: string): void;
  /** Stalls both directions between a and b for a while. */
  stall(a: string, b: string, durationMs: number): void;
  /** Resets a's connections (only those with b, if given). */
  resetConnections(a: string, b?: string): void;
  /** The settings in effect on the link from -> to. */
  linkFaults(from: string, to: string): LinkFaults;
}

const METHODS: readonly (keyof NetworkFaultApi)[] = [
  'partition',
  'heal',
  'healAll',
  'isolate',
  'rejoin',
  'setLink',
  'setDefaultLink',
  'clog',
  'unclog',
  'stall',
  'resetConnections',
  'linkFaults',
];

/** The network's fault API, or an error naming the first missing method. */
export function networkApi(sim: Simulation): NetworkFaultApi {
  const net = sim.network as unknown as Partial<Record<keyof NetworkFaultApi, unknown>>;
  for (const m of METHODS) {
    if (typeof net[m] !== 'function') {
      throw new Error(`sim.network has no ${m}(): this simulation's network cannot inject network faults`);
    }
  }
  return sim.network as unknown as NetworkFaultApi;
}

/** True when `sim.network` provides the whole fault API. */
export function hasNetworkApi(sim: Simulation): boolean {
  const net = sim.network as unknown as Partial<Record<keyof NetworkFaultApi, unknown>>;
  return METHODS.every((m) => typeof net[m] === 'function');
}

