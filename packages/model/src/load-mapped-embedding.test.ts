// loadModel over a memory-mapped f16 checkpoint reads every weight in at load (MappedFile.view populates its pages)
// except the token embedding, of which a forward gathers a few rows: at 6B f16 that table is 0.4 GB that would stay
// resident for nothing. Checked with the kernel's own account of the page cache (mincore through fileCacheResidency)
// on a copy of the bundled checkpoint on a disk file system (on tmpfs nothing can be dropped, so the test skips).
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { dropFileCache, fileCacheResidency } from '@gptj/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-mapped-embedding-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TMPFS_MAGIC = 0x01021994;
const onLinuxDisk = process.platform === 'linux' && statfsSync(dir).type !== TMPFS_MAGIC;

describe('loadModel over a mapped f16 checkpoint', () => {
  it.skipIf(!onLinuxDisk)('reads every weight in at load but the token embedding', async () => {
    for (const f of readdirSync(miniCodeDir)) copyFileSync(join(miniCodeDir, f), join(dir, f));
    const shards = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
    const size = shards.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    for (const f of shards) dropFileCache(join(dir, f));
    const model = await loadModel(dir, { device: 'cpu', dtype: 'auto', mmap: true });
    try {
      const resident = shards.reduce((n, f) => n + fileCacheResidency(join(dir, f)).resident, 0);
      const table = model.config.vocabSize * model.config.nEmbd * 2; // wte, f16
      // all but the table (a page or so of slack per shard for headers and boundaries)
      expect(resident).toBeGreaterThan(size - table - shards.length * 2 * 4096 - (1 << 20));
      expect(resident).toBeLessThan(size - table + shards.length * 2 * 4096 + (1 << 20));
    } finally {
      model.dispose();
    }
  });
});
