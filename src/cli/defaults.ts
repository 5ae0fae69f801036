/**
 * Defaults the CLI's help text shows, in a module of their own: the help must not import the modules that
 * do the work (see main.ts).
 */

/** Default seeds per night (`syncbench nightly --size`). */
export const NIGHTLY_SIZE = 500;

/** Where `run` writes its report (`--report`), and where `replay` finds the sweep to compare hashes with. */
export const DEFAULT_REPORT_DIR = 'reports/latest';
