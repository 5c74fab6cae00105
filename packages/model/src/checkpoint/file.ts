import { closeSync } from 'node:fs';
import { basename } from 'node:path';
import { mmapFile, type MappedFile } from '@gptj/tensor';
import { CheckpointFormatError } from '../errors.js';
import { openRegularFile, readAt } from './regular-file.js';

/**
 * One checkpoint file, opened once. Small reads (headers, pickles) and converting loads go through
 * `read` (pread into a fresh buffer: nothing stays resident); zero-copy loads take `view`s of a memory map
 * made on first use. Tensors made from views (Tensor.fromBytes) keep their pages mapped after close().
 */
export class CheckpointFile {
  readonly name: string;
  readonly size: number;
  private fd: number | null;
  private mapped: MappedFile | undefined; // made on the first view
  private readonly refuse = (reason: string) => new CheckpointFormatError(this.path, reason);

  constructor(readonly path: string) {
    this.name = basename(path);
    // A missing or special file (FIFO, device, directory), or one that fails to read (EIO), is refused naming its full path.
    ({ fd: this.fd, size: this.size } = openRegularFile(path, this.refuse));
  }

  /** Copies `length` bytes at `offset` into `into` (or a new buffer). */
  read(offset: number, length: number, into: Uint8Array = new Uint8Array(length)): Uint8Array {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    if (offset < 0 || offset + length > this.size) {
      throw new CheckpointFormatError(this.name, `read of ${length} bytes at ${offset} runs past the end of the file (${this.size} bytes)`);
    }
    let done = 0;
    while (done < length) {
      // 16 MiB reads: one huge read is several times slower here than a loop of moderate ones.
      const n = readAt(this.fd, into, done, Math.min(length - done, 16 << 20), offset + done, this.refuse);
      if (n === 0) throw new CheckpointFormatError(this.name, `unexpected end of file at ${offset + done}`);
      done += n;
    }
    return into.subarray(0, length);
  }

  /** Zero-copy, read-only bytes of the memory-mapped file; populate: false for one read only in part (MappedFile.view). */
  view(offset: number, length: number, populate = true): Uint8Array {
    if (offset < 0 || offset + length > this.size) {
      throw new CheckpointFormatError(this.name, `view of ${length} bytes at ${offset} runs past the end of the file (${this.size} bytes)`);
    }
    this.mapped ??= mmapFile(this.path);
    return this.mapped.view(offset, length, { populate });
  }

  /** Closes the descriptor and the map; tensors made from views keep their pages mapped until disposed. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.mapped?.close();
    this.mapped = undefined;
  }
}
