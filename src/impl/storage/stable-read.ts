/**
 * Telling rot from a flaky read. A read whose bytes fail their check may be a bit flipped on the way (the
 * medium is fine) or persistent damage. Persistent damage reads back the same wrong bytes every time; a
 * flaky read does not. So: read until the bytes check out, or until two reads return identical failing
 * bytes (persistent: 'bad'), or until the attempt limit ('unstable': no verdict, decide nothing).
 *
 * Recovery acts on 'bad' only (repairing or rolling back on a flaky read would destroy committed data).
 */

/** The verdict of a stable read. */
export type StableRead<T> = { kind: 'ok'; value: T } | { kind: 'missing' } | { kind: 'bad' } | { kind: 'unstable' };

/** Most reads of one item before giving up with 'unstable'. */
export const STABLE_READ_ATTEMPTS = 8;

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reads with `read` (null: the item does not exist) until `check` accepts the bytes (returning the value
 * it parsed, or undefined to reject them).
 */
export async function stableRead<T>(read: () => Promise<Uint8Array | null>, check: (bytes: Uint8Array) => T | undefined): Promise<StableRead<T>> {
  const failed: Uint8Array[] = [];
  for (let attempt = 0; attempt < STABLE_READ_ATTEMPTS; attempt++) {
    const bytes = await read();
    if (bytes === null) return { kind: 'missing' };
    const value = check(bytes);
    if (value !== undefined) return { kind: 'ok', value };
    if (failed.some((f) => same(f, bytes))) return { kind: 'bad' };
    failed.push(bytes);
  }
  return { kind: 'unstable' };
}
