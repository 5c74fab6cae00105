/** max |a - b| over the compared elements divided by max |ref|: "error relative to the largest reference logit". */
export function relToMax(a: Float32Array, ref: Float32Array, include: (i: number) => boolean = () => true): number {
  if (a.length !== ref.length) throw new Error(`length ${a.length} vs ${ref.length}`);
  let err = 0; let big = 0;
  for (let i = 0; i < a.length; i++) {
    if (!include(i)) continue;
    err = Math.max(err, Math.abs(a[i] - ref[i]));
    big = Math.max(big, Math.abs(ref[i]));
  }
  return err / big;
}

export function argmax(a: Float32Array, from = 0, to = a.length): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (a[i] > a[best]) best = i;
  return best - from;
}
