// `gptj eval` on a hand-labelled multiple-choice file (test-data/mini-code-choices.jsonl: the idiomatic Python
// completion is always choice 0; the demo model misses one by acc and three by acc_norm, where a long right
// choice loses per character to a short one): every loglikelihood is recomputed here from the model's full logits with the
// harness's tokenization written out, and acc / acc_norm (per character) / per-token accuracy from those.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { Tokenizer } from '@gptj/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
import { perExampleReport } from './test-support/eval-report.js';
import { runCli } from './test-support/run-cli.js';

const file = fileURLToPath(new URL('../test-data/mini-code-choices.jsonl', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-choices-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const items = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { context: string; choices: string[]; label: number });

/** Each choice's loglikelihood and token count: float64 log-softmax over GPTJModel.forward's logits. */
async function independentScores(): Promise<{ lls: number[]; tokens: number[] }[]> {
  const model = await loadModel(miniCodeDir);
  const tok = await Tokenizer.fromDirectory(miniCodeDir);
  const out = [];
  for (const item of items) {
    const lls: number[] = [];
    const tokens: number[] = [];
    for (const choice of item.choices) {
      // No context here ends in a space; ' ' is the harness's target delimiter; an empty context is <|endoftext|>.
      const context = item.context === '' ? [model.eosTokenId!] : tok.encode(item.context);
      const continuation = item.context === '' ? tok.encode(' ' + choice) : tok.encode(item.context + ' ' + choice).slice(context.length);
      const input = [...context, ...continuation].slice(0, -1);
      const logits = (await model.forward([input])).toFloat32Array();
      const v = model.vocabSize;
      lls.push(
        continuation.reduce((sum, target, j) => {
          const row = logits.subarray((context.length - 1 + j) * v, (context.length + j) * v);
          return sum + row[target]! - Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
        }, 0),
      );
      tokens.push(continuation.length);
    }
    out.push({ lls, tokens });
  }
  model.dispose();
  return out;
}

const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);

describe('gptj eval: multiple choice', () => {
  it('reports the accuracies computed by hand from independently computed loglikelihoods', async () => {
    const run = await runCli(['eval', '--file', file, '--per-example', '--batch-size', '3']);
    expect(run.code).toBe(0);
    const { examples, summary } = perExampleReport(run.stdout);
    const expected = await independentScores();
    let [acc, accNorm, accTokens] = [0, 0, 0];
    expect(examples).toHaveLength(items.length);
    expected.forEach(({ lls, tokens }, i) => {
      const item = items[i]!; // independentScores scores every item, in order
      examples[i].loglikelihoods.forEach((ll: number, c: number) => expect(Math.abs(ll - lls[c]!)).toBeLessThan(1e-3));
      expect(examples[i].tokens).toEqual(tokens);
      const label = item.label;
      acc += argmax(lls) === label ? 1 : 0;
      accNorm += argmax(lls.map((ll, c) => ll / [...item.choices[c]!].length)) === label ? 1 : 0;
      accTokens += argmax(lls.map((ll, c) => ll / tokens[c]!)) === label ? 1 : 0;
    });
    expect(summary).toEqual({ examples: items.length, acc: acc / items.length, acc_norm: accNorm / items.length, acc_norm_tokens: accTokens / items.length });
    // The human-readable table carries the same figures.
    const table = await runCli(['eval', '--file', file]);
    expect(table.stdout).toContain(`acc              ${((acc / items.length) * 100).toFixed(2)}%`);
  }, 60_000);

  it('names the line of a malformed item and refuses a mixed file', async () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"context": "a", "choices": ["b", "c"], "label": 0}\n\n{"context": "a", "choices": ["b", "c"], "label": 2}\n');
    const run = await runCli(['eval', '--file', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/bad\.jsonl:3: label must be an integer index into the 2 choices, got 2/);
    const mixed = join(tmp, 'mixed.jsonl');
    writeFileSync(mixed, '{"context": "a", "continuation": "b"}\n{"context": "a", "choices": ["b", "c"], "label": 0}\n');
    expect((await runCli(['eval', '--file', mixed])).stderr).toMatch(/mixed\.jsonl:2: a multiple-choice item in a file of context\/continuation pairs/);
    const usage = await runCli(['eval']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/give either --file or --perplexity/);
  });
});
