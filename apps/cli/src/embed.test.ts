// `gptj embed` against transformers: mean and last pooled final states of the mini-code prompts
// (tools/fixtures/data/hidden-refs/hidden.json, float64-computed), as JSON lines and as raw float32.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './test-support/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-embed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const pooled = readFixtureJson<{ cases: { model: string; pooled?: { prompt_ids: number[]; mean: number[]; last: number[] }[] }[] }>(
  'hidden-refs',
  'hidden.json',
).cases.find((c) => c.model === 'gptj-mini-code')!.pooled!;
const idsFile = join(tmp, 'ids.jsonl');
writeFileSync(idsFile, pooled.map((p) => JSON.stringify({ ids: p.prompt_ids })).join('\n') + '\n');

/** max |a - b| / max |ref| */
function relToMax(a: ArrayLike<number>, ref: readonly number[]): number {
  let err = 0;
  let big = 0;
  ref.forEach((r, i) => {
    err = Math.max(err, Math.abs(a[i]! - r));
    big = Math.max(big, Math.abs(r));
  });
  return err / big;
}

describe('gptj embed', () => {
  it.each(['mean', 'last'] as const)('--pooling %s: JSON lines in input order, within 1e-4 of transformers', async (pooling) => {
    const run = await runCli(['embed', '--file', idsFile, '--pooling', pooling, '--batch-size', '2']);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.index)).toEqual(pooled.map((_, i) => i));
    lines.forEach((l, i) => {
      const ref = pooled[i]!; // as many lines as pooled, checked above
      expect(l.tokens).toBe(ref.prompt_ids.length);
      expect(relToMax(l.embedding, ref[pooling])).toBeLessThan(1e-4);
    });
  });

  it('--format f32 --normalize writes [N, n_embd] unit vectors along the reference', async () => {
    const out = join(tmp, 'v.f32');
    const run = await runCli(['embed', '--file', idsFile, '--format', 'f32', '--out', out, '--normalize']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ shape: [pooled.length, 128] });
    const buf = readFileSync(out);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    pooled.forEach((p, i) => {
      const norm = Math.hypot(...p.mean);
      expect(
        relToMax(
          data.subarray(i * 128, (i + 1) * 128),
          p.mean.map((x) => x / norm),
        ),
      ).toBeLessThan(1e-4);
    });
  });

  it("text arguments and stdin are tokenized with the model's tokenizer", async () => {
    const args = await runCli(['embed', 'def f(x):', '--layer', '0']);
    const stdin = await runCli(['embed', '--layer', '0'], { input: 'def f(x):' });
    expect(JSON.parse(args.stdout).embedding).toEqual(JSON.parse(stdin.stdout).embedding);
    expect(JSON.parse(args.stdout).tokens).toBe(5);
  });

  it.each([
    [['--format', 'f32', 'x'], /--format f32 writes binary: give --out <file>/, 2],
    [['--layer', '9', 'x'], /layer must be an integer in \[-5, 4\]/, 1],
    [['--pooling', 'max', 'x'], /argument 'max' is invalid/, 2],
  ])('%j: one-line error', async (args, message, code) => {
    const run = await runCli(['embed', ...args]);
    expect(run.code).toBe(code);
    expect(expectOneLineError(run)).toMatch(message);
  });

  it('names the line of a bad JSONL input', async () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '"ok"\n{"ids": [1.5]}\n');
    expect(expectOneLineError(await runCli(['embed', '--file', bad]))).toMatch(/bad\.jsonl:2: expected a JSON string, \{"text": string\} or \{"ids"/);
  });
});
