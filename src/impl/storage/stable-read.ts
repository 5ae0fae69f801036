/**
 * Telling damage at rest from a flaky read. A read whose bytes fail their check may be a bit flipped on the
 * way (the medium is fine) or persistent damage. Persistent damage reads back the same wrong bytes every
 * time, through every path; flaky reads do not (though two of them can, by chance, flip the same bit).
 * So: read, alternating the primary path and an independent one, until the bytes check out ('ok'), or the
 * same failing bytes came back often enough, through both paths, that chance is out of the question
 * ('bad': damage at rest, confirmed), or the attempts run out: 'suspect' when some failing bytes repeated
 * without that confirmation, else 'unstable'. Only 'bad' may justify destroying anything (docs/storage.md).
 */

/** The verdict of a stable read. */
export type StableRead<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'missing' }
  | { kind: 'bad' }
  | { kind: 'suspect' }
  | { kind: 'unstable' };

/** Two ways to read one item (null: it does not exist). */
export interface ReadPaths {
  /** The ordinary read (readFile, one transaction). */
  primary(): Promise<Uint8Array | null>;
  /** Another path through the stack (a positional read, another transaction). */
  independent(): Promise<Uint8Array | null>;
}

/** When failing reads count as damage at rest. */
export interface StablePolicy {
  /** Identical failing reads of an item of `bytes` bytes needed. */
  confirmations(bytes: number): number;
  /** True: those reads must include both paths (and the reads alternate); false: primary path only. */
  bothPaths: boolean;
  /** Reads of one item before giving up ('suspect' or 'unstable'), given the confirmations it needs. */
  attempts(confirmations: number): number;
}

/**
 * The odds the real policy accepts that flaky reads agree by chance: 2^-COINCIDENCE_BITS. A flaky read
 * that flips one of n bits at random agrees with another with odds 1/n, so k identical failing reads
 * happen by chance with odds n^-(k-1): k grows as the item shrinks (a 4 KiB block needs 4, a 31-byte
 * marker 7).
 */
export const COINCIDENCE_BITS = 40;

/** The real policy: enough identical failing reads for 2^-COINCIDENCE_BITS odds, at least 3, through both paths. */
export const STABLE_POLICY: StablePolicy = {
  confirmations: (bytes) => Math.max(3, 1 + Math.ceil(COINCIDENCE_BITS / Math.log2(Math.max(2, bytes * 8)))),
  bothPaths: true,
  attempts: (confirmations) => 2 * confirmations + 2,
};

/** Variant 'storage-repair-on-transient-read': two identical failing reads of one path are enough. */
export const TRANSIENT_POLICY: StablePolicy = { confirmations: () => 2, bothPaths: false, attempts: () => 8 };

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Failure {
  bytes: Uint8Array;
  count: number;
  /** Bit 1: read through the primary path; bit 2: through the independent one. */
  paths: number;
}

/**
 * Reads through `paths` until `check` accepts the bytes (returning the value it parsed, or undefined to
 * reject them) or a verdict is reached under `policy`.
 */
export async function stableRead<T>(paths: ReadPaths, check: (bytes: Uint8Array) => T | undefined, policy: StablePolicy = STABLE_POLICY): Promise<StableRead<T>> {
  const failed: Failure[] = [];
  let attempts = 2; // until the first failing read sets the budget from its size
  for (let attempt = 0; attempt < attempts; attempt++) {
    const viaIndependent = policy.bothPaths && attempt % 2 === 1;
    const bytes = await (viaIndependent ? paths.independent() : paths.primary());
    if (bytes === null) return { kind: 'missing' };
    const value = check(bytes);
    if (value !== undefined) return { kind: 'ok', value };
    let f = failed.find((x) => same(x.bytes, bytes));
    if (f === undefined) failed.push((f = { bytes, count: 0, paths: 0 }));
    f.count++;
    f.paths |= viaIndependent ? 2 : 1;
    const needed = policy.confirmations(bytes.length);
    if (f.count >= needed && (!policy.bothPaths || f.paths === 3)) return { kind: 'bad' };
    attempts = Math.max(attempts, policy.attempts(needed));
  }
  return failed.some((f) => f.count >= 2) ? { kind: 'suspect' } : { kind: 'unstable' };
}

/** The same path twice (a backend with only one way to read, e.g. a test double). */
export function onePath(read: () => Promise<Uint8Array | null>): ReadPaths {
  return { primary: read, independent: read };
}
