/** Deterministic values in [-1, 1) (xorshift32), so runs are comparable. */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = (s / 2147483648 - 1) * scale;
  }
  return a;
}
