import { mmapFile } from '@gptj/tensor';

/** Zero-copy window onto a memory-mapped file. */
export interface MappedBytes {
  view(offset: number, length: number): Uint8Array;
  /** Detaches the JS views; the pages stay mapped while tensors made from them (Tensor.fromBytes) live. */
  close(): void;
}

// Node 20 caps a typed array at 2^32 elements, and mmapFile hands out the whole file as one Uint8Array.
const MAX_MAPPABLE = 2 ** 32;

/**
 * Maps a file of `size` bytes at `path`, or returns null when it is too large to view as one typed array
 * (callers then read tensors with pread instead: correct, but a copy).
 */
export function mapFile(path: string, size: number): MappedBytes | null {
  if (size > MAX_MAPPABLE) return null;
  const mapped = mmapFile(path);
  return { view: (offset, length) => mapped.bytes.subarray(offset, offset + length), close: () => mapped.close() };
}
