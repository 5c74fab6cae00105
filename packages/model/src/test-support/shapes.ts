import { at } from '../at.js';

/** [B, T] of fixture ids or a mask [B][T]: B rows of T (the first row's length; there is at least one row). */
export function batchShape(rows: readonly (readonly number[])[]): [number, number] {
  return [rows.length, at(rows, 0).length];
}

/** Whether position i of logits [B, T, V] is a real token under `mask` [B][T] (1), not left padding (0). */
export function realPosition(mask: readonly (readonly number[])[], vocab: number): (i: number) => boolean {
  const flat = mask.flat();
  return (i) => flat[Math.floor(i / vocab)] === 1;
}

/** [rows, cols] of a tensor the test knows to be a matrix. */
export function matrixDims(shape: readonly number[]): [number, number] {
  if (shape.length !== 2) throw new Error(`expected a matrix, got shape [${shape}]`);
  return [at(shape, 0), at(shape, 1)];
}
