/**
 * Pieces for the recorders that write a frequent fact's JSON by hand (Trace.emit's `dataJson`: it must be
 * exactly `JSON.stringify(data)`): a number's JSON, and the JSON of strings that repeat, cached.
 */

/** JSON text of a number, as JSON.stringify writes it (a non-finite number, or null, is null). */
export const numJson = (n: number | null): string => (n !== null && Number.isFinite(n) ? `${n}` : 'null');

/**
 * `JSON.stringify(s)` of strings that repeat (ids, keys), the first `limit` of them cached: for one
 * recorder of one run (made in its install). Null is 'null'.
 */
export function cachedJson(limit = 4096): (s: string | null) => string {
  const cached = new Map<string, string>();
  return (s) => {
    if (s === null) return 'null';
    let j = cached.get(s);
    if (j === undefined) {
      j = JSON.stringify(s);
      if (cached.size < limit) cached.set(s, j);
    }
    return j;
  };
}
