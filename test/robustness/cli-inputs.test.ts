/**
 * Hostile and malformed input to the `syncbench` command line, one row per input: every command and option
 * given unknown names, missing arguments, values of the wrong type (non-numbers, negative, zero, fractions,
 * NaN, Infinity, hex, huge, empty, blank, control bytes, unicode), bad seed ranges and shard specs, output
 * paths that cannot be written, and missing, corrupt or forged input files. Each row says the exit code
 * (0 pass, 64 usage) and what the message must say: the option, the value or the file that is wrong.
 * Every row also checks that stderr carries no raw stack trace and no raw ESC byte (what the user typed is
 * echoed with control bytes escaped as \xNN).
 *
 * Runs in-process through main(); no row starts a sweep: bad input fails validation before any run, and
 * the few rows that must get past it run one seed of a fast demo scenario in-process, without a report.
 * Files the rows read or write live in a fresh temporary folder (`@TMP@` in the table).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

/** Exit codes of the CLI. */
const PASS = 0;
const USAGE = 64;

/** Stands for the temporary folder in argv and environment values; replaced when the row runs. */
const T = '@TMP@';
const at = (...parts: string[]): string => [T, ...parts].join('/');

/** The project's scenarios folder (absolute, whatever the working folder). */
const SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

/** A fast scenario that validation can resolve; rows never get far enough to run it unless they say so. */
const R = 'demo-relay-line';
/** A scenario whose one seed runs in well under a second (for the rows that must get past validation). */
const FAST = 'demo-crash-after-ack';
/** A scenario watched by models (explore refuses scenarios without), quick to run once. */
const MODELLED = 'storage-torn-marker';
/** A seed and variant of FAST that fail, so shrink has something to shrink (with --max-runs 2: quick). */
const FAILING = ['shrink', FAST, '--seed', '7', '--variant', 'demo-ack-before-fsync', '--max-runs', '2'];

/** Environment variables the CLI reads; cleared for every row unless the row sets them. */
const ENV_KEYS = ['SYNCBENCH_SCENARIOS', 'GITHUB_RUN_NUMBER'] as const;

interface Case {
  argv: string[];
  code: number;
  /** What stderr must match (stdout for help output, `stdout: true`). */
  expect: RegExp;
  stdout?: boolean;
  env?: Partial<Record<(typeof ENV_KEYS)[number], string>>;
}

// ---------------------------------------------------------------------------------------------------------
// Input files, written into the temporary folder in beforeAll.

type Row = Record<string, unknown>;
interface ResultsJson {
  format: unknown;
  version: unknown;
  meta: Row;
  runs: Row[];
  scenarios: Record<string, Row & { coverage?: Row[] }>;
  models: Row;
}

/** A small valid results file (one passing run of R), changed by `patch`. */
function results(patch: (f: ResultsJson) => void = () => {}): string {
  const f: ResultsJson = {
    format: 'syncbench-results',
    version: 1,
    meta: { targets: [R], from: 0, to: 0, variant: '', shards: ['1/1'] },
    runs: [{ scenario: R, seed: 0, variant: '', verdict: 'pass', events: 1, traceRecords: 1, simTimeUs: 1, wallMs: 1, traceHash: 'abc', faultSummary: '' }],
    scenarios: { [R]: { suites: ['smoke'], models: ['m'], probesDeclared: [], probes: {}, faults: {}, coverage: [{ model: 'm', states: { a: 1 }, transitions: {}, stateFaults: {} }] } },
    models: {},
  };
  patch(f);
  return JSON.stringify(f);
}
const run0 = (f: ResultsJson): Row => f.runs[0]!;
const agg = (f: ResultsJson): Row & { coverage?: Row[] } => f.scenarios[R]!;

const corpus = (entries: unknown[]): string => JSON.stringify({ format: 'syncbench-corpus', version: 1, entries });

const FILES: Record<string, string> = {
  'a-file': 'not a folder\n',
  // Results files.
  'valid.json': results(),
  'corrupt.json': 'not json{\n',
  'truncated.json': results().slice(0, 120),
  'zero-bytes.json': '',
  'null.json': 'null\n',
  'array.json': '[]\n',
  'foreign.json': '{"hello":"world"}\n',
  'version-2.json': results((f) => (f.version = 2)),
  'negative-seed.json': results((f) => (run0(f).seed = -1)),
  'fraction-seed.json': results((f) => (run0(f).seed = 1.5)),
  'huge-seed.json': results((f) => (run0(f).seed = 2 ** 53)),
  'negative-events.json': results((f) => (run0(f).events = -3)),
  'fraction-events.json': results((f) => (run0(f).events = 2.5)),
  'negative-trace-records.json': results((f) => (run0(f).traceRecords = -5)),
  'negative-probe-count.json': results((f) => (agg(f).probes = { 'demo.p': -3 })),
  'negative-fault-count.json': results((f) => (agg(f).faults = { crash: -1 })),
  'negative-state-count.json': results((f) => (agg(f).coverage = [{ model: 'm', states: { a: -2 }, transitions: {}, stateFaults: {} }])),
  'reversed-meta.json': results((f) => Object.assign(f.meta, { from: 5, to: 1 })),
  'bad-verdict.json': results((f) => (run0(f).verdict = 'maybe')),
  'failed-without-failure.json': results((f) => (run0(f).verdict = 'correctness')),
  'results-folder/results.json/.keep': '',
  // Corpus files.
  'corpus-one.json': corpus([{ scenario: R, seed: 3, why: 'a row of the robustness test' }]),
  'corpus-empty.json': corpus([]),
  'corpus-unknown-scenario.json': corpus([{ scenario: 'no-such-scenario', seed: 3, why: 'x' }]),
  'corpus-unknown-variant.json': corpus([{ scenario: R, seed: 3, variant: 'no-such-variant', why: 'x' }]),
  'corpus-negative-seed.json': corpus([{ scenario: R, seed: -3, why: 'x' }]),
  // Fault plans.
  'plan-truncated.json': '{"events":[',
  'plan-not-a-plan.json': '{"events":5}',
  'plan-unknown-node.json': '{"events":[{"kind":"crash","node":"ZZ","atMs":10}]}',
  // Scenario folders: one whose module does not parse, one whose module exports no scenario.
  'broken-scenarios/package.json': '{"type":"module"}\n',
  'broken-scenarios/broken.ts': 'export default {;\n',
  'not-a-scenario/package.json': '{"type":"module"}\n',
  'not-a-scenario/five.ts': 'export default 5;\n',
};
/** Folders that exist and hold nothing. */
const EMPTY_DIRS = ['no-scenarios', 'no-results'];

