/**
 * The exact command that replays a run. Every failure prints it; it must reproduce the same trace hash.
 */

/** Quotes an argument for a POSIX shell when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * `npx syncbench replay <scenario> --seed N [--variant V] [--faults FILE] [--workload-scale X]
 * [--scenarios-dir DIR]`; `scenariosDir` is given when the scenario was not loaded from the default folder
 * (see `replayScenariosDir`), or the printed command could not find it.
 */
export function replayCommand(scenario: string, seed: number, variant = '', faultsFile?: string, workloadScale = 1, scenariosDir?: string): string {
  const parts = ['npx', 'syncbench', 'replay', scenario, '--seed', String(seed)];
  if (variant !== '') parts.push('--variant', variant);
  if (faultsFile !== undefined) parts.push('--faults', faultsFile);
  if (workloadScale !== 1) parts.push('--workload-scale', String(Number(workloadScale.toPrecision(6))));
  if (scenariosDir !== undefined) parts.push('--scenarios-dir', scenariosDir);
  return parts.map(shellQuote).join(' ');
}
