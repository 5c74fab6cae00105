// Float options meet the scores as float32 scalars (torch applies a Python float to a float32 tensor rounded to
// float32; the processors here do the same). A value that is not 0 but rounds to 0, or rounds to Infinity, would
// silently mean something else (temperature 1e-50 -> division by 0), so it is refused where options are checked.

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The smallest positive float32 (a subnormal). */
export const FLOAT32_MIN_POSITIVE = 1.401298464324817e-45;

/** Why `value` cannot be a float32 option (non-finite, or it under/overflows in float32), or null when it can. */
export function float32Problem(value: number): string | null {
  if (!Number.isFinite(value)) return 'must be a finite number';
  const f = Math.fround(value);
  if (!Number.isFinite(f)) return `overflows float32: the largest magnitude is ${FLOAT32_MAX.toPrecision(8)}`;
  if (f === 0 && value !== 0) return `underflows to 0 in float32: use 0, or a magnitude of at least ${FLOAT32_MIN_POSITIVE.toPrecision(2)}`;
  return null;
}
