// Errors a user can cause: one clear line on stderr, a non-zero exit code, no stack trace unless --verbose.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './test-support/run-cli.js';

const small = fixturePath('gptj-small-f32');
const gpu = (await import('@gptj/tensor')).cudaAvailable().available;
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the small fixture whose safetensors file is cut short after its header. */
function truncatedCheckpoint(): string {
  const dir = join(tmp, 'truncated');
  mkdirSync(dir, { recursive: true });
  const bytes = readFileSync(join(small, 'model.safetensors'));
  const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
  copyFileSync(join(small, 'config.json'), join(dir, 'config.json'));
  writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, headerEnd + 100));
  return dir;
}

describe('usage errors exit 2 with one line naming the flag', () => {
  it.each([
    [['--temperature', '-1'], /--temperature.*'-1' is invalid.*must be in \[0, inf\)/],
    [['--top-p', '2'], /--top-p.*'2' is invalid.*must be in \(0, 1\]/],
    [['--max-new-tokens', 'abc'], /--max-new-tokens.*'abc' is invalid.*not a number/],
    [['--top-k', '1.5'], /--top-k.*must be an integer/],
    [['--device', 'gpu'], /--device.*'gpu' is invalid.*auto, cpu, cuda/],
    [['--dtype', 'f8'], /--dtype.*'f8' is invalid/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
  ])('generate %j', async (flags, message) => {
    const run = await runCli(['generate', 'hello', ...flags]);
    expect(run.code).toBe(2);
    expect(expectOneLineError(run)).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('unknown command', async () => {
    const run = await runCli(['generat']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'generat'/);
  });

  it('prompt and --prompt-ids together', async () => {
    const run = await runCli(['generate', 'hi', '--prompt-ids', '1,2']);
    expect(run.code).toBe(2);
    expect(expectOneLineError(run)).toMatch(/either a PROMPT or --prompt-ids/);
  });

  it('logits rows of different lengths', async () => {
    const run = await runCli(['logits', '--model', small, '--ids', '1,2,3', '--ids', '4,5', '--out', join(tmp, 'x.f32')]);
    expect(run.code).toBe(2);
    expect(expectOneLineError(run)).toMatch(/same length/);
  });
});

describe('failures exit 1 with one line', () => {
  it('missing model directory', async () => {
    const run = await runCli(['generate', 'hello', '--model', '/no/such/model-dir']);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toBe('gptj: error: --model /no/such/model-dir: the directory does not exist');
  });

  it.each(['./nope', '../nope/x', '~/no-such-gptj-model'])(
    '--model %s looks like a path: a missing directory in every command, never a download',
    async (value) => {
      for (const args of [
        ['generate', 'hi'],
        ['convert', '--dtype', 'f16', '--out', join(tmp, 'never')],
        ['tokenize', 'hi'],
        ['eval', '--perplexity', fileURLToPath(import.meta.url)],
      ]) {
        // HF_HUB_OFFLINE: were it sent to the hub, the error would name the hub cache instead
        const run = await runCli([...args, '--model', value], { env: { HF_HUB_OFFLINE: '1' } });
        expect(run.code).toBe(1);
        expect(expectOneLineError(run)).toBe(`gptj: error: --model ${value}: the directory does not exist`);
      }
    },
  );

  it('prompt ids outside the vocabulary', async () => {
    const run = await runCli(['generate', '--model', small, '--prompt-ids', '1,600', '-n', '2']);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toBe("gptj: error: --prompt-ids holds token id 600, outside the model's vocabulary of 512 ids");
  });

  it('prompt longer than the context', async () => {
    const ids = Array.from({ length: 600 }, (_, i) => i % 500).join(',');
    const run = await runCli(['generate', '--prompt-ids', ids, '-n', '4']);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toMatch(/prompt has 600 tokens, but the model's context is 512/);
  });

  it('prompt + --max-new-tokens past the context names the flag', async () => {
    const run = await runCli(['generate', '# Copyright', '-n', '600']);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toMatch(/--max-new-tokens 510 or less/);
  });

  it.skipIf(gpu)('CUDA asked for but unavailable (skipped on a machine with a GPU)', async () => {
    const run = await runCli(['generate', 'hello', '--device', 'cuda']);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toMatch(/--device cuda: CUDA is not available/);
  });

  it('malformed checkpoint, and --verbose adds the stack', async () => {
    const dir = truncatedCheckpoint();
    const run = await runCli(['logits', '--model', dir, '--ids', '1,2', '--out', join(tmp, 'y.f32')]);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toMatch(/model\.safetensors/);
    const verbose = await runCli(['logits', '--model', dir, '--ids', '1,2', '--out', join(tmp, 'y.f32'), '--verbose']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^\s+at /m);
  });

  it('missing eval file', async () => {
    const run = await runCli(['eval', '--file', join(tmp, 'none.jsonl')]);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toMatch(/none\.jsonl: no such file or directory/);
  });
});
