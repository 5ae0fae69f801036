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

/** Whether the viewer's culprit ring is visible and horizontally inside the scrolled timeline (and on a `height`-px screen). */
export async function culpritRingInView(page: import('playwright-core').Page, height = Infinity): Promise<boolean> {
  const ring = page.locator('#culprit-ring');
  if (!(await ring.isVisible())) return false;
  const rb = (await ring.boundingBox())!;
  const sb = (await page.locator('#scroller').boundingBox())!;
  return rb.x >= sb.x && rb.x + rb.width <= sb.x + sb.width && rb.y + rb.height <= height;
}
