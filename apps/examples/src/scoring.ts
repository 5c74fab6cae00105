// Scoring: rank candidate completions of a code prompt by their loglikelihood under the model, the way
// evaluation harnesses score multiple choice: log p(completion | prompt), summed over the completion's tokens.
// `encodePair` splits prompt and completion as lm-evaluation-harness does; `loglikelihood` scores them all in
// one batched pass. "greedy" marks a completion the model would have written itself (each token its argmax).
//
// Run: node apps/examples/dist/scoring.js
import { fileURLToPath } from 'node:url';
import { miniCodeDir } from '@gptj/mini-code';
import { type GPTJModel, encodePair, loadModel, loglikelihood } from '@gptj/model';
import { Tokenizer } from '@gptj/tokenizer';

export const PROMPT = 'import numpy as np\n\nx = np.';
export const CANDIDATES = ['zeros((3, 3))', 'zeros[3, 3]', 'array([1, 2, 3])', 'arange(10)', 'fibonacci(3)'];

export interface Ranked {
  completion: string;
  logprob: number;
  tokens: number;
  greedy: boolean;
}

/** Candidates from most to least likely. */
export async function rankCompletions(model: GPTJModel, tok: Tokenizer, prompt: string, candidates: readonly string[]): Promise<Ranked[]> {
  const eos = model.eosTokenId ?? tok.eosTokenId;
  const requests = candidates.map((c) => encodePair((t) => tok.encode(t), prompt, c, eos));
  const results = await loglikelihood(model, requests);
  return results // one per request, in order
    .map((r, i) => ({ completion: candidates[i]!, logprob: r.logprob, tokens: requests[i]!.continuation.length, greedy: r.isGreedy }))
    .sort((a, b) => b.logprob - a.logprob);
}

async function main(): Promise<void> {
  const model = await loadModel(miniCodeDir);
  const ranking = await rankCompletions(model, Tokenizer.gptj(), PROMPT, CANDIDATES);
  console.log(`prompt: ${JSON.stringify(PROMPT)}`);
  ranking.forEach((r, i) => {
    const perToken = (r.logprob / r.tokens).toFixed(3);
    console.log(`${i + 1}. ${r.logprob.toFixed(3)} (${r.tokens} tokens, ${perToken}/token${r.greedy ? ', greedy' : ''}) ${JSON.stringify(r.completion)}`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
