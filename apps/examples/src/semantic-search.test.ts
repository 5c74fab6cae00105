import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { readFixtureJson } from '@gptj/test-fixtures';
import { Tokenizer } from '@gptj/tokenizer';
import { describe, expect, it } from 'vitest';
import { cosine, embedTexts, rank } from './semantic-search.js';
import { runExample } from './test-support/run-example.js';

interface HiddenRefs {
  cases: { model: string; pooled?: { prompt_ids: number[]; mean: number[] }[] }[];
}

const hits = (out: string) =>
  [...out.matchAll(/^(\d)\. (\d\.\d{3}) (".*")$/gm)].map((m) => ({ similarity: Number(m[2]), firstLine: JSON.parse(m[3]!) as string }));

describe('semantic-search example', () => {
  it('answers the default query (load a JSON file) with read_json, then two less similar snippets', async () => {
    const out = await runExample('semantic-search');
    expect(out.split('\n')[0]).toMatch(/^query: "def load_config/);
    const top = hits(out);
    expect(top.map((h) => h.firstLine)).toEqual(['def read_json(path):', 'with open("out.csv", "w", newline="") as f:', 'class Stack:']);
    const [first, second, third] = top.map((h) => h.similarity) as [number, number, number]; // three, as just checked
    expect(first).toBeGreaterThan(second + 0.1);
    expect(second).toBeGreaterThan(third);
  });

  it.each([
    ['a = np.ones((2, 2))\n', 'import numpy as np'],
    ['def fib(k):\n    return k if k < 2 else fib(k - 1) + fib(k - 2)\n', 'def fibonacci(n):'],
    ['r = requests.post(api_url, json=payload)\n', 'import requests'],
    ['class Queue:\n    def __init__(self):\n        self.items = []\n', 'class Stack:'],
  ])('query %j finds %j', async (query, expected) => {
    expect(hits(await runExample('semantic-search', [query]))[0]?.firstLine).toBe(expected);
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
    expect(ours.map((v) => v.length)).toEqual(theirs.map((v) => v.length));
    ours.forEach((v, i) =>
      v.forEach((x, j) => {
        maxErr = Math.max(maxErr, Math.abs(x - theirs[i]![j]!));
      }),
    );
    expect(maxErr).toBeLessThan(1e-4); // unit vectors: absolute error is relative error
    for (const [q, theirsQ] of theirs.entries()) {
      const others = (vs: Float32Array[]) => vs.filter((_, i) => i !== q);
      expect(rank(ours[q]!, others(ours)).map((h) => h.index)).toEqual(rank(theirsQ, others(theirs)).map((h) => h.index));
    }
  });

  it('cosine and rank refuse vectors of different lengths (cosine gave NaN or the shorter prefix, and rank sorted them anywhere)', () => {
    const [a, b] = [new Float32Array([1, 0, 0]), new Float32Array([1, 0])];
    expect(() => cosine(a, b)).toThrow(new RangeError('cosine: vectors of 3 and 2 dimensions'));
    expect(() => cosine(b, a)).toThrow(new RangeError('cosine: vectors of 2 and 3 dimensions'));
    expect(() => rank(a, [a, b])).toThrow(RangeError);
  });
});
