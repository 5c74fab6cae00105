// Model files are opened with O_NONBLOCK and checked with fstat before anything reads them: a FIFO (which
// would block a plain open or read forever), a device or a directory in a model directory is refused at
// once. Checking the opened descriptor, not the path, leaves no window for the file to be swapped between
// the check and the reads. O_NONBLOCK changes nothing for regular files.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Why a path cannot be read as a model file; the caller wraps it in its own typed error. */
export type Refuse = (reason: string) => Error;

/** Opens `path` read-only; a missing, unreadable or non-regular file is `refuse(reason)`. Returns fd and size. */
export function openRegularFile(path: string, refuse: Refuse): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw refuse(code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? (e as Error).message})`);
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw refuse(`is ${kindOf(stats)}, not a regular file`);
  }
  return { fd, size: stats.size };
}

/** The whole of a small regular file (config, shard index) as UTF-8 text, refusing files over `maxBytes`. */
export function readRegularText(path: string, maxBytes: number, refuse: Refuse): string {
  const { fd, size } = openRegularFile(path, refuse);
  try {
    if (size > maxBytes) throw refuse(`is ${size} bytes, more than the ${maxBytes}-byte limit for this file`);
    const bytes = new Uint8Array(size);
    for (let done = 0; done < size; ) {
      const n = readSync(fd, bytes, done, size - done, done);
      if (n === 0) throw refuse(`shrank while being read (${done} of ${size} bytes)`);
      done += n;
    }
    return new TextDecoder().decode(bytes);
  } finally {
    closeSync(fd);
  }
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'a special file';
}
