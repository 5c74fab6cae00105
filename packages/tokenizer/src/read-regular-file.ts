// @gptj/model's checkpoint/regular-file.ts is this file's twin (sync, and a missing file is an error
// there). They stay two copies on purpose: this package depends on nothing of ours and the model does not
// depend on the tokenizer, and a shared package for some 40 lines would be one more package to publish.
// Keep their refusals in step: special files, the size bound, a short read, and text that is not UTF-8.
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { TokenizerLoadError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What a non-regular file is, for the error message. */
function kind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * The UTF-8 text of the regular file at `path`, or undefined if there is none. A FIFO, device, socket or
 * directory is refused without reading it (reading a FIFO blocks until a writer comes, possibly forever):
 * the file is opened with O_NONBLOCK, so that opening a FIFO returns at once, and the open descriptor is
 * checked with fstat, so nothing can swap the file between the check and the read. Files over `maxBytes`,
 * files that end before their size (truncated while read: merges.txt cut at a line end would parse, with
 * merges missing) and text that is not UTF-8 are refused too. All refusals are TokenizerLoadErrors naming
 * the path.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizerLoadError(`${path}: cannot open (${(e as Error).message})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new TokenizerLoadError(`${path}: is ${kind(info)}, expected a regular file`);
    if (info.size > maxBytes) throw new TokenizerLoadError(`${path}: ${info.size} bytes, more than the ${maxBytes} a tokenizer file may have`);
    const bytes = new Uint8Array(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) throw new TokenizerLoadError(`${path}: shrank while being read (${filled} of ${bytes.length} bytes)`);
      filled += bytesRead;
    }
    try {
      return utf8.decode(bytes);
    } catch {
      throw new TokenizerLoadError(`${path}: not valid UTF-8`);
    }
  } catch (e) {
    if (e instanceof TokenizerLoadError) throw e;
    throw new TokenizerLoadError(`${path}: cannot read (${(e as Error).message})`);
  } finally {
    await handle.close();
  }
}
