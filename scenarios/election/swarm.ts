/**
 * Election under swarm faults: tab crashes (also at kv commits, bus posts and lock requests) and power
 * losses, frozen tabs, wall-clock jumps, clock drift and kv errors, drawn per seed, over a long run with
 * a steady write load; then healing, and a leader with every write settled.
 */
import type { SwarmOptions, TriggerOp } from '../../src/faults/swarm.ts';
import { electionScenario, steadyWrites } from './_common.ts';

const three = ['A', 'B', 'C'];

/**
 * Where triggered crashes (with or without power loss), pauses and clock jumps land: the operations the
 * tabs perform, with rough rates per tab (a no-fault run: the leader commits ~75/s, every tab reads the
 * record ~4/s or more and posts ~12/s; followers commit rarely, so low counts). Lock requests happen
 * only in lock mode, about once per tab start.
 */
const LEASE_TRIGGER_OPS: TriggerOp[] = [
  { area: 'kv', op: 'commit', perSec: 2 },
  { area: 'kv', op: 'get', perSec: 4 },
  { area: 'bus', op: 'post', perSec: 10 },
];

const swarm: SwarmOptions = {
  kinds: ['crash', 'pause', 'clockJump', 'clockDrift', 'diskError', 'taskDelay'],
  triggerOps: LEASE_TRIGGER_OPS,
  // The tabs' store is the kv store: disk errors must fail kv commits and reads (aimed at disk
  // operations, the swarm's default, they never landed).
  errorOps: [
    { area: 'kv', op: 'commit' },
    { area: 'kv', op: 'get' },
  ],
};

const lockSwarm: SwarmOptions = { ...swarm, triggerOps: [...LEASE_TRIGGER_OPS, { area: 'lock', op: 'request', perSec: 0.05 }] };

/**
 * The same swarm with half of its crashes, pauses, clock jumps and drifts aimed at the leader, whoever it
 * is when each fires (docs/faults.md, "Targets resolved when the fault fires"): a uniform draw over three
 * tabs spends two thirds of them on followers.
 */
const leaderSwarm: SwarmOptions = { ...swarm, targets: { selectors: [{ leader: 'election' }], probability: 0.5 } };

export default [
  electionScenario({
    name: 'election-swarm',
    description: 'Three tabs in lease mode under a swarm of crashes, pauses, clock jumps and drift, and kv errors for 20 s of steady writes.',
    suites: ['ci', 'nightly', 'default'],
    tabs: three,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, three, 100, 19_000, 25),
    faults: { swarm },
    durationMs: 20_000,
  }),
  electionScenario({
    name: 'election-swarm-lock',
    description: 'Three tabs in lock mode under the same swarm of faults for 20 s of steady writes.',
    suites: ['ci', 'nightly'],
    tabs: three,
    mode: 'lock',
    workload: (ctx) => steadyWrites(ctx, three, 100, 19_000, 25),
    faults: { swarm: lockSwarm },
    durationMs: 20_000,
  }),
  electionScenario({
    name: 'election-swarm-long',
    description: 'Three tabs in lease mode under the same swarm of faults for 120 s of steady writes (nightly).',
    suites: ['nightly'],
    tabs: three,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, three, 100, 119_000, 25),
    faults: { swarm },
    durationMs: 120_000,
  }),
  electionScenario({
    name: 'election-swarm-leader',
    description: 'Three tabs in lease mode under the same swarm for 20 s, with half of its crashes, pauses and clock faults aimed at whoever leads when they fire.',
    suites: ['nightly'],
    tabs: three,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, three, 100, 19_000, 25),
    faults: { swarm: leaderSwarm },
    durationMs: 20_000,
  }),
  electionScenario({
    name: 'election-swarm-short',
    description: 'A 5 s swarm run in lease mode, fast enough for the smoke suite.',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, three, 100, 4_500, 25),
    faults: { swarm },
    durationMs: 5_000,
  }),
];
