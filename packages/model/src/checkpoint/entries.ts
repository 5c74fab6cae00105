import type { CheckpointFile } from './file.js';
import { CheckpointFormatError } from '../errors.js';

/** Element types a checkpoint may store (safetensors names). Only F32/F16/BF16 can become weights. */
export type StoredDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const STORED_DTYPE_SIZE: Readonly<Record<StoredDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isStoredDType(s: unknown): s is StoredDType {
  return typeof s === 'string' && Object.hasOwn(STORED_DTYPE_SIZE, s);
}

/** Where one tensor lives: `byteLength` contiguous row-major bytes at `offset` of `file`. Nothing is read yet. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: StoredDType;
  readonly shape: readonly number[];
  readonly file: CheckpointFile;
  readonly offset: number;
  readonly byteLength: number;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** [rows, cols] of an entry that must be a matrix (a linear weight); CheckpointFormatError naming it otherwise. */
export function matrixShape(e: TensorEntry): [number, number] {
  const [rows, cols, ...rest] = e.shape;
  if (rows === undefined || cols === undefined || rest.length) throw new CheckpointFormatError(e.file.name, `shape [${e.shape}] is not a matrix`, e.name);
  return [rows, cols];
}

/** Opened checkpoint: every tensor by name, and the files to close once the weights are loaded or copied. */
export interface Checkpoint {
  readonly format: 'safetensors' | 'pytorch';
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  close(): void;
}
