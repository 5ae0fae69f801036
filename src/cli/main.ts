/**
 * The `syncbench` command line.
 *
 *   syncbench list [--json]
 *   syncbench run [scenario|suite ...] --seeds A..B [--workers N] [--shard i/n] [--variant NAME]
 *                 [--report DIR | --no-report] [--fail-fast] [--json] [--run-timeout S] [--max-heap MB]
 *                 [--check-determinism[=RATE]]
 *   syncbench run --corpus FILE [--workers N] [--shard i/n] [--report DIR | --no-report] [--json]
 *   syncbench nightly [targets...] [--run N | --date YYYY-MM-DD] [--size N] [--report DIR] ...
 *   syncbench explore <scenario|suite...> [--budget N] [--seeds-from S] [--corpus FILE]
 *   syncbench replay <scenario> --seed N [--variant NAME] [--faults FILE] [--workload-scale X]
 *                    [--trace FILE] [--jsonl] [--node ID] [--kind PREFIX] [--from TIME] [--to TIME] [--quiet]
 *                    [--corpus FILE --entry K] [--results FILE]
 *   syncbench shrink <scenario> --seed N [--variant NAME] [--out FILE] [--max-runs N] [--time-limit S]
 *   syncbench merge DIR... [--out DIR]
 *   syncbench coverage [DIR] [--json]
 *   syncbench view <trace.jsonl> [--out FILE.html]
 *   syncbench check-trace <area|scenario> <trace.jsonl> [--json]
 *
 * Every command takes --scenarios-dir DIR (default: scenarios/, or $SYNCBENCH_SCENARIOS).
 * Exit codes: 0 pass, 1 correctness failure, 2 liveness failure, 3 crash, 64 usage error (unknown
 * scenario, bad seed range, bad shard spec, corrupt results file, unwritable output...), 128+N stopped by
 * signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP; the finished runs are written, marked partial).
 * run, nightly, replay and shrink run seeds on worker threads under a watchdog (--run-timeout) and a heap
 * limit (--max-heap).
 */
import { Command, CommanderError, Option } from 'commander';
// The commands' modules are imported when their command runs: `syncbench --help` then loads commander and
// this file only, not the simulator, the models and the report writer (start-up time is what users feel).
import { NIGHTLY_SIZE } from './defaults.ts';
import { setParentAtStart } from './signals.ts';
import { packageVersion } from './version.ts';
import { printable } from './printable.ts';
import { UsageError } from './usage.ts';

export { printable };

/** The package's version (package.json, read once). */
const VERSION = packageVersion();
import { HEAP_MB, RUN_TIMEOUT_S } from '../runner/slot.ts';
import { EXIT_CODES } from '../scenario/types.ts';

const DIR_HELP = 'load scenarios from this folder (default scenarios/)';
const TIMEOUT_HELP = `wall-time budget of a run, seconds per simulated minute (default ${RUN_TIMEOUT_S}); a run over it is a crash (runner:watchdog)`;
const HEAP_HELP = `heap limit of each run's thread, MB (default ${HEAP_MB}); a run over it is a crash (runner:heap)`;

/** The options of commands that run seeds on threads under a watchdog. */
function limitOptions(c: Command): Command {
  return c.option('--run-timeout <s>', TIMEOUT_HELP).option('--max-heap <mb>', HEAP_HELP);
}

function runCmd(p: Command): void {
  p.command('run')
    .description('run scenarios or suites over a seed range on worker threads')
    .argument('[targets...]', 'scenario or suite names (default: the default suite)')
    .option('--seeds <A..B>', 'seed range (inclusive), or one seed (default 0..9)')
    .option('--workers <n>', 'worker threads (default: one per core)')
    .option('--shard <i/n>', 'run only shard i of n of the sweep (for CI matrices; merge the results)')
    .option('--variant <name>', 'weakened implementation variant (see list)')
    .option('--fail-fast', 'stop at the first failure')
    .option('--json', 'print one JSON result per line instead of progress and the table')
    .option('--report <dir>', 'write results.json, coverage.json, junit.xml and index.html here', 'reports/latest')
    .option('--no-report', 'write no report')
    .option('--corpus <file>', 'run the entries of a corpus file (their seeds, variants and plans) and check each gives its expected verdict')
    .option('--check-determinism [rate]', 'run a sample of the runs twice and compare their traces (alone: every run; a rate 0..1: that fraction; the ci suite uses 0.02 unless given)')
    .option('--scenarios-dir <dir>', DIR_HELP);
  limitOptions(p.commands.at(-1)!).action(async (targets: string[], o: Record<string, unknown>) => void (await (await import('./run.ts')).runCommand(targets, o)));
}

