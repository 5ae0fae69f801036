/** Small helpers to write SVG and HTML text safely. */

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
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
