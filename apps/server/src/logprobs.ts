// The `logprobs` object of OpenAI's legacy completions: per token its text, logprob, the top-N alternatives and its
// character offset in the choice's text. The logprobs are the raw model's (log-softmax of the logits, before
// temperature or any other processor), scored by @gptj/model's loglikelihood over prompt + generated ids after the
// generation: one extra forward pass, and the same numbers the library gives.
import { loglikelihood, type LoglikelihoodResult } from '@gptj/model';
import type { Engine } from './engine.js';

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

/**
 * `prompt` and `generated` ids; with `echo` the prompt's tokens come first (the first one has no logprob: nothing
 * predicts it) and offsets count from the prompt's start, else offsets count from the prompt's end, as OpenAI's.
 */
export async function completionLogprobs(engine: Engine, prompt: readonly number[], generated: readonly number[], echo: boolean, top: number): Promise<CompletionLogprobs> {
  const context = echo ? prompt.slice(0, 1) : prompt;
  const continuation = echo ? [...prompt.slice(1), ...generated] : generated;
  const scored: LoglikelihoodResult | undefined =
    continuation.length === 0 ? undefined : (await engine.withModel((model) => loglikelihood(model, [{ context, continuation }], { topLogprobs: top })))[0];
  const text = (id: number) => engine.tokenizer.decode([id]);
  const ids = echo ? [...prompt, ...generated] : [...generated];
  const lead = echo ? [null] : [];
  const tokens = ids.map(text);
  let offset = echo ? 0 : engine.tokenizer.decode(prompt).length;
  const text_offset = tokens.map((t) => {
    const at = offset;
    offset += t.length;
    return at;
  });
  return {
    tokens,
    token_logprobs: [...lead, ...(scored?.tokenLogprobs ?? [])],
    top_logprobs: [...lead, ...(scored?.topLogprobs ?? continuation.map(() => [])).map((alts) => Object.fromEntries(alts.map((a) => [text(a.token), a.logprob])))],
    text_offset,
  };
}
