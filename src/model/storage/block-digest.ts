/**
 * The state digests, computed independently of the implementation from what the checker expects:
 * FNV-1a (32-bit, 8 hex digits) over `id:version,` for every allocated block in ascending id order
 * (`digest`), and over `id:commit,` for every tombstone (`tombstoneDigest`). Implementations report the
 * same digests in `store.recover.done` (docs/storage.md).
 */

/** FNV-1a (32-bit, 8 hex digits) over `key:value,` for every entry in ascending key order. */
function fnv<T>(map: ReadonlyMap<number, T>, value: (v: T) => number): string {
  let h = 0x811c9dc5;
  for (const id of [...map.keys()].sort((a, b) => a - b)) {
    const s = `${id}:${value(map.get(id)!)},`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Digest of a map of block id -> { v }. */
export function expectedDigest(blocks: ReadonlyMap<number, { v: number }>): string {
  return fnv(blocks, (b) => b.v);
}

/** Digest of the tombstones: `id:commit,` (commit that deallocated the block) in ascending id order. */
export function expectedTombstoneDigest(tombstones: ReadonlyMap<number, number>): string {
  return fnv(tombstones, (c) => c);
}

/** True when two byte arrays are equal (Buffer.equals, a memcmp, from 64 bytes: blocks are kilobytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length >= 64) return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
