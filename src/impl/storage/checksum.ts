/**
 * Block checksums. Two algorithms, selectable per store: CRC-32 (IEEE 802.3, reflected, as zlib's
 * crc32) and a fast 32-bit multiplicative hash over 4-byte words (not cryptographic; it detects bit rot
 * and torn blocks, which is all a block checksum is for).
 */

/** A checksum algorithm name. */
export type ChecksumAlgorithm = 'crc32' | 'fast';

/** Every checksum algorithm, in a fixed order. */
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['crc32', 'fast'];

/**
 * CRC-32 lookup tables for slicing-by-8, in one array: entry `k * 256 + b` is byte b's contribution to the
 * CRC k bytes earlier (k = 0 is the classic byte-at-a-time table). One array rather than eight: V8 keeps
 * one base pointer instead of eight, which with the word reads below makes crc32 about 2x faster.
 */
const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

/** True where a Uint32Array reads 4 bytes as a little-endian word (every platform Node runs on today). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** CRC-32 of `data` (unsigned 32-bit), slicing-by-8. crc32('123456789') === 0xcbf43926. */
export function crc32(data: Uint8Array): number {
  const t = CRC_TABLE;
  let c = 0xffffffff;
  let i = 0;
  // Eight bytes a step, read as two little-endian 32-bit words when the bytes start 4-aligned (a block
  // does: it has a buffer of its own); the bytes left (or all of them, unaligned) one at a time below.
  if (LITTLE_ENDIAN && data.byteOffset % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
    const steps = data.length >>> 3;
    for (let s = 0; s < steps; s++) {
      const a = c ^ words[2 * s]!;
      const b = words[2 * s + 1]!;
      c =
        t[7 * 256 + (a & 0xff)]! ^
        t[6 * 256 + ((a >>> 8) & 0xff)]! ^
        t[5 * 256 + ((a >>> 16) & 0xff)]! ^
        t[4 * 256 + (a >>> 24)]! ^
        t[3 * 256 + (b & 0xff)]! ^
        t[2 * 256 + ((b >>> 8) & 0xff)]! ^
        t[256 + ((b >>> 16) & 0xff)]! ^
        t[b >>> 24]!;
    }
    i = steps * 8;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
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
