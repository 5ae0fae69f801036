/**
 * The block checksums of the block store's documented format (docs/storage.md, "Checksums"), computed
 * here independently of `src/impl` so that evidence can tell intact block bytes from damaged ones.
 */

import * as zlib from 'node:zlib';

/** A block checksum algorithm named in the store's metadata. */
export type BlockAlgorithm = 'crc32' | 'fast';

/** CRC-32 tables for slicing-by-8: table k maps a byte to its contribution k bytes earlier. */
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

/** zlib's own CRC-32 (Node >= 20.15): about 5x faster than the loop below on a 2 KiB block. */
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE 802.3, reflected, as zlib's crc32): zlib's when Node has it, else `crc32Js`. */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32 !== undefined ? zlibCrc32(bytes) : crc32Js(bytes);
}

/** CRC-32 in JavaScript, eight bytes a step. */
export function crc32Js(bytes: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = 0xffffffff;
  let i = 0;
  for (const end = bytes.length - (bytes.length % 8); i < end; i += 8) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^ t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** 'fast': murmur3-style mixing of little-endian 4-byte words seeded with 0x9747b28c ^ length, then the tail bytes (FNV-style), then murmur3's finalizer. */
export function fastHash(bytes: Uint8Array): number {
  let h = 0x9747b28c ^ bytes.length;
  const words = bytes.length >>> 2;
  for (let w = 0; w < words; w++) {
    const i = w * 4;
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  for (let i = words * 4; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The checksum of `bytes` with `algorithm`. */
export function blockChecksum(algorithm: BlockAlgorithm, bytes: Uint8Array): number {
  return algorithm === 'crc32' ? crc32(bytes) : fastHash(bytes);
}