function nightlyCmd(p: Command): void {
  p.command('nightly')
    .description('sweep fresh seeds (a new range every run, from the CI run number or the date); failures become corpus entries')
    .argument('[targets...]', 'scenario or suite names (default: ci nightly)')
    .option('--run <n>', 'run number (default $GITHUB_RUN_NUMBER, else days since 2026-01-01)')
    .option('--date <YYYY-MM-DD>', 'derive the run number from this UTC date instead of today')
    .option('--size <n>', `seeds per run (default ${NIGHTLY_SIZE})`)
    .option('--check-determinism [rate]', 'run a sample of the runs twice and compare their traces (alone: every run; a rate 0..1)')
    .option('--variant <name>', 'weakened implementation variant (to see the failure path work)')
    .option('--workers <n>', 'worker threads (default: one per core)')
    .option('--shard <i/n>', 'run only shard i of n of the sweep')
    .option('--report <dir>', 'report folder (default reports/nightly)')
    .option('--json', 'print one JSON result per line instead of progress and the table')
    .option('--scenarios-dir <dir>', DIR_HELP);
  limitOptions(p.commands.at(-1)!).action(async (targets: string[], o: Record<string, unknown>) => (await import('./nightly.ts')).nightlyCommand(targets, o));
}

function exploreCmd(p: Command): void {
  p.command('explore')
    .description('model-guided exploration: aim fault plans at model states and transitions no run reached; keep runs that add coverage')
    .argument('<targets...>', 'scenario or suite names')
    .option('--budget <n>', 'runs per scenario (default 100)')
    .option('--seeds-from <n>', 'first fresh seed (default 0)')
    .option('--corpus <file>', 'corpus to start from (replayed first) and to write the kept runs to')
    .option('--scenarios-dir <dir>', DIR_HELP);
  limitOptions(p.commands.at(-1)!).action(async (targets: string[], o: Record<string, unknown>) => (await import('./explore.ts')).exploreCommand(targets, o));
}

function replayCmd(p: Command): void {
  p.command('replay')
    .description('re-run one seed and print its trace; the last line is the trace hash')
    .argument('<scenario>', 'scenario name')
    .requiredOption('--seed <n>', 'seed (integer or 0x hex)')
    .option('--variant <name>', 'weakened implementation variant')
    .option('--faults <file>', "run with this fault plan (JSON) instead of the scenario's")
    .option('--workload-scale <x>', 'workload scale in (0, 1] (from shrink)')
    .option('--trace <file>', 'write the whole trace as JSONL to this file')
    .option('--jsonl', 'print the (filtered) records as JSON lines instead of readable lines')
    .option('--node <id>', 'print only records of this node')
    .option('--kind <prefix>', 'print only records whose kind starts with this')
    .addOption(new Option('--from <time>', 'print only records at or after this virtual time (4.1s, 4100ms, 4100000us; a bare number is ms)'))
    .addOption(new Option('--to <time>', 'print only records at or before this virtual time (same units)'))
    .option('--quiet', 'print only the verdict and the hash')
    .option('--corpus <file>', 'replay entry --entry K of this corpus file (its variant, plan and scale)')
    .option('--entry <k>', 'the entry of --corpus to replay (0-based)')
    .option('--results <file>', "warn when the trace hash differs from this sweep's (default reports/latest/results.json)")
    .option('--scenarios-dir <dir>', DIR_HELP);
  limitOptions(p.commands.at(-1)!).action(async (scenario: string, o: Record<string, unknown>) => (await import('./replay.ts')).replayCommandAction(scenario, o));
}

function shrinkCmd(p: Command): void {
  p.command('shrink')
    .description('find a smaller fault plan and workload that still fail the same way; print the plan and its replay command')
    .argument('<scenario>', 'scenario name')
    .requiredOption('--seed <n>', 'the failing seed')
    .option('--variant <name>', 'weakened implementation variant')
    .option('--out <file>', 'where to save the minimal plan (default reports/shrunk/<scenario>-seed<N>.json)')
    .option('--max-runs <n>', 'most runs to try (default 400)')
    .option('--time-limit <s>', 'most seconds to spend (default 120)')
    .option('--scenarios-dir <dir>', DIR_HELP);
  limitOptions(p.commands.at(-1)!).action(async (scenario: string, o: Record<string, unknown>) => (await import('./shrink.ts')).shrinkCommand(scenario, o));
}

