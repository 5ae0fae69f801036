/** Election scenarios without faults: tabs starting at the same instant, in both modes. */
import { electionScenario, steadyWrites } from './_common.ts';

const two = ['A', 'B'];
const three = ['A', 'B', 'C'];

export default [
  electionScenario({
    name: 'election-two-tabs-same-instant',
    description: 'Two tabs start at the same instant and race for the lease while both take writes; one leads, the other forwards, every write lands exactly once.',
    suites: ['smoke', 'ci', 'default'],
    tabs: two,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, two, 0, 3_000, 20),
    durationMs: 3_500,
  }),
  electionScenario({
    name: 'election-three-tabs-same-instant',
    description: 'Three tabs start at the same instant under a steady write load (lease mode).',
    suites: ['smoke', 'ci'],
    tabs: three,
    mode: 'lease',
    workload: (ctx) => steadyWrites(ctx, three, 0, 3_000, 15),
    durationMs: 3_500,
  }),
  electionScenario({
    name: 'election-three-tabs-lock-mode',
    description: 'Three tabs start at the same instant and elect a leader with the Web-Locks lock; the others forward.',
    suites: ['smoke', 'ci', 'default'],
    tabs: three,
    mode: 'lock',
    workload: (ctx) => steadyWrites(ctx, three, 0, 3_000, 15),
    durationMs: 3_500,
  }),
];
