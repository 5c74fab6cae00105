/**
 * An array of `length` with only `values` set: the other indices are holes, which map, forEach, some and every skip,
 * so a check written with them passes a caller's sparse array by.
 */
export function withHoles<T>(length: number, values: Readonly<Record<number, T>> = {}): T[] {
  return Object.assign(new Array<T>(length), values);
}
