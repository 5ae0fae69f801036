// ESLint flat config.
// The rules that matter most here keep the simulated code deterministic: in src/impl and src/model nothing
// may reach real time, randomness, timers or I/O — everything comes through the simulated Env. The
// simulator also traps these at run time (src/sim/world.ts); lint catches them before a run does.
import tseslint from 'typescript-eslint';

const DETERMINISM = 'is forbidden in src/impl and src/model: use the Env (env.clock, env.random, env.disk, env.net)';

const bannedGlobals = [
  'Date',
  'performance',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'crypto',
].map((name) => ({ name, message: `${name} ${DETERMINISM}` }));

const bannedModules = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'dgram', 'timers', 'timers/promises', 'worker_threads', 'crypto', 'child_process', 'perf_hooks'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'reports/**', 'coverage/**', '**/*.d.ts'] },
  tseslint.configs.base,
  {
    files: ['**/*.ts', '**/*.js'],
    rules: {
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-fallthrough': 'error',
    },
  },
  {
    files: ['src/impl/**/*.ts', 'src/model/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...bannedGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: `Math.random ${DETERMINISM}` },
        { object: 'globalThis', property: 'Date', message: `Date ${DETERMINISM}` },
        { object: 'globalThis', property: 'performance', message: `performance ${DETERMINISM}` },
        { object: 'globalThis', property: 'crypto', message: `crypto ${DETERMINISM}` },
        { object: 'globalThis', property: 'setTimeout', message: `setTimeout ${DETERMINISM}` },
        { object: 'process', property: 'hrtime', message: `process.hrtime ${DETERMINISM}` },
        { object: 'process', property: 'nextTick', message: `process.nextTick ${DETERMINISM}` },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: bannedModules.flatMap((m) => [
            { name: m, message: `node:${m} ${DETERMINISM}` },
            { name: `node:${m}`, message: `node:${m} ${DETERMINISM}` },
          ]),
        },
      ],
    },
  },
  {
    // Imports run one way: the implementation knows only its Env interfaces.
    files: ['src/impl/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: bannedModules.flatMap((m) => [
            { name: m, message: `node:${m} ${DETERMINISM}` },
            { name: `node:${m}`, message: `node:${m} ${DETERMINISM}` },
          ]),
          patterns: [
            { group: ['**/sim/**', '**/model/**', '**/faults/**', '**/scenario/**', '**/runner/**'], message: 'src/impl imports only src/impl (the Env seam is src/impl/env.ts)' },
          ],
        },
      ],
    },
  },
  {
    // The simulator implements the Env seam: it knows src/impl's interfaces and nothing that checks or runs it.
    files: ['src/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/model/**', '**/evidence/**', '**/scenario/**', '**/runner/**', '**/faults/**', '**/cli/**', '**/report/**', '**/runtime/**'], message: 'src/sim imports only src/sim and src/impl (the Env seam)' },
          ],
        },
      ],
    },
  },
  {
    // The real runtime implements the same seam: what it shares with the simulator lives beside the seam
    // (src/impl/seam). Its run trace (RunTrace) writes ground truth with the evidence decoders of src/evidence,
    // the same the simulator's recorders use, so those are allowed too.
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/sim/**', '**/model/**', '**/scenario/**', '**/runner/**', '**/faults/**', '**/cli/**', '**/report/**'], message: 'src/runtime imports only src/runtime, src/impl (the Env seam) and src/evidence (its decoders)' },
          ],
        },
      ],
    },
  },
  {
    // A model derived from the code it checks checks nothing.
    files: ['src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: bannedModules.flatMap((m) => [
            { name: m, message: `node:${m} ${DETERMINISM}` },
            { name: `node:${m}`, message: `node:${m} ${DETERMINISM}` },
          ]),
          patterns: [
            { group: ['**/impl/**'], message: 'src/model never imports src/impl' },
            { group: ['**/sim/simulation*', '**/runner/**', '**/cli/**', '**/report/**', '**/runtime/**'], message: 'src/model reads the trace (src/model/check.ts), never the simulation, the runner or the tools' },
          ],
        },
      ],
      // Live checks (src/model/<area>/, docs/models.md "Layout") are typed against the scenario's `Check` and
      // `ScenarioContext`: types only, so that a check never runs scenario code (a workload, a program) of its own.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/scenario/**'], allowTypeImports: true, message: 'src/model imports only types from src/scenario (a live check\'s Check and ScenarioContext)' }] },
      ],
    },
  },
);
