// Model files are opened with O_NONBLOCK and checked with fstat before anything reads them: a FIFO (which
// would block a plain open or read forever), a device or a directory in a model directory is refused at
// once. Checking the opened descriptor, not the path, leaves no window for the file to be swapped between
// the check and the reads. O_NONBLOCK changes nothing for regular files; O_NOCTTY keeps a terminal device
// from becoming the process's controlling terminal before fstat refuses it.
//
// @gptj/tokenizer's read-regular-file.ts is this file's twin (async, and a missing file is not an error
// there). They stay two copies on purpose: the tokenizer depends on nothing of ours and the model does not
// depend on the tokenizer, and a shared package for some 40 lines would be one more package to publish.
// Keep their refusals in step: special files, I/O errors (open, fstat, read), the size bound, a short read, and
// text that is not UTF-8.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Why a path cannot be read as a model file; the caller wraps it in its own typed error. */
export type Refuse = (reason: string) => Error;

/** Opens `path` read-only; a missing, unreadable or non-regular file is `refuse(reason)`. Returns fd and size. */
export function openRegularFile(path: string, refuse: Refuse): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw refuse((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be opened (${errorCode(e)})`);
  }
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    throw refuse(`cannot be read (fstat: ${errorCode(e)})`);
  }
  if (!stats.isFile()) {
    closeSync(fd);
    throw refuse(`is ${kindOf(stats)}, not a regular file`);
  }
  return { fd, size: stats.size };
}

/** readSync of `length` bytes at file `position` into `into` at `offset`; an I/O error (EIO...) is `refuse(reason)`. */
export function readAt(fd: number, into: Uint8Array, offset: number, length: number, position: number, refuse: Refuse): number {
  try {
    return readSync(fd, into, offset, length, position);
  } catch (e) {
    throw refuse(`cannot be read (${errorCode(e)})`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The whole of a small regular file (config, shard index) as UTF-8 text, refusing files over `maxBytes`
 * and bytes that are not UTF-8 (transformers' json reader refuses them too; decoding them leniently
 * would turn them into U+FFFD).
 */
export function readRegularText(path: string, maxBytes: number, refuse: Refuse): string {
  const { fd, size } = openRegularFile(path, refuse);
  try {
    if (size > maxBytes) throw refuse(`is ${size} bytes, more than the ${maxBytes}-byte limit for this file`);
    const bytes = new Uint8Array(size);
    for (let done = 0; done < size; ) {
      const n = readAt(fd, bytes, done, size - done, done, refuse);
      if (n === 0) throw refuse(`shrank while being read (${done} of ${size} bytes)`);
      done += n;
    }
    try {
      return utf8.decode(bytes);
    } catch {
      throw refuse('is not valid UTF-8');
    }
  } finally {
    closeSync(fd);
  }
}

/** The errno code of an fs call's error (EIO, EACCES...), or its message when it has none. */
function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'a special file';
}
