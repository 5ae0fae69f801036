/** Election scenarios without faults: tabs starting at the same instant, in both modes, and write bursts over the pending bound. */
import { electionScenario, steadyWrites, writeAt } from './_common.ts';

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
  electionScenario({
    name: 'election-pending-bound',
    description:
      'Bursts of 40 writes at a follower and at the leader, over the bound of 16 pending writes: the writes beyond it fail at once with a definite EBUSY (never applied), the leader answers forwards beyond its queue bound with EBUSY and the followers retry; the rest land exactly once.',
    suites: ['smoke', 'ci'],
    tabs: two,
    mode: 'lease',
    startAtMs: { B: 100 },
    options: { pendingWritesMax: 16 },
    workload: (ctx) => {
      steadyWrites(ctx, two, 200, 2_500, 50);
      for (const [atMs, tab] of [[1_000, 'B'], [1_500, 'A'], [2_000, 'B']] as const) {
        ctx.at(atMs, () => {
          for (let k = 0; k < 40; k++) writeAt(ctx, tab);
        });
      }
    },
    durationMs: 3_000,
  }),
];
