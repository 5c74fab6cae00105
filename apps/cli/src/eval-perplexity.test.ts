// `gptj eval --perplexity`: on a text shorter than one window the rolling perplexity is plain
// exp(mean -log p(t_i | t_<i)), recomputed here from GPTJModel.forward's logits; smaller windows score the same
// tokens with less context.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { Tokenizer } from '@gptj/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-ppl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const text = 'def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n';

describe('gptj eval --perplexity', () => {
  it('one window: exp(mean negative log-likelihood) of every token after the first', async () => {
    const file = join(tmp, 'fib.py');
    writeFileSync(file, text);
    const model = await loadModel(miniCodeDir);
    const ids = (await Tokenizer.fromDirectory(miniCodeDir)).encode(text);
    const logits = (await model.forward([ids])).toFloat32Array();
    const v = model.vocabSize;
    let nll = 0;
    for (const [i, id] of ids.entries()) {
      if (i === 0) continue; // the first token has no prediction
      const row = logits.subarray((i - 1) * v, i * v);
      nll -= row[id]! - Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
    }
    model.dispose();
    const run = await runCli(['eval', '--perplexity', file, '--json']);
    expect(run.code).toBe(0);
    const got = JSON.parse(run.stdout);
    expect(got).toMatchObject({ text_tokens: ids.length, scored_tokens: ids.length - 1, windows: 1 });
    expect(got.perplexity / Math.exp(nll / (ids.length - 1))).toBeCloseTo(1, 4);

    const windows = JSON.parse((await runCli(['eval', '--perplexity', file, '--json', '--max-length', '8', '--stride', '4'])).stdout);
    expect(windows).toMatchObject({ scored_tokens: ids.length - 1, max_length: 8, stride: 4 });
    expect(windows.windows).toBe(Math.ceil((ids.length - 8) / 4) + 1);
  });

  it('refuses --stride without --perplexity and a stride past the window', async () => {
    expect((await runCli(['eval', '--file', 'x.jsonl', '--stride', '4'])).stderr).toMatch(/--stride and --max-length apply to --perplexity/);
    const file = join(tmp, 'short.txt');
    writeFileSync(file, text);
    const run = await runCli(['eval', '--perplexity', file, '--max-length', '8', '--stride', '9']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/stride must be an integer in \[1, 8\], got 9/);
  });
});
