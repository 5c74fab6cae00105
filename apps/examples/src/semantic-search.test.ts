import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { readFixtureJson } from '@gptj/test-fixtures';
import { Tokenizer } from '@gptj/tokenizer';
import { describe, expect, it } from 'vitest';
import { embedTexts, rank } from './semantic-search.js';
import { runExample } from './test-support/run-example.js';

interface HiddenRefs {
  cases: { model: string; pooled?: { prompt_ids: number[]; mean: number[] }[] }[];
}

const hits = (out: string) =>
  [...out.matchAll(/^(\d)\. (\d\.\d{3}) (".*")$/gm)].map((m) => ({ similarity: Number(m[2]), firstLine: JSON.parse(m[3]) as string }));

describe('semantic-search example', () => {
  it('answers the default query (load a JSON file) with read_json, then two less similar snippets', async () => {
    const out = await runExample('semantic-search');
    expect(out.split('\n')[0]).toMatch(/^query: "def load_config/);
    const top = hits(out);
    expect(top.map((h) => h.firstLine)).toEqual(['def read_json(path):', 'with open("out.csv", "w", newline="") as f:', 'class Stack:']);
    expect(top[0].similarity).toBeGreaterThan(top[1].similarity + 0.1);
    expect(top[1].similarity).toBeGreaterThan(top[2].similarity);
  });

  it.each([
    ['a = np.ones((2, 2))\n', 'import numpy as np'],
    ['def fib(k):\n    return k if k < 2 else fib(k - 1) + fib(k - 2)\n', 'def fibonacci(n):'],
    ['r = requests.post(api_url, json=payload)\n', 'import requests'],
    ['class Queue:\n    def __init__(self):\n        self.items = []\n', 'class Stack:'],
  ])('query %j finds %j', async (query, expected) => {
    expect(hits(await runExample('semantic-search', [query]))[0].firstLine).toBe(expected);
  });

  it("embeds as transformers does (mean of the final hidden states), and ranks by cosine as transformers' vectors do", async () => {
    const refs = readFixtureJson<HiddenRefs>('hidden-refs', 'hidden.json').cases.find((c) => c.model === 'gptj-mini-code')!.pooled!;
    const ours = await embedTexts(
      await loadModel(miniCodeDir),
      Tokenizer.gptj(),
      refs.map((r) => r.prompt_ids),
    );
    const theirs = refs.map((r) => {
      const n = Math.hypot(...r.mean);
      return Float32Array.from(r.mean, (x) => x / n);
    });
    let maxErr = 0;
    ours.forEach((v, i) =>
      v.forEach((x, j) => {
        maxErr = Math.max(maxErr, Math.abs(x - theirs[i][j]));
      }),
    );
    expect(maxErr).toBeLessThan(1e-4); // unit vectors: absolute error is relative error
    for (let q = 0; q < refs.length; q++) {
      const others = (vs: Float32Array[]) => vs.filter((_, i) => i !== q);
      expect(rank(ours[q], others(ours)).map((h) => h.index)).toEqual(rank(theirs[q], others(theirs)).map((h) => h.index));
    }
  });
});
