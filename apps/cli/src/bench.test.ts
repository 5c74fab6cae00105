// `gptj bench` runs end to end and its figures agree with each other.
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

describe('gptj bench', () => {
  it('reports prefill/decode speed and the ratio to the bandwidth floor', async () => {
    const run = await runCli(['bench', '--prompt-tokens', '16', '--new-tokens', '8', '--runs', '1', '--bandwidth-mib', '32', '--json']);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.model.parameters).toBe(13_743_072); // mini-code, as its training log states
    expect(r.decode.tokens_per_second).toBeCloseTo(8 / r.decode.seconds, -1);
    expect(r.floor.read_bandwidth_gb_s).toBeGreaterThan(0);
    expect(r.floor.ms_per_token).toBeCloseTo(r.floor.weight_bytes_per_token / (r.floor.read_bandwidth_gb_s * 1e6), 1);
    expect(r.floor.decode_fraction_of_floor).toBeGreaterThan(0);
  });
});
