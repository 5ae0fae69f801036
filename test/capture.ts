/**
 * Captures what the CLI writes while a test runs (in-process through main()): installs beforeEach and
 * afterEach hooks in the calling file; `out()` and `err()` read what was written to stdout and stderr
 * since the test began, `clear()` forgets it. Colour escapes are stripped: CI machines often set FORCE_COLOR,
 * and the assertions are about the words, not the colours.
 */
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, vi } from 'vitest';

export interface Captured {
  out(): string;
  err(): string;
  clear(): void;
}

export function captureOutput(): Captured {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());
  return {
    out: () => stripVTControlCharacters(out),
    err: () => stripVTControlCharacters(err),
    clear: () => {
      out = '';
      err = '';
    },
  };
}
