// `gptj generate`'s seed reporting, output channels and the edge cases of issue 19, on the bundled mini-code model.
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

describe('gptj generate: seed, --json, edges', () => {
  it('an unseeded run reports the seed it drew in --json, and that seed reproduces it; stderr stays empty', async () => {
    const args = ['generate', '# Copyright', '-t', '0.9', '-n', '8', '--json'];
    const a = await runCli(args);
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    const out = JSON.parse(a.stdout);
    expect(Number.isInteger(out.seed)).toBe(true);
    const again = await runCli([...args, '--seed', String(out.seed)]);
    expect(JSON.parse(again.stdout).ids).toEqual(out.ids);
    expect(JSON.parse(again.stdout).seed).toBe(out.seed);
  });

  it('the stderr summary names the seed and says "1 token", not "1 tokens"', async () => {
    const run = await runCli(['generate', '# Copyright', '-n', '1', '--seed', '11']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^gptj: 1 token \(length\) · prompt 2 tokens · .* · seed 11\n$/);
  });

  it('--seed with beam search is a usage error, not silently ignored', async () => {
    const run = await runCli(['generate', '# Copyright', '-n', '4', '--num-beams', '2', '--seed', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--seed is not used by beam search/);
  });

  it('an empty prompt samples unconditionally from <|endoftext|>, as transformers does', async () => {
    const empty = await runCli(['generate', '-t', '0', '-n', '6', '--json'], { input: '' });
    const eot = await runCli(['generate', '--prompt-ids', '50256', '-t', '0', '-n', '6', '--json']);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout).prompt_ids).toEqual([50256]);
    expect(JSON.parse(empty.stdout).ids).toEqual(JSON.parse(eot.stdout).ids);
    expect(JSON.parse(empty.stdout).ids).toHaveLength(6);
  });
});
