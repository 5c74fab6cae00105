import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { readFixtureJson } from '@gptj/test-fixtures';
import { Tokenizer } from '@gptj/tokenizer';
import { describe, expect, it } from 'vitest';
import { rankCompletions } from './scoring.js';
import { runExample } from './test-support/run-example.js';

interface Samples {
  samples: { prompt: string; new_ids: number[]; min_top2_margin: number }[];
}

describe('scoring example', () => {
  it('prints the candidates from most to least likely: numpy calls, then the syntax error, then a made-up function', async () => {
    const out = await runExample('scoring');
    expect(out.split('\n')[0]).toBe('prompt: "import numpy as np\\n\\nx = np."');
    const rows = [...out.matchAll(/^(\d)\. (-\d+\.\d{3}) \((\d+) tokens, (-\d+\.\d{3})\/token(, greedy)?\) (".*")$/gm)];
    expect(rows.map((r) => Number(r[1]))).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((r) => JSON.parse(r[6]!))).toEqual(['array([1, 2, 3])', 'arange(10)', 'zeros((3, 3))', 'zeros[3, 3]', 'fibonacci(3)']);
    const logprobs = rows.map((r) => Number(r[2]));
    expect(logprobs).toEqual([...logprobs].sort((a, b) => b - a));
    for (const r of rows) {
      expect(Number(r[2])).toBeLessThan(0);
      expect(Number(r[4])).toBeCloseTo(Number(r[2]) / Number(r[3]), 2);
    }
  });

  it("ranks transformers' greedy continuation first and marks only it greedy", async () => {
    // Greedy continuation of '# Copyright' by transformers (float32, CPU); its closest runner-up trailed by 0.33.
    const sample = readFixtureJson<Samples>('mini-code-samples.json').samples.find((s) => s.prompt === '# Copyright')!;
    const tok = Tokenizer.gptj();
    const greedy = tok.decode(sample.new_ids.slice(0, 16));
    expect(greedy).toBe(' (c) Meta Platforms, Inc. and affiliates.\n#\n#');
    const others = [' (c) Meta Platforms, Inc. and affiliates.\n#\n# ', ' (c) Google LLC. All rights reserved.\n#\n#', ' 2020 The HuggingFace Team.\n#\n#'];
    const ranking = await rankCompletions(await loadModel(miniCodeDir), tok, sample.prompt, [...others, greedy]);
    expect(ranking.map((r) => [r.completion, r.greedy])).toEqual([[greedy, true], ...ranking.slice(1).map((r) => [r.completion, false])]);
    expect(ranking[0]?.tokens).toBe(16);
  });
});
