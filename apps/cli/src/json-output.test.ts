// `gptj generate --json-output`: the output is one JSON object when the generation ended with EOS, and an
// incomplete one is said so (stderr note, json_complete false in --json).
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

describe('gptj generate --json-output', () => {
  it('outputs that end with EOS parse as JSON objects (seeds 1-6 on the mini-code model)', async () => {
    let finished = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const run = await runCli(['generate', 'config = ', '--json-output', '-n', '40', '--seed', String(seed), '--json']);
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      if (out.finish_reason === 'eos') {
        finished++;
        const value = JSON.parse(out.text);
        expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
        expect(out.json_complete).toBe(true);
      } else {
        expect(out.finish_reason).toBe('length');
      }
    }
    expect(finished).toBeGreaterThan(0); // 4 of 6 with this model and prompt
  }, 120_000);

  it('a value cut off by --max-new-tokens is reported on stderr', async () => {
    const run = await runCli(['generate', 'config = ', '--json-output', '-n', '3', '--seed', '1']);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('{')).toBe(true);
    expect(run.stderr).toMatch(/\ngptj: the JSON value is incomplete: --max-new-tokens 3 was reached before it closed\n$/);
  });
});
