// A CPU session reserves its KV cache at full context, one run of positions per (layer, row, head). On 2 MiB
// pages the first step touched a huge page per head (a 6B process: 1.8 GB to hold the 58 MB of a 64-token
// prefill, seconds of system CPU); the cache is now on 4 KiB pages, so what a step touches grows with the
// positions it writes. Measured by the process's resident memory (the kernel's count), in a fresh child.
import { describe, expect, it } from 'vitest';
import { distModule, runInChild } from './test-support/child-process.js';

// 2 layers x 16 heads x 2 MiB (16384 positions of 32 floats) for K and for V: 128 MiB reserved. One token
// writes 128 B per head, 64 pages of 4 KiB in all (128 MiB on huge pages).
const script = `
  const { createCpuGPTJRunner } = await import(${distModule('runner.js')});
  const { randomRunnerWeights } = await import(${distModule('test-support/index.js')});
  const cfg = { vocabSize: 50, nEmbd: 512, nLayer: 2, nHead: 16, nInner: 64, rotaryDim: 4, layerNormEpsilon: 1e-5 };
  const runner = createCpuGPTJRunner(cfg, randomRunnerWeights(cfg, 'f32', 7));
  const warm = runner.createSession(1, 4);
  await warm.forward([[1, 2, 3]]);  // the step's own buffers, so they do not count below
  const s = runner.createSession(1, 16384);
  const before = process.memoryUsage().rss;
  await s.forward([[1, 2, 3]]);
  process.stdout.write(String((process.memoryUsage().rss - before) / 2 ** 20));`;

describe('CPU session KV cache', () => {
  it.skipIf(process.platform !== 'linux')('a step makes resident only the pages of the positions it writes', () => {
    // 3 tokens: 0.25 MiB of cache pages, plus what the allocator and the step's buffers grow by (about 1 MiB).
    // On huge pages it was 128 MiB (where the kernel had them to give).
    const mib = Number(runInChild(script, {}));
    expect(mib).toBeLessThan(16);
  });
});
