// `gptj bench --parallel N`: N streams decoding together through a sequence pool, against one stream, in one run.
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

describe('gptj bench --parallel', () => {
  it('reports the aggregate tokens/s of N pooled streams and its ratio to one stream', async () => {
    // 4 streams of 12 tokens: 48 tokens, but 4 blocks of 16 (one per stream)
    const run = await runCli(['bench', '--prompt-tokens', '8', '--new-tokens', '4', '--runs', '1', '--bandwidth-mib', '16', '--parallel', '4', '--json']);
    expect(run.code).toBe(0);
    const p = JSON.parse(run.stdout).parallel;
    expect(p.streams).toBe(4);
    expect(p.tokens_per_stream).toBe(4);
    expect(p.aggregate_tokens_per_second).toBeGreaterThan(0);
    expect(p.speedup).toBeCloseTo(p.aggregate_tokens_per_second / p.one_stream_tokens_per_second, 1);
  });

  it('refuses a stream count outside [1, 256]', async () => {
    const run = await runCli(['bench', '--parallel', '0']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--parallel/);
  });
});
