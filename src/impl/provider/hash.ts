/**
 * Content hashes of the provider sync: the 32-bit FNV-1a hash of a string's UTF-16 code units as 8
 * lowercase hex digits (docs/provider-sync.md, Wire format). The provider stamps it on every file; the
 * library checks a downloaded content against it before storing it.
 */

/** FNV-1a of `s`, 8 lowercase hex digits. */
export function contentHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
