// `gptj generate` against transformers' greedy completions of the bundled mini-code checkpoint.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beamReferenceRuns, fixturePath, miniCodeSample as sample, readFixtureJson } from '@gptj/test-fixtures';
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

const copyright = sample('# Copyright');
const small = fixturePath('gptj-small-f32');
const beamRuns = beamReferenceRuns();
const smallGreedy: { name: string; prompt_ids: number[]; new_ids: number[] }[] = readFixtureJson('gptj-small-f32', 'reference.json').cases.filter(
  (c: { kind: string }) => c.kind === 'greedy',
);
const gpu = (await import('@gptj/tensor')).cudaAvailable().available;
const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe('gptj generate (greedy, against transformers)', () => {
  // Two samples with wide top-2 margins (0.33 and 0.29), so float rounding cannot flip an argmax: all 48 stored
  // tokens of the first, the first 20 of the second (a greedy prefix is itself the greedy answer), to keep time modest.
  it.each([
    ['# Copyright', 48],
    ['def fibonacci(n):\n', 20],
  ] as const)('--json ids and text equal transformers for %j (%i tokens)', async (prompt, n) => {
    const s = sample(prompt);
    const run = await runCli(['generate', prompt, '--temperature', '0', '--max-new-tokens', String(n), '--json']);
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout); // stdout holds exactly one JSON object
    expect(out.prompt_ids).toEqual(s.prompt_ids);
    expect(out.ids).toEqual(s.new_ids.slice(0, n));
    if (n === s.new_ids.length) expect(out.text).toBe(s.completion);
    else expect(s.completion.startsWith(out.text) && out.text.length > 0).toBe(true); // ASCII: text of a prefix is a prefix
    expect(out.finish_reason).toBe('length');
    expect(out.usage).toEqual({ prompt_tokens: s.prompt_ids.length, completion_tokens: n });
    expect(out.timing.decode_tokens_per_second).toBeGreaterThan(0);
  });

  // The small random fp32 fixture's two 40-token greedy runs (ids only: its 512-token vocabulary has no text).
  it.each(smallGreedy.map((c) => [c.name, c] as const))('--prompt-ids on gptj-small-f32 equals transformers (%s)', async (_name, c) => {
    const run = await runCli(['generate', '--model', small, '--prompt-ids', c.prompt_ids.join(','), '-t', '0', '-n', String(c.new_ids.length), '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ids).toEqual(c.new_ids);
  });

  // transformers' beam search (float64): the CLI prints the best beam.
  it.each([
    ['gptj-mini-code', 3, 0.6, false],
    ['gptj-small-f32', 4, 1.0, true],
  ] as const)('--num-beams on %s (%i beams, length penalty %f, early stopping %s) gives the best beam', async (model, beams, lp, early) => {
    const ref = beamRuns.find((r) => r.model === model && r.num_beams === beams && r.length_penalty === lp && r.early_stopping === early)!;
    const best = ref.sequences[0]!;
    const eos = best.indexOf(ref.eos_token_id);
    const expected = eos === -1 ? best : best.slice(0, eos); // sequences are padded after EOS
    const args = [
      'generate',
      '--prompt-ids',
      ref.prompt_ids.join(','),
      '--num-beams',
      String(beams),
      '--length-penalty',
      String(lp),
      '-n',
      String(ref.max_new_tokens),
      '--json',
    ];
    if (model === 'gptj-small-f32') args.push('--model', small);
    if (early) args.push('--early-stopping');
    const run = await runCli(args);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ids).toEqual(expected);
  });

  it('`pnpm gptj generate "# Copyright" --temperature 0 --max-new-tokens 48` prints the stored completion', () => {
    expect(copyright.new_ids.length).toBe(48);
    const run = spawnSync('pnpm', ['gptj', 'generate', '# Copyright', '--temperature', '0', '--max-new-tokens', '48'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      input: '',
      timeout: 120_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${copyright.completion}\n`);
    expect(run.stderr).toMatch(/48 tokens \(length\).*prefill [\d.]+ tok\/s.*decode [\d.]+ tok\/s/);
  });

  it('reads the prompt from stdin', async () => {
    const run = await runCli(['generate', '--temperature', '0', '--max-new-tokens', '12', '--json'], { input: '# Copyright' });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ids).toEqual(copyright.new_ids.slice(0, 12));
  });

  it('takes --prompt-ids instead of text (on one thread)', async () => {
    const run = await runCli(['generate', '--prompt-ids', copyright.prompt_ids.join(','), '-t', '0', '-n', '8', '--threads', '1', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ids).toEqual(copyright.new_ids.slice(0, 8));
  });

  it('--no-mmap (weights read into memory) continues the prompt exactly as transformers does', async () => {
    const run = await runCli(['generate', '--prompt-ids', copyright.prompt_ids.join(','), '-t', '0', '-n', '8', '--no-mmap', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ids).toEqual(copyright.new_ids.slice(0, 8));
  });

  it('--stop ends generation before the stop text, which is not printed', async () => {
    const expected = copyright.completion.slice(0, copyright.completion.indexOf('Inc.'));
    const json = await runCli(['generate', '# Copyright', '-t', '0', '-n', '48', '--stop', 'nothing-like-this', '--stop', 'Inc.', '--json']);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.text).toBe(expected);
    expect(out.finish_reason).toBe('stop');
    const streamed = await runCli(['generate', '# Copyright', '-t', '0', '-n', '48', '--stop', 'Inc.']);
    expect(streamed.stdout).toBe(`${expected}\n`);
  });

  it.runIf(gpu)('--device cuda gives the same greedy ids (runs where CUDA is available)', async () => {
    const run = await runCli(['generate', '# Copyright', '-t', '0', '-n', '48', '--device', 'cuda', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ids).toEqual(copyright.new_ids);
  });

  it('the same --seed gives the same sampled text', async () => {
    const args = ['generate', '# Copyright', '--temperature', '0.9', '--top-p', '0.95', '--top-k', '40', '--seed', '7', '-n', '8', '--json'];
    const [a, b] = [await runCli(args), await runCli(args)];
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).ids).toEqual(JSON.parse(b.stdout).ids);
    expect(JSON.parse(a.stdout).ids).toHaveLength(8);
  });
});
