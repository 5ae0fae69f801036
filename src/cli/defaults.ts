/**
 * Defaults the CLI's help text shows, in a module of their own: the help must not import the modules that
 * do the work (see main.ts).
 */

/** Default seeds per night (`syncbench nightly --size`). */
export const NIGHTLY_SIZE = 500;
