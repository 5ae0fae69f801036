/**
 * The `syncbench` command line.
 *
 *   syncbench list [--json]
 *   syncbench run [scenario|suite ...] --seeds A..B [--variant NAME] [--json] [--fail-fast]
 *   syncbench replay <scenario> --seed N [--variant NAME] [--faults FILE] [--trace FILE]
 *                    [--node ID] [--kind PREFIX] [--from US] [--to US] [--quiet]
 *
 * Exit codes: 0 pass, 1 correctness failure, 2 liveness failure, 3 crash, 64 usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import { listCommand } from './list.ts';
import { replayCommandAction } from './replay.ts';
import { runCommand } from './run.ts';
import { UsageError } from './usage.ts';
import { EXIT_CODES } from '../scenario/types.ts';

function program(): Command {
  const p = new Command('syncbench')
    .description('Deterministic simulation and verification test bench for data-sync systems')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  p.command('list')
    .description('list scenarios with their suites, the suites, and the weakened implementation variants')
    .option('--json', 'print JSON for tools')
    .action(async (o: { json?: boolean }) => listCommand(o));

  p.command('run')
    .description('run scenarios or suites over a seed range')
    .argument('[targets...]', 'scenario or suite names', ['default'])
    .option('--seeds <A..B>', 'seed range (inclusive), or one seed', '0..9')
    .option('--variant <name>', 'weakened implementation variant (see list)')
    .option('--fail-fast', 'stop at the first failure')
    .option('--json', 'print one JSON result per line instead of the table')
    .option('--report <dir>', 'write results.json (and more) into this folder')
    .action(async (targets: string[], o: Record<string, unknown>) => runCommand(targets, o));

  p.command('replay')
    .description('re-run one seed and print its trace; the last line is the trace hash')
    .argument('<scenario>', 'scenario name')
    .requiredOption('--seed <n>', 'seed (integer or 0x hex)')
    .option('--variant <name>', 'weakened implementation variant')
    .option('--faults <file>', 'run with this fault plan (JSON) instead of the scenario\'s')
    .option('--trace <file>', 'write the whole trace as JSONL to this file')
    .option('--node <id>', 'print only records of this node')
    .option('--kind <prefix>', 'print only records whose kind starts with this')
    .addOption(new Option('--from <us>', 'print only records at or after this virtual time (µs)'))
    .addOption(new Option('--to <us>', 'print only records at or before this virtual time (µs)'))
    .option('--quiet', 'print only the verdict and the hash')
    .action(async (scenario: string, o: Record<string, unknown>) => replayCommandAction(scenario, o));
  return p;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const p = program();
  process.exitCode = undefined;
  try {
    await p.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return EXIT_CODES.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`syncbench: ${e.message}\n`);
      return EXIT_CODES.usage;
    }
    throw e;
  }
}
