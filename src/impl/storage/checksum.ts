/**
 * Block checksums. Two algorithms, selectable per store: CRC-32 (IEEE 802.3, reflected, as zlib's
 * crc32) and a fast 32-bit multiplicative hash over 4-byte words (not cryptographic; it detects bit rot
 * and torn blocks, which is all a block checksum is for).
 */

/** A checksum algorithm name. */
export type ChecksumAlgorithm = 'crc32' | 'fast';

/** Every checksum algorithm, in a fixed order. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['crc32', 'fast'];

/** CRC-32 lookup tables for slicing-by-8: table k maps a byte to its CRC contribution k bytes earlier. */
const CRC_TABLES = ((): Uint32Array[] => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    tables.push(t);
  }
  return tables;
})();

/** CRC-32 of `data` (unsigned 32-bit), slicing-by-8. crc32('123456789') === 0xcbf43926. */
export function crc32(data: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = 0xffffffff;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Fast 32-bit hash of `data`: murmur3-style mixing of little-endian 4-byte words, then the tail. */
export function fastHash(data: Uint8Array): number {
  let h = 0x9747b28c ^ data.length;
  const words = data.length >>> 2;
  for (let w = 0; w < words; w++) {
    const i = w << 2;
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  for (let i = words << 2; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Checksum of `data` with `algorithm`. */
export function checksum(algorithm: ChecksumAlgorithm, data: Uint8Array): number {
  return algorithm === 'crc32' ? crc32(data) : fastHash(data);
}
