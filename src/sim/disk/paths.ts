/**
 * Disk paths: absolute, '/'-separated, no empty, '.' or '..' components, no trailing '/' (except the root).
 */

/** The root directory. It always exists and is always durable. */
export const ROOT = '/';

/** Throws a TypeError naming `field` when `path` is not a well-formed absolute path. */
export function checkPath(path: unknown, field: string): asserts path is string {
  if (typeof path !== 'string') throw new TypeError(`${field} must be a string, got ${typeof path}`);
  if (path === ROOT) return;
  if (!path.startsWith('/')) throw new TypeError(`${field} '${path}' must be absolute (start with '/')`);
  if (path.endsWith('/')) throw new TypeError(`${field} '${path}' must not end with '/'`);
  if (path.includes('\0')) throw new TypeError(`${field} must not contain NUL`);
  // Each component between slashes (a scan: no arrays or substrings) must not be '', '.' or '..'.
  for (let start = 1, i = 1; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== SLASH) continue;
    const n = i - start;
    const dots = n <= 2 && path.charCodeAt(start) === DOT && (n === 1 || path.charCodeAt(start + 1) === DOT);
    if (n === 0 || dots) throw new TypeError(`${field} '${path}' has an empty, '.' or '..' component`);
    start = i + 1;
  }
}

const SLASH = 47;
const DOT = 46;

/** The parent directory of a non-root path. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? ROOT : path.slice(0, i);
}

/** The directories above `path`, outermost first, root excluded ('/a/b/c' -> ['/a', '/a/b']). */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/** Number of components ('/' is 0, '/a/b' is 2); sorting by depth puts parents before children. */
export function depthOf(path: string): number {
  if (path === ROOT) return 0;
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}
