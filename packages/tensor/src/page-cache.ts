// The kernel's page cache for a file: how much of it is resident, and dropping it after writing a
// checkpoint, so that its first load reads it back in large folios (see native/cpu/page_cache.cpp).
import { TensorError } from './errors.js';
import { cpu } from './native.js';
import { callNative } from './native-errors.js';

function checked<T>(op: string, path: unknown, f: () => T): T {
  if (typeof path !== 'string' || path.length === 0) throw new TensorError(`${op}: path must be a non-empty string`);
  return callNative(op, f);
}

/**
 * Writes the file's dirty pages back, then asks the kernel to drop its cached pages. Call it on a
 * large file just written (a converted or downloaded checkpoint): pages cached by the write stay in
 * 4 KiB folios, and a model mapped over them decodes several times slower than one read back in
 * large folios. The next read comes from disk.
 */
export function dropFileCache(path: string): void {
  checked('dropFileCache', path, () => cpu.dropFileCache(path));
}

/** Bytes of the file and how many of them are in the page cache (whole pages; mincore). */
export function fileCacheResidency(path: string): { size: number; resident: number } {
  return checked('fileCacheResidency', path, () => cpu.fileCacheResidency(path));
}
