import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/impl/storage/index.ts';

/** CRC-32 (IEEE) one bit at a time: the definition the fast table-driven version must match. */
function crc32Bitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32', () => {
  it('is the standard CRC-32 (check value of "123456789")', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('equals the bitwise definition for any bytes, at any offset in their buffer (the word-at-a-time path needs 4-aligned bytes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300, size: 'max' }), fc.integer({ min: 0, max: 7 }), (bytes, offset) => {
        const buffer = new Uint8Array(offset + bytes.length);
        buffer.set(bytes, offset);
        expect(crc32(buffer.subarray(offset))).toBe(crc32Bitwise(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
