// `gptj eval` on a small JSONL built from transformers' greedy completions of the mini-code checkpoint:
// the three continuations the model itself produced must be greedy matches, the made-up one must not,
// and the log-likelihood must equal a naive log-softmax over the logits the `logits` command writes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { miniCodeSample } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { perExampleReport } from './test-support/eval-report.js';
import { runCli } from './test-support/run-cli.js';

const file = fileURLToPath(new URL('../test-data/mini-code-eval.jsonl', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-eval-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const copyright = miniCodeSample('# Copyright');

describe('gptj eval', () => {
  it('scores greedy matches, accuracy, and perplexities', async () => {
    const run = await runCli(['eval', '--file', file, '--per-example']);
    expect(run.code).toBe(0);
    const { examples, summary } = perExampleReport(run.stdout);
    expect(examples.map((e) => e.greedy)).toEqual([true, true, true, false]);
    expect(summary.accuracy).toBe(0.75);
    const ll = examples.reduce((a, e) => a + e.log_likelihood, 0);
    const tokens = examples.reduce((a, e) => a + e.tokens, 0);
    expect(summary.log_likelihood).toBeCloseTo(ll, 9);
    expect(summary.perplexity).toBeCloseTo(Math.exp(-ll / tokens), 9);
    expect(examples[0].tokens).toBe(16);

    // Independent check of example 0: naive float64 log-softmax over the logits of the same input.
    const input = [...copyright.prompt_ids, ...copyright.new_ids.slice(0, 15)];
    const out = join(tmp, 'l.f32');
    expect((await runCli(['logits', '--ids', input.join(','), '--out', out])).code).toBe(0);
    const buf = readFileSync(out);
    const logits = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const v = logits.length / input.length;
    let expected = 0;
    copyright.new_ids.slice(0, 16).forEach((target, j) => {
      const row = Array.from(logits.subarray((copyright.prompt_ids.length - 1 + j) * v, (copyright.prompt_ids.length + j) * v));
      const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
      expected += row[target]! - lse;
    });
    expect(examples[0].log_likelihood).toBeCloseTo(expected, 4);
  });

  it('names the line of a malformed example', async () => {
    const run = await runCli(['eval', '--file', fileURLToPath(new URL('../package.json', import.meta.url))]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/package\.json:\d+: invalid JSON|package\.json:1: expected/);
  });
});
