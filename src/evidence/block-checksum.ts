/**
 * The block checksums of the block store's documented format (docs/storage.md, "Checksums"), computed
 * here independently of `src/impl` so that evidence can tell intact block bytes from damaged ones.
 */

/** A block checksum algorithm named in the store's metadata. */
export type BlockAlgorithm = 'crc32' | 'fast';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected, as zlib's crc32). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
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

const cache = { crc32: new WeakMap<Uint8Array, number>(), fast: new WeakMap<Uint8Array, number>() };

/**
 * The checksum of `bytes` with `algorithm`, memoized per array: the simulator's durable contents are
 * immutable and shared, so an unchanged block is hashed once per run.
 */
export function blockChecksum(algorithm: BlockAlgorithm, bytes: Uint8Array): number {
  const memo = cache[algorithm];
  let sum = memo.get(bytes);
  if (sum === undefined) {
    sum = algorithm === 'crc32' ? crc32(bytes) : fastHash(bytes);
    memo.set(bytes, sum);
  }
  return sum;
}
