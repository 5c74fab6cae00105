import type { StoredDType } from './entries.js';

/** A tensor to write: its bytes come either at once or as a stream of chunks (so writers never hold a whole checkpoint). */
export interface TensorSource {
  readonly name: string;
  readonly dtype: StoredDType;
  readonly shape: readonly number[];
  /** Row-major little-endian bytes, all at once or as chunks that add up to the tensor's size. */
  readonly data: Uint8Array | (() => Iterable<Uint8Array>);
}

export function chunksOf(t: TensorSource): Iterable<Uint8Array> {
  return t.data instanceof Uint8Array ? [t.data] : t.data();
}
