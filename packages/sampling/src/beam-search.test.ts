import { type BeamReferenceRun, beamReferenceRuns, fixturePath } from '@gptj/test-fixtures';
import { describe, expect, it } from 'vitest';
import type { EarlyStopping } from './beam-search.js';
import { generateText } from './generate.js';
import type { CausalLM, TextTokenizer } from './interfaces.js';
import { historyLM, PieceTokenizer } from './test-support/fakes.js';

// 4-token vocabulary, token 3 = EOS. The fake's logits are a hash of the whole history: a plain Markov table would
// give permuted sequences equal scores (ties), which beam search and a brute-force sort may order differently.
const EOS = 3;
const fake = () => historyLM(4, EOS);
const logitsOf = fake().logitsFor;
const tok = new PieceTokenizer(['a', 'b', 'c', '.']);

function logSoftmax(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row.map((x) => Math.fround(Math.fround(x) - lse));
}

/** Every hypothesis beam search can return: sequences that end in EOS, or reach maxNew tokens, scored as HF does. */
function bruteForce(prompt: number[], maxNew: number, lengthPenalty: number): { tokens: number[]; score: number }[] {
  const out: { tokens: number[]; score: number }[] = [];
  const walk = (tokens: number[], logp: number) => {
    const lp = logSoftmax([...logitsOf([...prompt, ...tokens])]);
    for (let t = 0; t < 4; t++) {
      const next = [...tokens, t];
      const s = logp + lp[t]!;
      if (t === EOS || next.length === maxNew) out.push({ tokens: next, score: s / next.length ** lengthPenalty });
      else walk(next, s);
    }
  };
  walk([], 0);
  return out.sort((a, b) => b.score - a.score);
}

describe('beam search on a deterministic fake LM against brute force over all sequences', () => {
  // 40 beams hold every live prefix of a 4-token vocabulary for 3 steps, so beam search is exhaustive here
  for (const lengthPenalty of [1, 0.6, 1.5, -0.5]) {
    for (const earlyStopping of [false, 'never'] as EarlyStopping[]) {
      it(`lengthPenalty ${lengthPenalty}, earlyStopping ${earlyStopping}: the 10 best hypotheses and their scores`, async () => {
        const lm = fake();
        const r = await generateText(lm, tok, [0], { numBeams: 40, numReturnSequences: 10, maxNewTokens: 3, lengthPenalty, earlyStopping });
        const want = bruteForce([0], 3, lengthPenalty).slice(0, 10);
        expect(r.rows.map((row) => [...row.ids, ...(row.finishReason === 'eos' ? [EOS] : [])])).toEqual(want.map((w) => w.tokens));
        r.rows.forEach((row, i) => expect(row.score).toBeCloseTo(want[i]!.score, 5));
        expect(lm.sessions[0]!.disposed).toBe(true);
      });
    }
  }

  it('a small beam over a longer horizon returns finished hypotheses, best first, and never exceeds maxNewTokens', async () => {
    const lm = fake();
    const r = await generateText(lm, tok, [[2], [0, 1]], { numBeams: 3, numReturnSequences: 3, maxNewTokens: 8, earlyStopping: true });
    expect(r.rows).toHaveLength(6);
    for (const p of [0, 1]) {
      const rows = r.rows.slice(p * 3, p * 3 + 3);
      const scores = rows.map((x) => x.score!);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      // each returned score is the hypothesis' real length-normalised log-probability
      for (const row of rows) {
        const seq = [...row.ids, ...(row.finishReason === 'eos' ? [EOS] : [])];
        const h = p === 0 ? [2] : [0, 1];
        let s = 0;
        for (const t of seq) {
          s += logSoftmax([...logitsOf(h)])[t]!;
          h.push(t);
        }
        expect(row.score).toBeCloseTo(s / seq.length, 5);
        expect(seq.length).toBeLessThanOrEqual(8);
      }
    }
  });

  it('batched beam search equals per-prompt beam search', async () => {
    const prompts = [[2], [0, 1, 2], [1]];
    const opts = { numBeams: 3, numReturnSequences: 2, maxNewTokens: 6, lengthPenalty: 0.8 };
    const batch = await generateText(fake(), tok, prompts, opts);
    for (const [i, p] of prompts.entries()) {
      const alone = await generateText(fake(), tok, p, opts);
      expect(batch.rows.slice(i * 2, i * 2 + 2)).toEqual(alone.rows);
    }
  });
});

// ---- transformers' beam search on the real fixtures: needs @gptj/model (built by the model package) ----

const modelPkg = (await import('@gptj/model').catch(() => null)) as { loadModel?: (dir: string) => Promise<CausalLM & { dispose(): void }> } | null;
const loadModel = typeof modelPkg?.loadModel === 'function' ? modelPkg.loadModel : null;
const { miniCodeDir } = await import('@gptj/mini-code');

describe.skipIf(!loadModel)('beam search against transformers (sampling-refs/beam; skipped while @gptj/model does not export loadModel)', () => {
  const runs = beamReferenceRuns();
  const ids: TextTokenizer = { encode: () => [], decode: () => '', createStreamDecoder: () => ({ write: () => '', end: () => '' }) };

  for (const name of ['gptj-small-f32', 'gptj-mini-code'] as const) {
    it(`${name}: every returned beam and its score (the fixture's prompts batched per setting)`, async () => {
      const model = await loadModel!(name === 'gptj-small-f32' ? fixturePath('gptj-small-f32') : miniCodeDir);
      try {
        const mine = runs.filter((r) => r.model === name);
        const settings = new Map<string, BeamReferenceRun[]>();
        for (const run of mine) {
          const key = JSON.stringify([run.num_beams, run.length_penalty, run.early_stopping, run.max_new_tokens]);
          settings.set(key, [...(settings.get(key) ?? []), run]);
        }
        expect(settings.size).toBe(3);
        for (const group of settings.values()) {
          const run = group[0]!;
          const r = await generateText(
            model,
            ids,
            group.map((g) => g.prompt_ids),
            {
              numBeams: run.num_beams,
              numReturnSequences: run.num_beams,
              lengthPenalty: run.length_penalty,
              earlyStopping: run.early_stopping,
              maxNewTokens: run.max_new_tokens,
              eosTokenId: run.eos_token_id,
              maskedTokenRange: null, // transformers masks nothing
            },
          );
          group.forEach((g, p) => {
            const rows = r.rows.slice(p * run.num_beams, (p + 1) * run.num_beams);
            const got = rows.map((row) => [...row.ids, ...(row.finishReason === 'eos' ? [run.eos_token_id] : [])]);
            const want = g.sequences.map((seq) => {
              const end = seq.indexOf(run.eos_token_id);
              return end >= 0 ? seq.slice(0, end + 1) : seq;
            });
            expect(got, JSON.stringify(g.prompt_ids)).toEqual(want);
            rows.forEach((row, i) => expect(Math.abs(row.score! - g.sequence_scores[i]!)).toBeLessThan(2e-3));
          });
        }
      } finally {
        model.dispose();
      }
    }, 120_000);
  }
});
