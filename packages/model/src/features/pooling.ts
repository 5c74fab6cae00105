// Turning one sequence's hidden states [T, D] into a vector: the mean over its real tokens, or the state of
// its last real token (with left padding both ignore the pad positions), optionally scaled to unit L2 norm.

export type Pooling = 'mean' | 'last' | 'none';
export const POOLINGS: readonly Pooling[] = ['mean', 'last', 'none'];

/**
 * Row `row` of states [B, T, D] whose real tokens are its last `length` positions (left padding):
 * 'mean' -> [D] (float64 sums), 'last' -> [D], 'none' -> [length * D] without the padding.
 */
export function pool(states: Float32Array, t: number, d: number, row: number, length: number, pooling: Pooling): Float32Array {
  const first = (row * t + t - length) * d; // the first real token
  const end = (row + 1) * t * d;
  if (pooling === 'none') return states.slice(first, end);
  if (pooling === 'last') return states.slice(end - d, end);
  const sum = new Float64Array(d);
  for (let p = first; p < end; p += d) for (let j = 0; j < d; j++) sum[j]! += states[p + j]!; // j < d = sum.length; p + j < end <= states.length
  return Float32Array.from(sum, (s) => s / length);
}

/** x / ||x||_2 in place (norm in float64); a zero vector stays zero. For 'none', each token's row separately. */
export function l2Normalize(x: Float32Array, d: number): Float32Array {
  for (let p = 0; p < x.length; p += d) {
    let sq = 0;
    for (let j = p; j < p + d; j++) sq += x[j]! * x[j]!; // x.length is a multiple of d
    const norm = Math.sqrt(sq);
    if (norm > 0) for (let j = p; j < p + d; j++) x[j] = x[j]! / norm;
  }
  return x;
}

export function checkPooling(op: string, pooling: unknown): Pooling {
  if (!POOLINGS.includes(pooling as Pooling)) throw new RangeError(`${op}: pooling must be one of ${POOLINGS.join(', ')}, got ${String(pooling)}`);
  return pooling as Pooling;
}
