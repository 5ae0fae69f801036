/**
 * Where the browser tests find Chromium: $CHROMIUM_PATH, else `chromium` on the PATH (Debian's package,
 * which CI installs in .ci/run); null when there is none (the tests then skip with a message).
 */
import { execFileSync } from 'node:child_process';

/** The Chromium executable, or null. */
export function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
