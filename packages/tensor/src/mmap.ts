// mmapFile: zero-copy, read-only access to a file of any size (e.g. a 24 GB checkpoint).
// A file truncated in place while mapped (design in native/cpu/mapped_fault.h): every view and every
// op on a tensor over it checks the file first and throws MappedFileError naming it; a read that is
// already under way when the file shrinks ends the process with a line naming the file on stderr and
// exit code MAPPED_FILE_EXIT_CODE, instead of a silent SIGBUS.
import { TensorError } from './errors.js';
import { cpu } from './native.js';
import { callNative } from './native-errors.js';

/** Exit code of a process whose read of a mapped file faulted because the file was truncated meanwhile. */
export const MAPPED_FILE_EXIT_CODE = 74;

export interface MappedFile {
  readonly size: number;
  /**
   * Zero-copy bytes [offset, offset + length) of the file, mapped copy-on-write: writes never reach the file.
   * Views are per range because Node 20 cannot make one typed array over more than 4 GiB; each view keeps the
   * pages mapped while it is reachable, even after close(). Throws MappedFileError once the file is shorter than
   * when it was mapped. The view's pages are read in and mapped before it is returned (Linux: MADV_POPULATE_READ),
   * since a weight is read whole by the first forward; `{ populate: false }` leaves them to be faulted in as read,
   * for a view read only in part (an embedding table, of which a forward reads a few rows).
   */
  view(offset: number, length: number, opts?: { populate?: boolean }): Uint8Array;
  /** No new views; unmaps once the last view and the last tensor made from one (Tensor.fromBytes) are gone. */
  close(): void;
}

export function mmapFile(path: string): MappedFile {
  if (typeof path !== 'string' || path.length === 0) throw new TensorError('mmapFile: path must be a non-empty string');
  const { handle, size } = callNative('mmapFile', () => cpu.mmapOpen(path));
  let open = true;
  return {
    size,
    view(offset: number, length: number, opts: { populate?: boolean } = {}): Uint8Array {
      if (!open) throw new TensorError(`mmapFile: '${path}' has been closed`);
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        throw new TensorError(`mmapFile: view [${offset}, +${length}) is outside '${path}' (${size} bytes)`);
      }
      if (opts.populate !== undefined && typeof opts.populate !== 'boolean') {
        throw new TensorError(`mmapFile: populate must be a boolean, got ${typeof opts.populate}`);
      }
      return new Uint8Array(callNative('mmapFile', () => cpu.mmapView(handle, offset, length, opts.populate ?? true)));
    },
    close(): void {
      if (!open) return;
      open = false;
      cpu.mmapClose(handle);
    },
  };
}
