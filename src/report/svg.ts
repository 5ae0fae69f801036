/** Small helpers to write SVG and HTML text safely. */

/**
 * Characters XML 1.0 cannot hold at all, not even as character references: C0 controls but tab, LF and
 * CR; U+FFFE and U+FFFF; lone surrogates.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for HTML, SVG and XML content and attribute values. Characters XML cannot hold (a failure
 * message with terminal colour codes, a NUL) are written as visible `\uXXXX` text, so junit.xml and the
 * report stay well-formed.
 */
export function esc(s: string | number): string {
  return String(s)
    .replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Colour for a reach count relative to the largest count: red for never reached, then pale to deep green
 * on a log scale (so rare-but-reached stands apart from never).
 */
export function reachColour(count: number, max: number): string {
  if (count <= 0) return '#d93025';
  const f = max <= 1 ? 1 : Math.log(count + 1) / Math.log(max + 1);
  const light = Math.round(78 - 45 * f);
  return `hsl(135, 55%, ${light}%)`;
}

/** Rounds to 1 decimal for compact SVG coordinates. */
export function r1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}