function resultCmds(p: Command): void {
  p.command('merge')
    .description('combine the results of shards (report folders or results.json files) into one report')
    .argument('<dirs...>', 'report folders or results.json files')
    .option('--out <dir>', 'report folder to write', 'reports/merged')
    .option('--no-timelines', 'do not re-run failing seeds for timelines')
    .option('--scenarios-dir <dir>', DIR_HELP)
    .action(async (dirs: string[], o: Record<string, unknown>) => (await import('./results-cmds.ts')).mergeCommand(dirs, o));
  p.command('coverage')
    .description('print model coverage (states, transitions, state-by-fault) and probes of a report')
    .argument('[dir]', 'report folder or results.json (default reports/latest)')
    .option('--json', 'print the coverage report as JSON')
    .option('--scenarios-dir <dir>', 'accepted for symmetry; coverage reads only the results file')
    .action(async (dir: string | undefined, o: Record<string, unknown>) => (await import('./results-cmds.ts')).coverageCommand(dir, o));
}

function program(): Command {
  const p = new Command('syncbench')
    .description('Deterministic simulation and verification test bench for data-sync systems')
    .version(VERSION, '-V, --version', 'print the version of syncbench')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(printable(s)) });
  p.command('list')
    .description('list scenarios with their suites, the suites, and the weakened implementation variants')
    .option('--json', 'print JSON for tools')
    .option('--scenarios-dir <dir>', DIR_HELP)
    .action(async (o: Record<string, unknown>) => (await import('./list.ts')).listCommand(o));
  runCmd(p);
  nightlyCmd(p);
  exploreCmd(p);
  replayCmd(p);
  shrinkCmd(p);
  resultCmds(p);
  p.command('view')
    .description('write a self-contained HTML trace viewer for a trace file replay --trace wrote')
    .argument('<trace>', 'a JSONL trace (replay --trace)')
    .option('--out <file>', 'the page to write (default: the trace path with .html)')
    .option('--scenarios-dir <dir>', DIR_HELP)
    .action(async (trace: string, o: Record<string, unknown>) => (await import('./view.ts')).viewCommand(trace, o));
  p.command('check-trace')
    .description("check a recorded trace (replay --trace, or a port's own) against an area's or a scenario's models and trace checks")
    .argument('<target>', 'an area (storage, election, client-server, provider) or a scenario name')
    .argument('<trace>', 'a JSONL trace file whose first record is the sim.begin header')
    .option('--json', 'print the verdict as JSON')
    .option('--scenarios-dir <dir>', DIR_HELP)
    .action(async (target: string, trace: string, o: Record<string, unknown>) => void (await (await import('./check-trace.ts')).checkTraceCommand(target, trace, o)));
  return p;
}

let pipeGuard = false;

/** `syncbench replay ... | head` closes stdout early: end quietly instead of dying of EPIPE. */
function quietOnClosedPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/**
 * `help NAME` where commander would print the general help as an error (exit 1) without saying why: for
 * `help help` print it as asked (exit 0); for a NAME that is no command report the unknown command (64).
 */
function helpTopic(p: Command, argv: readonly string[]): void {
  const [first, name] = argv;
  if (first !== 'help' || name === undefined || name.startsWith('-')) return;
  if (name === 'help') p.help();
  if (p.commands.some((c) => c.name() === name || c.aliases().includes(name))) return;
  p.error(`error: unknown command '${name}'`, { code: 'commander.unknownCommand' });
}

/**
 * Runs the CLI with `argv` (without node and script); resolves with the exit code. `start.parent`: the
 * parent process as bin/syncbench.js saw it before loading anything (signals.ts).
 */
export async function main(argv: string[], start: { parent?: number } = {}): Promise<number> {
  if (start.parent !== undefined) setParentAtStart(start.parent);
  quietOnClosedPipe();
  const p = program();
  process.exitCode = undefined;
  try {
    helpTopic(p, argv);
    await p.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      // Help asked for (`help`) is 0; help shown because no command was given is a usage error.
      if (e.code === 'commander.help') return e.exitCode === 0 ? 0 : EXIT_CODES.usage;
      return EXIT_CODES.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`syncbench: ${printable(e.message)}\n`);
      return EXIT_CODES.usage;
    }
    throw e;
  }
}