// ---------------------------------------------------------------------------------------------------------
// The table.

const HELP = /Usage: syncbench \[options\] \[command\]/;
const SEED_RANGE = (s: string): RegExp => new RegExp(`seed range '${s.replace(/\./g, '\\.')}' is malformed: expected A\\.\\.B`);
const NOT_A_SEED = (s: string): RegExp => new RegExp(`seed '${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not a seed`);
const OUT_OF_RANGE = (s: string): RegExp => new RegExp(`seed '${s}' is out of range: at most 9007199254740991`);
const WORKERS = (s: string): RegExp => new RegExp(`--workers '${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' must be an integer 1\\.\\.256`);

const globalCases: Case[] = [
  { argv: [], code: USAGE, expect: HELP },
  { argv: ['bogus'], code: USAGE, expect: /unknown command 'bogus'/ },
  { argv: ['RUN'], code: USAGE, expect: /unknown command 'RUN'/ },
  { argv: [''], code: USAGE, expect: /unknown command ''/ },
  { argv: ['\u001b[31mred'], code: USAGE, expect: /unknown command '\\x1b\[31mred'/ },
  { argv: ['列表'], code: USAGE, expect: /unknown command '列表'/ },
  { argv: ['--bogus'], code: USAGE, expect: /unknown option '--bogus'/ },
  { argv: ['--version'], code: PASS, expect: /^\d+\.\d+\.\d+\n$/, stdout: true },
  { argv: ['--versions'], code: USAGE, expect: /unknown option '--versions'/ },
  { argv: ['-v'], code: USAGE, expect: /unknown option '-v'/ },
  { argv: ['help', 'bogus'], code: USAGE, expect: /unknown command 'bogus'/ },
  { argv: ['--help'], code: PASS, expect: HELP, stdout: true },
  { argv: ['help', 'run'], code: PASS, expect: /Usage: syncbench run \[options\] \[targets\.\.\.\]/, stdout: true },
  { argv: ['run', '--help'], code: PASS, expect: /--seeds <A\.\.B>/, stdout: true },
  { argv: ['replay', '-h'], code: PASS, expect: /--seed <n>/, stdout: true },
];

const listCases: Case[] = [
  { argv: ['list', 'extra'], code: USAGE, expect: /too many arguments for 'list'/ },
  { argv: ['list', '--bogus'], code: USAGE, expect: /unknown option '--bogus'/ },
  { argv: ['list', '--json=yes'], code: USAGE, expect: /unknown option '--json=yes'/ },
  { argv: ['list', '--scenarios-dir'], code: USAGE, expect: /option '--scenarios-dir <dir>' argument missing/ },
  { argv: ['list', '--scenarios-dir', at('missing')], code: USAGE, expect: /scenarios folder \S*\/missing: does not exist/ },
  { argv: ['list', '--scenarios-dir', at('a-file')], code: USAGE, expect: /scenarios folder \S*\/a-file: is a file, not a folder/ },
  { argv: ['list', '--scenarios-dir', at('no-scenarios')], code: USAGE, expect: /scenarios folder \S*\/no-scenarios: .*no scenario/ },
  { argv: ['list', '--scenarios-dir', ''], code: USAGE, expect: /scenarios folder: the path is empty/ },
  { argv: ['list', '--scenarios-dir', '   '], code: USAGE, expect: /scenarios folder: the path is empty/ },
  { argv: ['list', '--scenarios-dir', at('\u001b[31mdir')], code: USAGE, expect: /scenarios folder \S*\/\\x1b\[31mdir: does not exist/ },
  { argv: ['list', '--scenarios-dir', at('broken-scenarios')], code: USAGE, expect: /broken-scenarios\/broken\.ts: failed to load/ },
  { argv: ['list', '--scenarios-dir', at('not-a-scenario')], code: USAGE, expect: /not-a-scenario\/five\.ts: default export: is not a scenario object/ },
];

const envCases: Case[] = [
  { argv: ['list'], env: { SYNCBENCH_SCENARIOS: at('env-missing') }, code: USAGE, expect: /scenarios folder \S*\/env-missing: does not exist/ },
  { argv: ['list'], env: { SYNCBENCH_SCENARIOS: at('a-file') }, code: USAGE, expect: /scenarios folder \S*\/a-file: is a file, not a folder/ },
  { argv: ['list'], env: { SYNCBENCH_SCENARIOS: at('no-scenarios') }, code: USAGE, expect: /scenarios folder \S*\/no-scenarios: .*no scenario/ },
  { argv: ['list'], env: { SYNCBENCH_SCENARIOS: '' }, code: USAGE, expect: /SYNCBENCH_SCENARIOS/ },
  { argv: ['list'], env: { SYNCBENCH_SCENARIOS: '\u001b]0;title\u0007' }, code: USAGE, expect: /scenarios folder \\x1b\]0;title\\x07: does not exist/ },
  { argv: ['run', R, '--seeds', '0', '--no-report'], env: { SYNCBENCH_SCENARIOS: at('env-missing') }, code: USAGE, expect: /scenarios folder \S*\/env-missing: does not exist/ },
  { argv: ['replay', R, '--seed', '1'], env: { SYNCBENCH_SCENARIOS: at('a-file') }, code: USAGE, expect: /scenarios folder \S*\/a-file: is a file, not a folder/ },
  // --scenarios-dir wins over the variable.
  { argv: ['list', '--json', '--scenarios-dir', SCENARIOS], env: { SYNCBENCH_SCENARIOS: at('env-missing') }, code: PASS, expect: /"name": "demo-relay-line"/, stdout: true },
];

