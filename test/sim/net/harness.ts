/**
 * Helpers for the network tests: a simulation with a recorded trace, a log of what nodes saw, and small
 * node programs (a recording server, a client that connects and sends).
 */
import type { Connection, Env, Value } from '../../../src/impl/env.ts';
import type { NetSpec } from '../../../src/sim/net/network.ts';
import { Simulation } from '../../../src/sim/simulation.ts';
import type { TraceRecord } from '../../../src/sim/trace.ts';

/** A simulation that keeps its whole trace. */
export function newSim(net: NetSpec = {}, seed = 1): Simulation {
  return new Simulation({ seed, net, trace: { keepAll: true } });
}

/** Trace records of `kind` (optionally only those of `node`). */
export function records(sim: Simulation, kind: string, node?: string): TraceRecord[] {
  return sim.trace.records()!.filter((r) => r.kind === kind && (node === undefined || r.node === node));
}

/** One thing a node saw, with the virtual time (µs) it saw it. */
export interface Seen {
  t: number;
  what: string;
  value?: Value;
}

/** A log of what nodes saw. */
export class Log {
  readonly items: Seen[] = [];
  constructor(private readonly sim: Simulation) {}
  /** Records `what` (and a value) now. */
  add(what: string, value?: Value): void {
    this.items.push(value === undefined ? { t: this.sim.nowUs(), what } : { t: this.sim.nowUs(), what, value });
  }
  /** The values of the entries named `what`. */
  values(what: string): Value[] {
    return this.items.filter((s) => s.what === what).map((s) => s.value!);
  }
  /** The entries named `what`. */
  of(what: string): Seen[] {
    return this.items.filter((s) => s.what === what);
  }
}

/** A server program: listens, logs `<id>.msg` for every message and `<id>.close` for every close. */
export function recordingServer(log: Log, id: string): (env: Env) => void {
  return (env) => {
    env.net.listen((conn) => {
      log.add(`${id}.accept`, conn.peer);
      conn.onMessage((m) => log.add(`${id}.msg`, m));
      conn.onClose((r) => log.add(`${id}.close`, r));
    });
  };
}

/** Connects to `to`, logs the outcome as `<id>.connected` or `<id>.error` (the code) and returns the conn. */
export async function connectLogged(env: Env, log: Log, id: string, to: string, timeoutMs?: number): Promise<Connection | null> {
  try {
    const conn = await env.net.connect(to, timeoutMs === undefined ? undefined : { timeoutMs });
    log.add(`${id}.connected`, conn.peer);
    conn.onMessage((m) => log.add(`${id}.msg`, m));
    conn.onClose((r) => log.add(`${id}.close`, r));
    return conn;
  } catch (e) {
    log.add(`${id}.error`, (e as { code?: string }).code ?? String(e));
    return null;
  }
}

/** Runs the simulation until `ms` of virtual time and asserts that nothing failed. */
export async function runMs(sim: Simulation, ms: number): Promise<void> {
  await sim.run({ untilUs: ms * 1000 });
  if (sim.failure !== null) throw new Error(`simulation failed: ${sim.failure.check}: ${sim.failure.message}`);
}

/** Schedules `fn` at virtual time `ms`. */
export function at(sim: Simulation, ms: number, fn: () => void): void {
  sim.scheduler.at(ms * 1000, fn);
}
