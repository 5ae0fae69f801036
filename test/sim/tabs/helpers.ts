/**
 * Test helpers: several tabs on one device, each keeping its current env so a test can act as the tab
 * from scheduled events ("at 1 ms, t1 posts ...").
 */
import type { Env } from '../../../src/impl/env.ts';
import { Simulation } from '../../../src/sim/simulation.ts';
import { SimBus, type BusOptions } from '../../../src/sim/tabs/bus.ts';
import { SimLocks, type LocksOptions } from '../../../src/sim/tabs/locks.ts';

/** A device with tabs whose envs are captured on every start. */
export interface TabWorld {
  sim: Simulation;
  /** The env of each tab's latest incarnation. */
  envs: Map<string, Env>;
  /** The env of `id`'s latest incarnation (throws if it never started). */
  env(id: string): Env;
  /** Runs `fn` at absolute virtual time `ms` (milliseconds). */
  at(ms: number, fn: () => void): void;
}

/** Tab program: runs on every start; may set up subscriptions. */
export type TabProgram = (env: Env) => void | Promise<void>;

/** A simulation with device 'dev1' and the given tabs, all started at time 0. */
export function tabWorld(seed: number, tabs: Record<string, TabProgram>): TabWorld {
  const sim = new Simulation({ seed, trace: { keepAll: true } });
  const envs = new Map<string, Env>();
  sim.addDevice('dev1');
  for (const [id, program] of Object.entries(tabs)) {
    sim.addNode(id, {
      device: 'dev1',
      program: async (env) => {
        envs.set(id, env);
        await program(env);
      },
    });
    sim.start(id);
  }
  return {
    sim,
    envs,
    env: (id) => {
      const e = envs.get(id);
      if (e === undefined) throw new Error(`tab ${id} never started`);
      return e;
    },
    at: (ms, fn) => {
      sim.scheduler.at(ms * 1000, fn);
    },
  };
}

/** Trace records of `kind` (the simulation must keep all records). */
export function kinds(sim: Simulation, kind: string): { node: string; t: number; data: Record<string, unknown> }[] {
  const all = sim.trace.records();
  if (all === null) throw new Error('trace not kept');
  return all.filter((r) => r.kind === kind);
}

/**
 * Replaces device dev1's bus with one built from `options` (DeviceSpec cannot pass bus options yet).
 * Must be called before the tabs start: envs take the device's bus when they are built.
 */
export function withBus(sim: Simulation, options: BusOptions): SimBus {
  const bus = new SimBus(sim, 'dev1', options);
  (sim.device('dev1') as { bus: SimBus }).bus = bus;
  return bus;
}

/** Replaces device dev1's lock manager with one built from `options`; call before the tabs start. */
export function withLocks(sim: Simulation, options: LocksOptions): SimLocks {
  const locks = new SimLocks(sim, 'dev1', options);
  (sim.device('dev1') as { locks: SimLocks }).locks = locks;
  return locks;
}