/** `run R --seeds <s>` (no report, one worker: nothing runs unless the seeds are valid). */
const seeds = (s: string, ...more: string[]): string[] => ['run', R, '--seeds', s, '--workers', '1', '--no-report', ...more];
/** `run R --seeds 0 <option> <value>`. */
const runWith = (...opt: string[]): string[] => ['run', R, '--seeds', '0', '--no-report', ...opt];

const runCases: Case[] = [
  // Targets and options.
  { argv: ['run', 'no-such-scenario', '--no-report'], code: USAGE, expect: /unknown scenario or suite 'no-such-scenario'; suites: / },
  { argv: ['run', '', '--no-report'], code: USAGE, expect: /unknown scenario or suite ''/ },
  { argv: ['run', 'demo-relay-lin', '--no-report'], code: USAGE, expect: /unknown scenario or suite 'demo-relay-lin' \(did you mean demo-relay-line\?\)/ },
  { argv: ['run', 'smoke', 'nope', '--no-report'], code: USAGE, expect: /unknown scenario or suite 'nope'/ },
  { argv: ['run', 'naïve-☃', '--no-report'], code: USAGE, expect: /unknown scenario or suite 'naïve-☃'/ },
  { argv: ['run', '\u001b]0;pwned\u0007', '--no-report'], code: USAGE, expect: /unknown scenario or suite '\\x1b\]0;pwned\\x07'/ },
  { argv: ['run', R, '--scenarios-dir', at('no-scenarios'), '--no-report'], code: USAGE, expect: /scenarios folder \S*\/no-scenarios: .*no scenario/ },
  { argv: ['run', R, '--bogus'], code: USAGE, expect: /unknown option '--bogus'/ },
  { argv: ['run', '-x'], code: USAGE, expect: /unknown option '-x'/ },
  { argv: ['run', R, '---seeds', '0'], code: USAGE, expect: /unknown option '---seeds'/ },
  { argv: ['run', R, '--seeds'], code: USAGE, expect: /option '--seeds <A\.\.B>' argument missing/ },
  // Seeds and ranges.
  { argv: seeds('5..1'), code: USAGE, expect: /seed range '5\.\.1' is empty: 1 < 5/ },
  { argv: ['run', R, '--seeds=5..1', '--no-report'], code: USAGE, expect: /seed range '5\.\.1' is empty/ },
  { argv: seeds('-1'), code: USAGE, expect: NOT_A_SEED('-1') },
  { argv: seeds('9007199254740992'), code: USAGE, expect: OUT_OF_RANGE('9007199254740992') },
  { argv: seeds('99999999999999999999'), code: USAGE, expect: OUT_OF_RANGE('99999999999999999999') },
  { argv: seeds('0x20000000000000'), code: USAGE, expect: OUT_OF_RANGE('0x20000000000000') },
  { argv: seeds('1..'), code: USAGE, expect: SEED_RANGE('1..') },
  { argv: seeds('..3'), code: USAGE, expect: SEED_RANGE('..3') },
  { argv: seeds('..'), code: USAGE, expect: SEED_RANGE('..') },
  { argv: seeds('1..2..3'), code: USAGE, expect: SEED_RANGE('1..2..3') },
  { argv: seeds(''), code: USAGE, expect: NOT_A_SEED('') },
  { argv: seeds(' '), code: USAGE, expect: NOT_A_SEED(' ') },
  { argv: seeds('NaN'), code: USAGE, expect: NOT_A_SEED('NaN') },
  { argv: seeds('Infinity'), code: USAGE, expect: NOT_A_SEED('Infinity') },
  { argv: seeds('1.5'), code: USAGE, expect: NOT_A_SEED('1.5') },
  { argv: seeds('1e3'), code: USAGE, expect: NOT_A_SEED('1e3') },
  { argv: seeds('+1'), code: USAGE, expect: NOT_A_SEED('+1') },
  { argv: seeds('0x'), code: USAGE, expect: NOT_A_SEED('0x') },
  { argv: seeds('0xg1'), code: USAGE, expect: NOT_A_SEED('0xg1') },
  { argv: seeds('１２'), code: USAGE, expect: NOT_A_SEED('１２') },
  { argv: seeds('\u001b[31m'), code: USAGE, expect: /seed '\\x1b\[31m' is not a seed/ },
  { argv: seeds('0..10000000'), code: USAGE, expect: /10000001 runs is more than the limit of 10000000; split the seed range/ },
  // Valid seeds (leading zeros, hex, the largest seed, blanks around): accepted, so --workers 0 is what fails.
  { argv: ['run', R, '--seeds', '007..009', '--workers', '0', '--no-report'], code: USAGE, expect: WORKERS('0') },
  { argv: ['run', R, '--seeds', '0x1f', '--workers', '0', '--no-report'], code: USAGE, expect: WORKERS('0') },
  { argv: ['run', R, '--seeds', '0x0000000000000000001', '--workers', '0', '--no-report'], code: USAGE, expect: WORKERS('0') },
  { argv: ['run', R, '--seeds', '9007199254740991', '--workers', '0', '--no-report'], code: USAGE, expect: WORKERS('0') },
  { argv: ['run', R, '--seeds', ' 1 .. 2 ', '--workers', '0', '--no-report'], code: USAGE, expect: WORKERS('0') },
  { argv: ['run', FAST, '--seeds', '00..0x0', '--workers', '1', '--no-report'], code: PASS, expect: /demo-crash-after-ack +1 +1 +0 +0 +0/, stdout: true },
  // Shards.
  { argv: runWith('--shard', '0/2'), code: USAGE, expect: /--shard '0\/2': i must be 1\.\.2/ },
  { argv: runWith('--shard', '3/2'), code: USAGE, expect: /--shard '3\/2': i must be 1\.\.2/ },
  { argv: runWith('--shard', '1/0'), code: USAGE, expect: /--shard '1\/0': n must be 1\.\.10000/ },
  { argv: runWith('--shard', '1/10001'), code: USAGE, expect: /--shard '1\/10001': n must be 1\.\.10000/ },
  { argv: runWith('--shard', 'a/b'), code: USAGE, expect: /--shard 'a\/b' is malformed: expected i\/n/ },
  { argv: runWith('--shard', '1/2/3'), code: USAGE, expect: /--shard '1\/2\/3' is malformed/ },
  { argv: runWith('--shard', '-1/2'), code: USAGE, expect: /--shard '-1\/2' is malformed/ },
  { argv: runWith('--shard', '1.5/2'), code: USAGE, expect: /--shard '1\.5\/2' is malformed/ },
  { argv: runWith('--shard', ''), code: USAGE, expect: /--shard '' is malformed/ },
  { argv: runWith('--shard', '\u001b[0m1/2'), code: USAGE, expect: /--shard '\\x1b\[0m1\/2' is malformed/ },
  // Workers.
  ...['0', '257', '1.5', '-1', 'abc', '', ' ', 'NaN', 'Infinity', '0x101', '1e100'].map((w): Case => ({ argv: runWith('--workers', w), code: USAGE, expect: WORKERS(w) })),
  // Variants.
  { argv: runWith('--variant', 'nope'), code: USAGE, expect: /unknown variant 'nope' \(known: demo-/ },
  { argv: runWith('--variant', 'DEMO-NO-PUSH'), code: USAGE, expect: /unknown variant 'DEMO-NO-PUSH'/ },
  { argv: runWith('--variant', '\u001b[31mx'), code: USAGE, expect: /unknown variant '\\x1b\[31mx'/ },
  // Report folders (checked before any run).
  { argv: ['run', R, '--seeds', '0', '--workers', '1', '--report', ''], code: USAGE, expect: /--report: the path is empty/ },
  { argv: ['run', R, '--seeds', '0', '--workers', '1', '--report', '  '], code: USAGE, expect: /--report: the path is empty/ },
  { argv: ['run', R, '--seeds', '0', '--workers', '1', '--report', at('a-file')], code: USAGE, expect: /--report \S*\/a-file: is a file, not a folder/ },
  { argv: ['run', R, '--seeds', '0', '--workers', '1', '--report', at('a-file', 'sub')], code: USAGE, expect: /--report \S*\/a-file\/sub: \S*\/a-file is a file, not a folder/ },
  { argv: ['run', R, '--seeds', '0', '--workers', '1', '--report', '/proc/syncbench-cli-inputs'], code: USAGE, expect: /--report \/proc\/syncbench-cli-inputs: cannot write there/ },
  { argv: ['run', R, '--seeds', '0', '--report'], code: USAGE, expect: /option '--report <dir>' argument missing/ },
  // Corpus runs.
  { argv: ['run', '--corpus', at('missing.json'), '--no-report'], code: USAGE, expect: /missing\.json: cannot read: ENOENT/ },
  { argv: ['run', '--corpus', at('corrupt.json'), '--no-report'], code: USAGE, expect: /corrupt\.json: corrupt corpus file \(not valid JSON/ },
  { argv: ['run', '--corpus', at('no-results'), '--no-report'], code: USAGE, expect: /no-results: cannot read: EISDIR/ },
  { argv: ['run', '--corpus', '', '--no-report'], code: USAGE, expect: /--corpus.*(empty|'')/ },
  { argv: ['run', R, '--corpus', at('corpus-one.json'), '--no-report'], code: USAGE, expect: /--corpus runs the entries of the file: it takes no scenario, suite, --seeds or --variant/ },
  { argv: ['run', '--seeds', '0', '--corpus', at('corpus-one.json'), '--no-report'], code: USAGE, expect: /--corpus runs the entries of the file: it takes no .*--seeds/ },
  { argv: ['run', '--variant', 'demo-no-push', '--corpus', at('corpus-one.json'), '--no-report'], code: USAGE, expect: /--corpus runs the entries of the file: it takes no .*--variant/ },
  { argv: ['run', '--corpus', at('corpus-empty.json'), '--no-report'], code: USAGE, expect: /corpus-empty\.json: the corpus has no entries/ },
  { argv: ['run', '--corpus', at('corpus-unknown-scenario.json'), '--no-report'], code: USAGE, expect: /corpus-unknown-scenario\.json: entries\[0\]: unknown scenario 'no-such-scenario'/ },
  { argv: ['run', '--corpus', at('corpus-unknown-variant.json'), '--no-report'], code: USAGE, expect: /corpus-unknown-variant\.json.*unknown variant 'no-such-variant'/ },
  { argv: ['run', '--corpus', at('corpus-negative-seed.json'), '--no-report'], code: USAGE, expect: /corpus-negative-seed\.json: entries\[0\]: seed must be an integer 0\.\.2\^53-1, got -3/ },
  { argv: ['run', '--corpus', at('corpus-one.json'), '--shard', '2/1', '--no-report'], code: USAGE, expect: /--shard '2\/1': i must be 1\.\.1/ },
];

/** `nightly <target> --run 0 ...` into a report folder of the temporary folder (nothing runs: each row fails first). */
const nightly = (target: string, ...opt: string[]): string[] => ['nightly', target, '--report', at('nightly-report'), ...opt];
const NO_TARGET = 'no-such-target';

const nightlyCases: Case[] = [
  { argv: nightly(NO_TARGET, '--run', '-1'), code: USAGE, expect: /run number '-1' must be an integer >= 0/ },
  { argv: nightly(NO_TARGET, '--run', 'abc'), code: USAGE, expect: /run number 'abc' must be an integer >= 0/ },
  { argv: nightly(NO_TARGET, '--run', '1.5'), code: USAGE, expect: /run number '1\.5' must be an integer >= 0/ },
  { argv: nightly(NO_TARGET, '--run', '9007199254740992'), code: USAGE, expect: /run number '9007199254740992' must be an integer >= 0/ },
  { argv: nightly(NO_TARGET, '--run', ''), code: USAGE, expect: /(--run|run number) ''/ },
  { argv: nightly(NO_TARGET, '--run', ' '), code: USAGE, expect: /(--run|run number) ' '/ },
  // The run number's seed range must fit below 2^53; the message must name --run, not a seed never typed.
  { argv: nightly(R, '--run', '9007199254740991', '--size', '1', '--workers', '1'), code: USAGE, expect: /(--run|run number) '?9007199254740991/ },
  { argv: nightly(NO_TARGET, '--run', '0'), code: USAGE, expect: /unknown scenario or suite 'no-such-target'/ },
  { argv: nightly(NO_TARGET), env: { GITHUB_RUN_NUMBER: 'abc' }, code: USAGE, expect: /GITHUB_RUN_NUMBER.*'abc'|'abc'.*GITHUB_RUN_NUMBER/ },
  { argv: nightly(NO_TARGET, '--date', '2025-12-31'), code: USAGE, expect: /the date is before 2026-01-01; give --run N/ },
  { argv: nightly(NO_TARGET, '--date', '2026-13-01'), code: USAGE, expect: /--date '2026-13-01' is not a date YYYY-MM-DD/ },
  { argv: nightly(NO_TARGET, '--date', '2026-02-30'), code: USAGE, expect: /--date '2026-02-30' is not a date/ },
  { argv: nightly(NO_TARGET, '--date', 'tomorrow'), code: USAGE, expect: /--date 'tomorrow' is not a date YYYY-MM-DD/ },
  { argv: nightly(NO_TARGET, '--date', '2026-1-1'), code: USAGE, expect: /--date '2026-1-1' is not a date YYYY-MM-DD/ },
  { argv: nightly(NO_TARGET, '--date', ''), code: USAGE, expect: /--date '' is not a date YYYY-MM-DD/ },
  { argv: nightly(NO_TARGET, '--date', '2026-06-01\u001b[2J'), code: USAGE, expect: /--date '2026-06-01\\x1b\[2J' is not a date/ },
  ...['0', '-5', '1.5', '1000001', '', 'abc'].map((s): Case => ({ argv: nightly(NO_TARGET, '--run', '0', '--size', s), code: USAGE, expect: new RegExp(`--size '${s.replace('.', '\\.')}' must be an integer 1\\.\\.1000000`) })),
  { argv: nightly(R, '--run', '0', '--size', '1', '--shard', '0/2'), code: USAGE, expect: /--shard '0\/2': i must be 1\.\.2/ },
  { argv: nightly(R, '--run', '0', '--size', '1', '--workers', '257'), code: USAGE, expect: WORKERS('257') },
  { argv: nightly(R, '--run', '0', '--size', '1', '--variant', 'nope'), code: USAGE, expect: /unknown variant 'nope'/ },
  { argv: ['nightly', R, '--run', '0', '--size', '1', '--workers', '1', '--report', ''], code: USAGE, expect: /--report: the path is empty/ },
  { argv: ['nightly', R, '--run', '0', '--size', '1', '--workers', '1', '--report', at('a-file', 'x')], code: USAGE, expect: /--report \S*\/a-file\/x: \S*\/a-file is a file, not a folder/ },
  { argv: ['nightly', '--seeds', '0..1'], code: USAGE, expect: /unknown option '--seeds'/ },
  { argv: ['nightly', '--no-report'], code: USAGE, expect: /unknown option '--no-report'/ },
  { argv: ['nightly', '--fail-fast'], code: USAGE, expect: /unknown option '--fail-fast'/ },
];

const exploreCases: Case[] = [
  { argv: ['explore'], code: USAGE, expect: /missing required argument 'targets'/ },
  { argv: ['explore', 'no-such-scenario'], code: USAGE, expect: /unknown scenario or suite 'no-such-scenario'/ },
  { argv: ['explore', R, '--bogus'], code: USAGE, expect: /unknown option '--bogus'/ },
  ...['0', '-1', 'abc', '1.5', '1000000000', ''].map((b): Case => ({ argv: ['explore', R, '--budget', b], code: USAGE, expect: new RegExp(`--budget '${b.replace('.', '\\.')}' must be an integer 1\\.\\.1000000`) })),
  { argv: ['explore', R, '--seeds-from', '-1'], code: USAGE, expect: NOT_A_SEED('-1') },
  { argv: ['explore', R, '--seeds-from', 'abc'], code: USAGE, expect: NOT_A_SEED('abc') },
  { argv: ['explore', R, '--seeds-from', '1.5'], code: USAGE, expect: NOT_A_SEED('1.5') },
  { argv: ['explore', R, '--seeds-from', '9007199254740992'], code: USAGE, expect: OUT_OF_RANGE('9007199254740992') },
  { argv: ['explore', R, '--budget', '1'], code: USAGE, expect: /no model watches demo-relay-line: exploration is guided by model coverage/ },
  { argv: ['explore', R, '--budget', '1', '--corpus', at('corrupt.json')], code: USAGE, expect: /corrupt\.json: corrupt corpus file/ },
  { argv: ['explore', R, '--budget', '1', '--corpus', at('no-results')], code: USAGE, expect: /no-results: cannot read: EISDIR/ },
  { argv: ['explore', R, '--budget', '1', '--corpus', at('corpus-negative-seed.json')], code: USAGE, expect: /corpus-negative-seed\.json: entries\[0\]: seed must be an integer/ },
  // The corpus it would write cannot be written: say so before exploring, not with a raw error after.
  { argv: ['explore', MODELLED, '--budget', '1', '--corpus', at('a-file', 'corpus.json')], code: USAGE, expect: /--corpus \S*\/a-file\/corpus\.json: .*a-file (is a file|is not a folder)/ },
];

/** `replay R --seed 1 ...`. */
const replay = (...opt: string[]): string[] => ['replay', R, '--seed', '1', ...opt];
const replay3 = (...opt: string[]): string[] => ['replay', R, '--seed', '3', ...opt];

const replayCases: Case[] = [
  { argv: ['replay', '--seed', '1'], code: USAGE, expect: /missing required argument 'scenario'/ },
  { argv: ['replay', R], code: USAGE, expect: /required option '--seed <n>' not specified/ },
  { argv: ['replay', R, 'extra', '--seed', '1'], code: USAGE, expect: /too many arguments for 'replay'/ },
  { argv: ['replay', R, '--seed', 'x'], code: USAGE, expect: NOT_A_SEED('x') },
  { argv: ['replay', R, '--seed', '-1'], code: USAGE, expect: NOT_A_SEED('-1') },
  { argv: ['replay', R, '--seed', ''], code: USAGE, expect: NOT_A_SEED('') },
  { argv: ['replay', R, '--seed', '1.5'], code: USAGE, expect: NOT_A_SEED('1.5') },
  { argv: ['replay', R, '--seed', '9007199254740992'], code: USAGE, expect: OUT_OF_RANGE('9007199254740992') },
  { argv: ['replay', R, '--seed', '\u001b[2J'], code: USAGE, expect: /seed '\\x1b\[2J' is not a seed/ },
  { argv: ['replay', 'no-such-scenario', '--seed', '1'], code: USAGE, expect: /unknown scenario or suite 'no-such-scenario'/ },
  { argv: ['replay', 'smoke', '--seed', '1'], code: USAGE, expect: /'smoke' is a suite; replay takes one scenario/ },
  { argv: replay('--variant', 'nope'), code: USAGE, expect: /unknown variant 'nope'/ },
  { argv: replay('--node'), code: USAGE, expect: /option '--node <id>' argument missing/ },
  // Time window.
  { argv: replay('--from', 'x'), code: USAGE, expect: /--from 'x' is not a time: give a number with a unit/ },
  { argv: replay('--from', '-5'), code: USAGE, expect: /--from '-5' is not a time/ },
  { argv: replay('--from', '', '--quiet'), code: USAGE, expect: /--from '' is not a time/ },
  { argv: replay('--to', 'NaN'), code: USAGE, expect: /--to 'NaN' is not a time/ },
  { argv: replay('--to', 'Infinity'), code: USAGE, expect: /--to 'Infinity' is not a time/ },
  { argv: replay('--to', ' ', '--quiet'), code: USAGE, expect: /--to ' ' is not a time/ },
  // Workload scale.
  ...['0', '2', '-1', 'abc', 'NaN', '', 'Infinity', '1e-400'].map((x): Case => ({ argv: replay('--workload-scale', x), code: USAGE, expect: new RegExp(`--workload-scale '${x}' must be a number in \\(0, 1\\]`) })),
  // Fault plans.
  { argv: replay('--faults', at('missing.json')), code: USAGE, expect: /--faults \S*\/missing\.json: ENOENT/ },
  { argv: replay('--faults', at('corrupt.json')), code: USAGE, expect: /--faults \S*\/corrupt\.json: Unexpected token/ },
  { argv: replay('--faults', at('plan-truncated.json')), code: USAGE, expect: /--faults \S*\/plan-truncated\.json: Unexpected end of JSON input/ },
  { argv: replay('--faults', at('plan-not-a-plan.json')), code: USAGE, expect: /--faults \S*\/plan-not-a-plan\.json: faults\.events: expected a list of events, got 5/ },
  { argv: replay('--faults', at('plan-unknown-node.json')), code: USAGE, expect: /--faults \S*\/plan-unknown-node\.json: faults\.events\[0\]\.node: unknown node 'ZZ'/ },
  { argv: replay('--faults', at('no-results')), code: USAGE, expect: /--faults \S*\/no-results: EISDIR/ },
  { argv: replay('--faults', ''), code: USAGE, expect: /--faults .*ENOENT/ },
  // Corpus entries.
  { argv: replay3('--corpus', at('corpus-one.json')), code: USAGE, expect: /--corpus FILE and --entry K go together/ },
  { argv: replay3('--entry', '0'), code: USAGE, expect: /--corpus FILE and --entry K go together/ },
  { argv: replay3('--corpus', at('corpus-one.json'), '--entry', '99'), code: USAGE, expect: /--entry '99' must be an integer 0\.\.0/ },
  { argv: replay3('--corpus', at('corpus-one.json'), '--entry', '-1'), code: USAGE, expect: /--entry '-1' must be an integer 0\.\.0/ },
  { argv: replay3('--corpus', at('corpus-one.json'), '--entry', 'abc'), code: USAGE, expect: /--entry 'abc' must be an integer 0\.\.0/ },
  { argv: replay3('--corpus', at('corpus-empty.json'), '--entry', '0'), code: USAGE, expect: /corpus-empty\.json.*no entries/ },
  { argv: ['replay', R, '--seed', '4', '--corpus', at('corpus-one.json'), '--entry', '0'], code: USAGE, expect: /corpus-one\.json entry 0 is demo-relay-line seed 3, not demo-relay-line seed 4/ },
  { argv: replay3('--corpus', at('corpus-one.json'), '--entry', '0', '--variant', 'demo-no-push'), code: USAGE, expect: /--variant cannot be combined with --corpus/ },
  { argv: replay3('--corpus', at('corpus-one.json'), '--entry', '0', '--faults', at('plan-unknown-node.json')), code: USAGE, expect: /--faults cannot be combined with --corpus/ },
  { argv: replay3('--corpus', at('corpus-one.json'), '--entry', '0', '--workload-scale', '0.5'), code: USAGE, expect: /--workload-scale cannot be combined with --corpus/ },
  { argv: replay3('--corpus', at('missing.json'), '--entry', '0'), code: USAGE, expect: /missing\.json: cannot read: ENOENT/ },
  { argv: replay3('--corpus', at('corrupt.json'), '--entry', '0'), code: USAGE, expect: /corrupt\.json: corrupt corpus file/ },
  // Trace files.
  { argv: replay('--trace', at('missing', 't.jsonl')), code: USAGE, expect: /--trace \S*\/missing\/t\.jsonl: folder \S*\/missing does not exist/ },
  { argv: replay('--trace', at('no-results')), code: USAGE, expect: /--trace \S*\/no-results: is a folder, not a file/ },
  { argv: replay('--trace', at('a-file', 't.jsonl')), code: USAGE, expect: /--trace \S*\/a-file\/t\.jsonl: \S*\/a-file is not a folder/ },
  { argv: replay('--trace', ''), code: USAGE, expect: /--trace.*empty/ },
  { argv: replay('--trace', '/proc/syncbench-cli-inputs.jsonl', '--quiet'), code: USAGE, expect: /--trace \/proc\/syncbench-cli-inputs\.jsonl: cannot write/ },
];

const shrink = (...opt: string[]): string[] => ['shrink', R, '--seed', '0', '--out', at('shrunk.json'), ...opt];

const shrinkCases: Case[] = [
  { argv: ['shrink', '--seed', '1'], code: USAGE, expect: /missing required argument 'scenario'/ },
  { argv: ['shrink', R], code: USAGE, expect: /required option '--seed <n>' not specified/ },
  { argv: ['shrink', R, '--seed', 'x'], code: USAGE, expect: NOT_A_SEED('x') },
  { argv: ['shrink', R, '--seed', '-1'], code: USAGE, expect: NOT_A_SEED('-1') },
  { argv: ['shrink', 'no-such-scenario', '--seed', '1'], code: USAGE, expect: /unknown scenario or suite 'no-such-scenario'/ },
  { argv: ['shrink', 'smoke', '--seed', '1'], code: USAGE, expect: /'smoke' is a suite; shrink takes one scenario/ },
  { argv: shrink('--variant', 'nope'), code: USAGE, expect: /unknown variant 'nope'/ },
  ...['0', '-1', 'abc', '1.5', '100001', ''].map((n): Case => ({ argv: shrink('--max-runs', n), code: USAGE, expect: new RegExp(`--max-runs '${n.replace('.', '\\.')}' must be an integer 1\\.\\.100000`) })),
  ...['-1', '0', '1.5', '86401', 'abc'].map((s): Case => ({ argv: shrink('--time-limit', s), code: USAGE, expect: new RegExp(`--time-limit '${s.replace('.', '\\.')}' must be an integer 1\\.\\.86400`) })),
  // A seed that passes: nothing to shrink, named.
  { argv: shrink(), code: USAGE, expect: /demo-relay-line seed 0 passes: nothing to shrink/ },
  { argv: ['shrink', FAST, '--seed', '0', '--out', at('shrunk.json')], code: USAGE, expect: /demo-crash-after-ack seed 0 passes: nothing to shrink/ },
  { argv: shrink('--out'), code: USAGE, expect: /option '--out <file>' argument missing/ },
  // Where the plan goes must be checked before shrinking, and reported as a usage error, not a raw error after.
  { argv: [...FAILING, '--out', at('a-file', 'plan.json')], code: USAGE, expect: /--out \S*\/a-file\/plan\.json: .*a-file (is a file|is not a folder)/ },
  { argv: [...FAILING, '--out', at('no-results')], code: USAGE, expect: /--out \S*\/no-results: is a folder/ },
];

const merge = (...inputs: string[]): string[] => ['merge', ...inputs, '--no-timelines', '--out', at('merged')];

const mergeCases: Case[] = [
  { argv: ['merge'], code: USAGE, expect: /missing required argument 'dirs'/ },
  { argv: ['merge', at('valid.json'), '--bogus'], code: USAGE, expect: /unknown option '--bogus'/ },
  { argv: merge(at('missing')), code: USAGE, expect: /\/missing\/results\.json: cannot read: ENOENT/ },
  { argv: merge(at('no-results')), code: USAGE, expect: /\/no-results\/results\.json: cannot read: ENOENT/ },
  { argv: merge(at('results-folder')), code: USAGE, expect: /\/results-folder\/results\.json: cannot read: EISDIR/ },
  { argv: merge(at('valid.json'), at('missing')), code: USAGE, expect: /\/missing\/results\.json: cannot read: ENOENT/ },
  { argv: merge(''), code: USAGE, expect: /(path is empty|'')/ },
  { argv: merge(at('\u001b[1mx')), code: USAGE, expect: /\/\\x1b\[1mx\/results\.json: cannot read: ENOENT/ },
  { argv: merge(at('corrupt.json')), code: USAGE, expect: /corrupt\.json: corrupt results file \(not valid JSON/ },
  { argv: merge(at('truncated.json')), code: USAGE, expect: /truncated\.json: corrupt results file \(not valid JSON: .*(end|Unterminated)/ },
  { argv: merge(at('zero-bytes.json')), code: USAGE, expect: /zero-bytes\.json: corrupt results file \(not valid JSON: Unexpected end of JSON input/ },
  { argv: merge(at('null.json')), code: USAGE, expect: /null\.json: is not a JSON object/ },
  { argv: merge(at('array.json')), code: USAGE, expect: /array\.json: (is not a JSON object|format is undefined)/ },
  { argv: merge(at('foreign.json')), code: USAGE, expect: /foreign\.json: format is undefined, expected 'syncbench-results' \(not a syncbench results file\)/ },
  { argv: merge(at('version-2.json')), code: USAGE, expect: /version-2\.json: version 2 is not supported \(expected 1\)/ },
  { argv: merge(at('negative-seed.json')), code: USAGE, expect: /negative-seed\.json: runs\[0\]\.seed -1 is out of range/ },
  { argv: merge(at('fraction-seed.json')), code: USAGE, expect: /fraction-seed\.json: runs\[0\]\.seed 1\.5/ },
  { argv: merge(at('huge-seed.json')), code: USAGE, expect: /huge-seed\.json: runs\[0\]\.seed 9007199254740992 is out of range/ },
  { argv: merge(at('negative-events.json')), code: USAGE, expect: /negative-events\.json: runs\[0\]: events, simTimeUs or wallMs is negative/ },
  { argv: merge(at('fraction-events.json')), code: USAGE, expect: /fraction-events\.json: runs\[0\].*events/ },
  { argv: merge(at('negative-trace-records.json')), code: USAGE, expect: /negative-trace-records\.json: runs\[0\].*traceRecords/ },
  { argv: merge(at('negative-probe-count.json')), code: USAGE, expect: /negative-probe-count\.json: scenarios\.demo-relay-line\.probes/ },
  { argv: merge(at('negative-fault-count.json')), code: USAGE, expect: /negative-fault-count\.json: scenarios\.demo-relay-line\.faults/ },
  { argv: merge(at('negative-state-count.json')), code: USAGE, expect: /negative-state-count\.json: scenarios\.demo-relay-line\.coverage\[0\]\.states/ },
  { argv: merge(at('reversed-meta.json')), code: USAGE, expect: /reversed-meta\.json: meta: seed range 5\.\.1 is not a range of seeds/ },
  { argv: merge(at('bad-verdict.json')), code: USAGE, expect: /bad-verdict\.json: runs\[0\]\.verdict 'maybe' is not a verdict/ },
  { argv: merge(at('failed-without-failure.json')), code: USAGE, expect: /failed-without-failure\.json: runs\[0\]: a failed run has no failure/ },
  { argv: merge(at('valid.json'), at('valid.json')), code: USAGE, expect: /demo-relay-line seed 0 is also in \S*valid\.json; shards must not overlap/ },
  { argv: ['merge', at('valid.json'), '--out', ''], code: USAGE, expect: /--out: the path is empty/ },
  { argv: ['merge', at('valid.json'), '--out', at('a-file')], code: USAGE, expect: /--out \S*\/a-file: is a file, not a folder/ },
  { argv: ['merge', at('valid.json'), '--out', at('a-file', 'sub')], code: USAGE, expect: /--out \S*\/a-file\/sub: \S*\/a-file is a file, not a folder/ },
  { argv: ['merge', at('valid.json'), '--out', '/proc/syncbench-cli-inputs'], code: USAGE, expect: /--out \/proc\/syncbench-cli-inputs: cannot write there/ },
];

const coverageCases: Case[] = [
  { argv: ['coverage', 'a', 'b'], code: USAGE, expect: /too many arguments for 'coverage'/ },
  { argv: ['coverage', '--bogus'], code: USAGE, expect: /unknown option '--bogus'/ },
  { argv: ['coverage', at('missing')], code: USAGE, expect: /\/missing\/results\.json: cannot read: ENOENT/ },
  { argv: ['coverage', at('no-results')], code: USAGE, expect: /\/no-results\/results\.json: cannot read: ENOENT/ },
  { argv: ['coverage', ''], code: USAGE, expect: /(path is empty|'')/ },
  { argv: ['coverage', at('\u001b[1mx')], code: USAGE, expect: /\/\\x1b\[1mx\/results\.json: cannot read: ENOENT/ },
  { argv: ['coverage', at('corrupt.json')], code: USAGE, expect: /corrupt\.json: corrupt results file \(not valid JSON/ },
  { argv: ['coverage', at('truncated.json')], code: USAGE, expect: /truncated\.json: corrupt results file/ },
  { argv: ['coverage', at('foreign.json'), '--json'], code: USAGE, expect: /foreign\.json: format is undefined/ },
  { argv: ['coverage', at('negative-seed.json')], code: USAGE, expect: /negative-seed\.json: runs\[0\]\.seed -1 is out of range/ },
  { argv: ['coverage', at('fraction-seed.json')], code: USAGE, expect: /fraction-seed\.json: runs\[0\]\.seed 1\.5/ },
  { argv: ['coverage', at('negative-probe-count.json')], code: USAGE, expect: /negative-probe-count\.json: scenarios\.demo-relay-line\.probes/ },
  { argv: ['coverage', at('negative-state-count.json')], code: USAGE, expect: /negative-state-count\.json: scenarios\.demo-relay-line\.coverage\[0\]\.states/ },
  { argv: ['coverage', at('valid.json')], code: PASS, expect: /model m: states 1\/1/, stdout: true },
];

const TABLE: readonly (readonly [string, Case[]])[] = [
  ['syncbench', globalCases],
  ['list', listCases],
  ['SYNCBENCH_SCENARIOS', envCases],
  ['run', runCases],
  ['nightly', nightlyCases],
  ['explore', exploreCases],
  ['replay', replayCases],
  ['shrink', shrinkCases],
  ['merge', mergeCases],
  ['coverage', coverageCases],
];

/** A readable, unique-enough test name: the environment set, the argv (control bytes escaped), the code. */
function label(c: Case): string {
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)} `);
  const args = c.argv.map((a) => (/^[\w@/.:=-]+$/.test(a) ? a : JSON.stringify(a)));
  return `${env.join('')}${['syncbench', ...args].join(' ')} -> ${c.code}`;
}

// ---------------------------------------------------------------------------------------------------------
// The harness.

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'syncbench-cli-inputs-'));
  for (const [name, text] of Object.entries(FILES)) {
    const file = path.join(tmp, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  for (const d of EMPTY_DIRS) mkdirSync(path.join(tmp, d));
});
afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

let out = '';
let err = '';
let exitCodeBefore: typeof process.exitCode;
beforeEach(() => {
  out = '';
  err = '';
  exitCodeBefore = process.exitCode;
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = exitCodeBefore;
});

const fill = (s: string): string => s.split(T).join(tmp);

/** Runs main() with the row's argv and environment; a rejection is recorded as the user would see it. */
async function runCase(c: Case): Promise<number | string> {
  const saved = new Map(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  for (const [k, v] of Object.entries(c.env ?? {})) process.env[k] = fill(v);
  try {
    return await main(c.argv.map(fill));
  } catch (e) {
    // bin/syncbench.js does not catch: Node prints the error with its stack and exits 1.
    err += `${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`;
    return `threw ${e instanceof Error ? e.name : typeof e} (exit 1)`;
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

it('the table has at least 110 rows, each with a message that names something', () => {
  const rows = TABLE.flatMap(([, cases]) => cases);
  expect(rows.length).toBeGreaterThanOrEqual(110);
  for (const c of rows) expect(c.expect.source).not.toMatch(/^\^?syncbench:?\$?$/);
});

for (const [command, cases] of TABLE) {
  describe(command, () => {
    it.each(cases.map((c): [string, Case] => [label(c), c]))(
      '%s',
      async (_name, c) => {
        const code = await runCase(c);
        const firstLine = err.split('\n')[0] ?? '';
        expect(code, `exit code; stderr starts: ${firstLine}`).toBe(c.code);
        const text = c.stdout === true ? out : err;
        expect(text, `${c.stdout === true ? 'stdout' : 'stderr'} starts: ${text.split('\n')[0] ?? ''}`).toMatch(c.expect);
        expect(err, 'stderr has a raw stack trace').not.toContain('\n    at ');
        expect(err, 'stderr has a raw ESC byte').not.toContain('\u001b');
      },
      20_000,
    );
  });
}
