/**
 * Bisection over ascending arrays (numbers or strings), shared by the checks that look up times, versions or
 * keys in the lists they keep in trace order.
 */

/** How many leading elements of ascending `a` are at most `x` (the index of the first one above it). */
export function countAtMost<T extends number | string>(a: readonly T[], x: T): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many leading elements of ascending `a` are below `x` (the index of the first one at or above it). */
export function countBelow<T extends number | string>(a: readonly T[], x: T): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
