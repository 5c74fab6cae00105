// The host allocator's free-block cache (native/cpu/host_alloc.cpp) over its limit: mapped blocks are given
// back lazily (MADV_FREE) and reused without page faults, where they used to be unmapped and faulted in again
// by the next allocation of their size (a 6B session's KV cache, two 0.94 GB blocks over the 1 GiB limit).
// Counted by the kernel's own page-fault counter for the process, in a child with a 64 MiB limit.
import { describe, expect, it } from 'vitest';
import { distModule, runInChild } from './test-support/child-process.js';

/** Page faults over 8 rounds of three 64 MiB zero tensors made and disposed, after two such rounds. */
const script = `
  const { Tensor } = await import(${distModule('index.js')});
  const round = () => { const ts = [1, 2, 3].map(() => Tensor.zeros([16 << 20])); for (const t of ts) t.dispose(); };
  round();
  round();
  process.resourceUsage();
  const before = process.resourceUsage().minorPageFault;
  for (let i = 0; i < 8; i++) round();
  process.stdout.write(String(process.resourceUsage().minorPageFault - before));`;

describe('host allocator cache', () => {
  it.skipIf(process.platform !== 'linux')('blocks freed over the limit are reused without page faults', () => {
    // Each round frees 192 MiB against a 64 MiB limit: 128 MiB leave the cache, and faulting them in again
    // took 64 faults (2 MiB pages; 32768 with 4 KiB pages), 512 over the 8 rounds. Kept lazily, one round took
    // 0-43 (the JS heap's own faults included).
    const faults = Number(runInChild(script, { GPTJ_HOST_CACHE_MB: '64' }));
    expect(faults).toBeLessThan(160);
  });
});
