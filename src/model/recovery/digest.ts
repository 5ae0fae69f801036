/**
 * The state digest, computed independently of the implementation from what the checker expects:
 * FNV-1a (32-bit, 8 hex digits) over `id:version,` for every allocated block in ascending id order.
 * Implementations report the same digest in `store.recover.done` (docs/storage.md).
 */

/** Digest of a map of block id -> { v }. */
export function expectedDigest(blocks: ReadonlyMap<number, { v: number }>): string {
  let h = 0x811c9dc5;
  for (const id of [...blocks.keys()].sort((a, b) => a - b)) {
    const s = `${id}:${blocks.get(id)!.v},`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** True when two byte arrays are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
