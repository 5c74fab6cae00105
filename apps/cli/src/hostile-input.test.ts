// Issue 15's CLI rows: float options that do not survive float32, NaN/Inf logits from `gptj logits`, an EOS id from
// the model's config that no flag set, and @gptj warnings (threads capped) printed as one `gptj: warning:` line.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { fixturePath, readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './test-support/run-cli.js';

const small = fixturePath('gptj-small-f32');
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const copyright = readFixtureJson<{ samples: { prompt: string; new_ids: number[] }[] }>('mini-code-samples.json').samples.find(
  (s) => s.prompt === '# Copyright',
)!;

/** A copy of the small fixture with `value` written into the first float of lm_head.bias (token 0's logit bias). */
function poisonedCheckpoint(name: string, value: number): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const bytes = readFileSync(join(small, 'model.safetensors'));
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
  bytes.writeFloatLE(value, 8 + headerLen + header['lm_head.bias']!.data_offsets[0]);
  writeFileSync(join(dir, 'model.safetensors'), bytes);
  writeFileSync(join(dir, 'config.json'), readFileSync(join(small, 'config.json')));
  return dir;
}

/** The mini-code checkpoint (weights linked) with config.json edited. */
function miniCodeWithConfig(name: string, edit: Record<string, unknown>): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const f of readdirSync(miniCodeDir)) if (f !== 'config.json') symlinkSync(join(miniCodeDir, f), join(dir, f));
  const config = JSON.parse(readFileSync(join(miniCodeDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, ...edit }));
  return dir;
}

describe('float flags that do not survive float32 are usage errors, before the model loads', () => {
  it.each([
    [['--temperature', '1e-46'], /^gptj: error: --temperature: underflows to 0 in float32: use 0, or a magnitude of at least 1\.4e-45, got 1e-46$/],
    [['--temperature', '3.5e38'], /^gptj: error: --temperature: overflows float32: the largest magnitude is 3\.4028235e\+38, got 3\.5e\+38$/],
    [['--top-p', '1e-50'], /--top-p: underflows to 0 in float32/],
    [['--repetition-penalty', '1e39'], /--repetition-penalty: overflows float32/],
    [['--presence-penalty', '-1e-46'], /--presence-penalty: underflows to 0 in float32/],
    [['--min-p', '1e-300'], /--min-p: underflows to 0 in float32/],
  ])('%j', async (flags, message) => {
    // a model directory that does not exist: the option error must come first
    const run = await runCli(['generate', 'hello', '--model', join(tmp, 'no-such-model'), ...flags]);
    expect(run.code).toBe(2);
    expect(expectOneLineError(run)).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('--temperature 1e-40 (valid in float32, logits / T overflow) samples the argmax: transformers greedy ids', async () => {
    const run = await runCli(['generate', '# Copyright', '--temperature', '1e-40', '--seed', '5', '-n', '16', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ids).toEqual(copyright.new_ids.slice(0, 16));
  });
});

describe('gptj logits fails on non-finite logits as generate does', () => {
  it.each([
    ['nan', NaN],
    ['inf', Infinity],
  ] as const)('a %s weight', async (name, value) => {
    const dir = poisonedCheckpoint(`poisoned-${name}`, value);
    const out = join(tmp, `${name}.f32`);
    const logits = await runCli(['logits', '--model', dir, '--ids', '1,2,3', '--out', out]);
    expect(logits.code).toBe(1);
    const line = expectOneLineError(logits);
    expect(line).toMatch(
      /^gptj: error: InvalidLogitsError: the model returned logit (NaN|Infinity) for token 0 in batch row 0; logits must be finite or -Infinity$/,
    );
    expect(existsSync(out)).toBe(false);
    expect(logits.stdout).toBe('');
    // the same error from generate
    const generate = await runCli(['generate', '--model', dir, '--prompt-ids', '1,2,3', '-n', '2', '-t', '0']);
    expect(generate.code).toBe(1);
    expect(expectOneLineError(generate)).toBe(line);
  });
});

describe("an EOS id from the model's config is not blamed on a flag", () => {
  it('eos_token_id 99999999 in config.json: exit 1, the config named, no --eos-token-id', async () => {
    const dir = miniCodeWithConfig('bad-eos', { eos_token_id: 99999999 });
    const run = await runCli(['generate', '# Copyright', '--model', dir, '-n', '2', '-t', '0']);
    expect(run.code).toBe(1);
    const line = expectOneLineError(run);
    expect(line).toMatch(/99999999/);
    expect(line).toMatch(/eos_token_id/);
    expect(line).not.toMatch(/--eos-token-id/);
  });
});

describe('@gptj warnings are one gptj: warning: line', () => {
  it('--threads above the core count: capped by @gptj/tensor with a GPTJ_THREADS_CAPPED warning, one line here', async () => {
    const run = await runCli(['generate', '# Copyright', '-n', '2', '-t', '0', '--threads', String(availableParallelism() + 7)]);
    expect(run.code).toBe(0);
    const warnings = run.stderr.split('\n').filter((l) => /warning/i.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^gptj: warning: .*asks for \d+ threads/);
    expect(run.stderr).not.toMatch(/\(node:\d+\)|--trace-warnings|^\s+at /m);
  });
});
