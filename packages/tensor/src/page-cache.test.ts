// dropFileCache / fileCacheResidency against the kernel's own account (mincore): a file just written
// is cached, and after dropFileCache it is not, with its bytes unchanged on disk.
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TensorError, dropFileCache, fileCacheResidency } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-page-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// On tmpfs the cache is the file itself: nothing can be dropped.
const TMPFS_MAGIC = 0x01021994;
const onTmpfs = statfsSync(dir).type === TMPFS_MAGIC;

describe('page cache', () => {
  it.skipIf(onTmpfs)('a file just written is cached; dropFileCache writes it back and drops it', () => {
    const path = join(dir, 'weights.bin');
    const bytes = Buffer.alloc(8 << 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i >> 12) & 0xff;
    writeFileSync(path, bytes);
    const before = fileCacheResidency(path);
    expect(before.size).toBe(bytes.length);
    expect(before.resident).toBeGreaterThan(bytes.length / 2);
    dropFileCache(path);
    expect(fileCacheResidency(path).resident).toBeLessThan(bytes.length / 10);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    // reading it brings it back
    expect(fileCacheResidency(path).resident).toBeGreaterThan(bytes.length / 2);
  });

  it('an empty file has nothing resident', () => {
    const path = join(dir, 'empty.bin');
    writeFileSync(path, Buffer.alloc(0));
    dropFileCache(path);
    expect(fileCacheResidency(path)).toEqual({ size: 0, resident: 0 });
  });

  it('bad paths give a TensorError naming them', () => {
    for (const f of [dropFileCache, fileCacheResidency]) {
      expect(() => f(join(dir, 'missing.bin'))).toThrow(TensorError);
      expect(() => f(join(dir, 'missing.bin'))).toThrow(/missing\.bin.*No such file/);
      expect(() => f(dir)).toThrow(/is not a regular file/);
      expect(() => f('')).toThrow(/non-empty string/);
      expect(() => f(42 as unknown as string)).toThrow(TensorError);
    }
  });
});
