// After writing a checkpoint: drop it from the page cache, so that its first load reads it back in
// large folios instead of mapping the write's 4 KiB pages (see dropFileCache in @gptj/tensor).
import { dropFileCache } from '@gptj/tensor';

/** Best effort: the file is complete either way, only how fast a later mmap of it reads is at stake,
 * so a filesystem that refuses fdatasync or fadvise does not fail the write. */
export function dropWrittenFile(path: string): void {
  try {
    dropFileCache(path);
  } catch {
    // nothing to undo: the cache keeps the pages, as it would have without this call
  }
}
