// Per-token logprobs of a completion, in OpenAI's two shapes: the legacy completions object (tokens, token_logprobs,
// top_logprobs, text_offset) and chat's `logprobs.content`. The logprobs are the raw model's (log-softmax of the
// logits, before temperature or any other processor), scored by @gptj/model's loglikelihood over prompt + generated
// ids after the generation: one extra forward pass, and the same numbers the library gives.
import { loglikelihood, type LoglikelihoodResult } from '@gptj/model';
import type { Engine } from './engine.js';

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

interface ChatTokenLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of the token's text; null for a token holding part of a character (its text is U+FFFD). */
  bytes: number[] | null;
}

export interface ChatLogprobs {
  content: (ChatTokenLogprob & { top_logprobs: ChatTokenLogprob[] })[];
  refusal: null;
}

/**
 * The generated ids that make up `text`: with a stop string the generation's ids include the tokens that formed it
 * (the text does not), so trailing ids are dropped while the rest still covers the text.
 */
export function textIds(engine: Engine, ids: readonly number[], text: string): number[] {
  let k = ids.length;
  while (k > 0 && engine.tokenizer.decode(ids.slice(0, k - 1)).length >= text.length) k--;
  return ids.slice(0, k);
}

async function score(engine: Engine, context: readonly number[], continuation: readonly number[], top: number): Promise<LoglikelihoodResult | undefined> {
  if (continuation.length === 0) return undefined;
  return (await engine.withModel((model) => loglikelihood(model, [{ context, continuation }], { topLogprobs: top })))[0];
}

/**
 * `prompt` and `generated` ids; with `echo` the prompt's tokens come first (the first one has no logprob: nothing
 * predicts it) and offsets count from the prompt's start, else offsets count from the prompt's end, as OpenAI's.
 */
export async function completionLogprobs(engine: Engine, prompt: readonly number[], generated: readonly number[], echo: boolean, top: number): Promise<CompletionLogprobs> {
  const context = echo ? prompt.slice(0, 1) : prompt;
  const continuation = echo ? [...prompt.slice(1), ...generated] : generated;
  const scored = await score(engine, context, continuation, top);
  const text = (id: number) => engine.tokenizer.decode([id]);
  const lead = echo ? [null] : [];
  const tokens = (echo ? [...prompt, ...generated] : [...generated]).map(text);
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

/** Chat's `logprobs`: each generated token with its logprob and the `top` most likely tokens at its position. */
export async function chatLogprobs(engine: Engine, prompt: readonly number[], generated: readonly number[], top: number): Promise<ChatLogprobs> {
  const scored = await score(engine, prompt, generated, top);
  const entry = (id: number, logprob: number): ChatTokenLogprob => {
    const token = engine.tokenizer.decode([id]);
    return { token, logprob, bytes: token.includes('\uFFFD') ? null : [...Buffer.from(token, 'utf8')] };
  };
  return {
    content: generated.map((id, j) => ({
      ...entry(id, scored!.tokenLogprobs[j]!),
      top_logprobs: (scored!.topLogprobs?.[j] ?? []).map((a) => entry(a.token, a.logprob)),
    })),
    refusal: null,
  };
}
