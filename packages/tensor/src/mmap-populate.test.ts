// A view of a mapped file is mapped when it is taken (MADV_POPULATE_READ, native/cpu/mmap_flags.h), so the
// first forward pass does not fault the weights in on its compute threads. Checked against the kernel's
// own account (mincore through fileCacheResidency): a view of a file dropped from the page cache reads it
// back in before view() returns; without the populate the view would leave the file unread.
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TensorError, dropFileCache, fileCacheResidency, mmapFile } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-mmap-populate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TMPFS_MAGIC = 0x01021994; // on tmpfs the cache is the file itself: nothing can be dropped
const onLinuxDisk = process.platform === 'linux' && statfsSync(dir).type !== TMPFS_MAGIC;

/** An 8 MiB file `name` in `dir` whose page i starts with the byte i & 0xff, dropped from the page cache. */
function uncachedFile(name: string): { path: string; bytes: Buffer } {
  const path = join(dir, name);
  const bytes = Buffer.alloc(8 << 20);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i >> 12) & 0xff;
  writeFileSync(path, bytes);
  dropFileCache(path);
  return { path, bytes };
}

describe('mmapFile view populate', () => {
  it.skipIf(!onLinuxDisk)('a view reads its pages in before it is returned, with the bytes of the file', () => {
    const { path, bytes } = uncachedFile('weights.bin');
    expect(fileCacheResidency(path).resident).toBeLessThan(bytes.length / 10);
    const file = mmapFile(path);
    try {
      const view = file.view(4096, bytes.length - 4096);
      // every page of the view is now cached (the page before it may or may not be)
      expect(fileCacheResidency(path).resident).toBeGreaterThanOrEqual(bytes.length - 4096);
      expect(Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(bytes.subarray(4096))).toBe(true);
    } finally {
      file.close();
    }
  });

  it.skipIf(!onLinuxDisk)('populate: false leaves the pages to be read as touched, with the same bytes', () => {
    const { path, bytes } = uncachedFile('table.bin');
    const file = mmapFile(path);
    try {
      const view = file.view(0, bytes.length, { populate: false });
      expect(fileCacheResidency(path).resident).toBeLessThan(bytes.length / 10);
      expect(view[5 * 4096]).toBe(5); // one page read on demand
      expect(Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(bytes)).toBe(true);
    } finally {
      file.close();
    }
  });

  it('a populate that is not a boolean is a TensorError', () => {
    const path = join(dir, 'small.bin');
    writeFileSync(path, Buffer.alloc(4096));
    const file = mmapFile(path);
    try {
      expect(() => file.view(0, 4096, { populate: 'no' as unknown as boolean })).toThrow(TensorError);
      expect(() => file.view(0, 4096, { populate: 'no' as unknown as boolean })).toThrow(/populate must be a boolean/);
    } finally {
      file.close();
    }
  });
});
