/**
 * `xs[i]` where the caller's own logic keeps `i` in range (an index computed from the same array, a length
 * checked just before): out of range there is a bug in this package, not bad input, so it throws a plain
 * Error rather than one of the typed input errors, and never lets `undefined` flow on as a value.
 */
export function at<T>(xs: ArrayLike<T>, i: number): T {
  if (!Number.isInteger(i) || i < 0 || i >= xs.length) throw new Error(`internal error: index ${i} outside [0, ${xs.length})`);
  return xs[i] as T;
}
